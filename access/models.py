"""API tokens (only a digest of each key is stored; a token expires, may be rotated or revoked,
and dies with the password it was issued under), and each user's preferences (their language)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """One key a channel system sends as ``Authorization: Token <key>``.

    The key itself is shown once, when issued; the row keeps its SHA-256 digest (a key is 40
    random bytes, so a plain digest is as good as a slow hash) and its first characters, so
    that people can tell tokens apart. A token works while ``revoked_at`` is empty,
    ``expires_at`` lies ahead and ``password_fingerprint`` still matches the user's password
    hash: any change of password (admin form, ``changepassword``, ``set_password`` and save)
    ends every token issued before it, without a signal to forget.
    """

    key_digest = models.CharField(_("key digest"), max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("issued at"))
    # When the password was last presented for this chain of tokens; rotation keeps it, so a
    # chain of rotations cannot outlive API_TOKEN_MAX_AGE_HOURS after the password login.
    authenticated_at = models.DateTimeField(_("password presented at"))
    expires_at = models.DateTimeField(_("expires at"))
    rotated_at = models.DateTimeField(_("rotated at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    password_fingerprint = models.CharField(_("password fingerprint"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "expires_at"], name="access_token_user_expiry")]

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.user_id})"


class UserPreference(models.Model):
    """What one person chose for themselves; for now the language they read.

    ``language`` is a code of ``settings.LANGUAGES``, or empty for "the site's language"
    (``access.preferences.language_of`` says which language that is, and also falls back to it
    for a code the site no longer offers). A user without a row has chosen nothing.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference", verbose_name=_("user")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_(
            "The language of this person's escalation e-mails, report mails and reports, and of the "
            "admin's pages; empty means the site's language."
        ),
    )

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")

    def __str__(self) -> str:
        return str(self.get_language_display()) if self.language else str(_("the site's language"))
