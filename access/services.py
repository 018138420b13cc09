"""Every write of API tokens: issue, rotate, revoke."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import tokens
from .models import ApiToken


class TokenAlreadyRotated(Exception):
    """A token is rotated once; its successor is the one to rotate next."""


@dataclass(frozen=True)
class IssuedToken:
    """A new token with its key: the only moment the key is known."""

    token: ApiToken
    key: str

    @property
    def expires_at(self) -> datetime:
        return self.token.expires_at


def _ttl() -> timedelta:
    return timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def _max_age() -> timedelta:
    return timedelta(hours=settings.API_TOKEN_MAX_AGE_HOURS)


def _create(*, user_id: int, name: str, fingerprint: str, authenticated_at: datetime, now: datetime) -> IssuedToken:
    key = tokens.new_key()
    token = ApiToken.objects.create(
        key_digest=tokens.key_digest(key),
        key_prefix=key[:8],
        user_id=user_id,
        name=name,
        created_at=now,
        authenticated_at=authenticated_at,
        expires_at=min(now + _ttl(), authenticated_at + _max_age()),
        password_fingerprint=fingerprint,
    )
    return IssuedToken(token=token, key=key)


def api_token_issue(*, user, name: str = "", now: datetime | None = None) -> IssuedToken:
    """A new token for a user who has just presented their password; expires after API_TOKEN_TTL_HOURS."""
    now = now or timezone.now()
    return _create(
        user_id=user.pk,
        name=name,
        fingerprint=tokens.password_fingerprint(user.password),
        authenticated_at=now,
        now=now,
    )


def api_token_rotate(*, token: ApiToken, now: datetime | None = None) -> IssuedToken:
    """A successor for a working token; the old one stops after API_TOKEN_ROTATION_GRACE_SECONDS.

    The successor runs for another API_TOKEN_TTL_HOURS, never beyond API_TOKEN_MAX_AGE_HOURS
    after the password was last presented. A token is rotated once: a second rotation of the
    same token (someone else holding a copy, or a retry) raises ``TokenAlreadyRotated``.
    """
    now = now or timezone.now()
    grace = timedelta(seconds=settings.API_TOKEN_ROTATION_GRACE_SECONDS)
    with transaction.atomic():
        current = ApiToken.objects.select_for_update().get(pk=token.pk)
        if current.rotated_at is not None or current.revoked_at is not None:
            raise TokenAlreadyRotated
        current.rotated_at = now
        current.expires_at = min(current.expires_at, now + grace)
        current.save(update_fields=["rotated_at", "expires_at"])
        return _create(
            user_id=current.user_id,
            name=current.name,
            fingerprint=current.password_fingerprint,
            authenticated_at=current.authenticated_at,
            now=now,
        )


def api_token_revoke(*, token: ApiToken, now: datetime | None = None) -> bool:
    """Revoke one token at once; False when it was revoked already."""
    now = now or timezone.now()
    return bool(ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now))


def api_tokens_revoke_for_users(*, user_ids: list[int], now: datetime | None = None) -> int:
    """Revoke every token of these users that has not expired or been revoked; how many were."""
    now = now or timezone.now()
    return ApiToken.objects.filter(user_id__in=user_ids, revoked_at__isnull=True, expires_at__gt=now).update(
        revoked_at=now
    )
