"""API authentication: DRF's token scheme, with token, user and role groups read in one statement."""
from __future__ import annotations

from django.db import router
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication
from rest_framework.authtoken.models import Token

from complaints import roles

from . import lookups


class TokenAuthentication(DrfTokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, in one query instead of two.

    The user's role groups come with the token and are remembered on the request's user
    (``complaints.roles``), so the permission checks that follow need no query of their own.
    Nothing is cached across requests: a deleted token, a deactivated user or a removed
    role group takes effect on the next request. Unknown tokens and inactive users are
    refused by DRF's own code, with its messages.
    """

    def authenticate_credentials(self, key: str):
        found = lookups.token_with_user(key, alias=router.db_for_read(Token))
        if found is None or not found[0].user.is_active:
            return super().authenticate_credentials(key)
        token, group_names = found
        roles.remember_group_names(token.user, group_names)
        return token.user, token
