"""Rate limits: per token for channel systems; token logins per client address and per account.

The client address is ``access.client_address`` (``REMOTE_ADDR`` unless TRUSTED_PROXY_COUNT
names the proxies in front), the same address the login lockout counts.
"""
from __future__ import annotations

import hashlib

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from access.client_address import client_address
from access.models import ApiToken


class TokenClientRateThrottle(SimpleRateThrottle):
    """Requests authenticated with an API token, counted per token's user.

    Browser sessions are people clicking; they are not throttled here. The counter lives in
    Django's default cache, so it is per process unless a shared cache is configured.
    """

    scope = "token_client"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenClientCostRateThrottle(TokenClientRateThrottle):
    """The same per-token counter, charged what the view says a request costs (``view.throttle_cost(request)``).

    A bulk intake of 1,000 items costs 1,000 requests: channel systems have one rate for
    intakes however they send them. A request that would go over the rate is refused whole
    (429), and counts nothing.
    """

    # Set by SimpleRateThrottle.__init__ from the rate (which django-stubs' DRF stubs do not declare).
    num_requests: int
    duration: int

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()  # refused before the body is read
        cost = view.throttle_cost(request)
        if len(self.history) + cost > self.num_requests:
            return self.throttle_failure()
        self.history[:0] = [self.now] * cost
        self.cache.set(self.key, self.history, self.duration)
        return True


class TokenLoginRateThrottle(AnonRateThrottle):
    """Requests at the token endpoint, per client address (whatever X-Forwarded-For says)."""

    scope = "token_login"

    def get_ident(self, request) -> str:
        return client_address(request._request) or ""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenLoginAccountRateThrottle(SimpleRateThrottle):
    """Requests at the token endpoint, per username asked for, from whatever address.

    The username is hashed into the cache key (no usernames in the cache). A request without
    a username is left to the per-address limit and to the 400 that follows.
    """

    scope = "token_login_account"

    def get_cache_key(self, request, view):
        data = request.data if hasattr(request.data, "get") else {}
        username = data.get("username")
        if not isinstance(username, str) or not username:
            return None
        ident = hashlib.sha256(username.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
