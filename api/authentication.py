"""API authentication: expiring tokens (``access.ApiToken``), with token, user and role groups read in one statement."""
from __future__ import annotations

from django.db import router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication

from access import tokens
from access.models import ApiToken
from complaints import roles

from . import lookups


class TokenAuthentication(DrfTokenAuthentication):
    """``Authorization: Token <key>``, as DRF's header, against ``access.ApiToken`` in one query.

    The key is looked up by its SHA-256 digest (the raw key is never stored). A token is
    refused, with a message saying why, when it is revoked, past ``expires_at`` (a rotated
    token: past its grace), or issued before the user's password last changed. The user's role
    groups come with the token and are remembered on the request's user (``complaints.roles``),
    so the permission checks that follow need no query of their own. Nothing is cached across
    requests: a revoked token, a deactivated user or a removed role group takes effect on the
    next request. ``request.auth`` is the ``ApiToken``.
    """

    model = ApiToken

    def authenticate_credentials(self, key: str):
        found = lookups.token_with_user(tokens.key_digest(key), alias=router.db_for_read(ApiToken))
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, group_names = found
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        refusal = tokens.refusal(token, password_hash=token.user.password, now=timezone.now())
        if refusal is not None:
            raise exceptions.AuthenticationFailed(refusal)
        roles.remember_group_names(token.user, group_names)
        return token.user, token
