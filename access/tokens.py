"""Pure helpers of API tokens: new keys, their digests, the password fingerprint, and why a token is refused."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    from .models import ApiToken

KEY_BYTES = 40
FINGERPRINT_SALT = "access.ApiToken.password_fingerprint"

REVOKED = _("The token has been revoked.")
EXPIRED = _("The token has expired; ask for a new one at /api/v1/auth/token/.")
PASSWORD_CHANGED = _("The password has changed since the token was issued; ask for a new one.")


def new_key() -> str:
    """A fresh key: 40 random bytes, URL-safe text (54 characters)."""
    return secrets.token_urlsafe(KEY_BYTES)


def key_digest(key: str) -> str:
    """What the database keeps of a key: its SHA-256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def password_fingerprint(password_hash: str, *, secret: str | None = None) -> str:
    """An HMAC of the user's password hash (never the hash itself), keyed by SECRET_KEY."""
    return salted_hmac(FINGERPRINT_SALT, password_hash or "", secret=secret, algorithm="sha256").hexdigest()


def fingerprint_matches(fingerprint: str, password_hash: str) -> bool:
    """True when ``fingerprint`` was taken of this password hash, under SECRET_KEY or one of its fallbacks."""
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        if hmac.compare_digest(fingerprint, password_fingerprint(password_hash, secret=secret)):
            return True
    return False


def refusal(token: ApiToken, *, password_hash: str, now: datetime) -> StrPromise | None:
    """Why this token may not be used now (a message for its holder), or None when it may."""
    if token.revoked_at is not None:
        return REVOKED
    if token.expires_at <= now:
        return EXPIRED
    if not fingerprint_matches(token.password_fingerprint, password_hash):
        return PASSWORD_CHANGED
    return None
