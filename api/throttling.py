"""Rate limits: per token for channel systems, per client address for token requests."""
from __future__ import annotations

from rest_framework.authtoken.models import Token
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class TokenClientRateThrottle(SimpleRateThrottle):
    """Requests authenticated with an API token, counted per token's user.

    Browser sessions are people clicking; they are not throttled here. The counter lives in
    Django's default cache, so it is per process unless a shared cache is configured.
    """

    scope = "token_client"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, Token):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenLoginRateThrottle(AnonRateThrottle):
    """Guesses of username and password at the token endpoint, per client address."""

    scope = "token_login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
