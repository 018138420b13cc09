"""Admin of access: API tokens (list, revoke), a user's tokens revoked from the user list, the login
lockout's rows with an "Unlock" action for supervisors and admins, and the login form that keeps
channel systems out of the desk."""
from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from access import services, tokens
from access.models import ApiToken
from complaints import roles

User = get_user_model()


# --- the login form: channel systems work through the API only ---------------------------
class DeskAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, refusing channel-system accounts with a message that says why."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "channel_system": _(
            "This is a channel system's account: it works through the API with a token and cannot sign in to the desk."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        if roles.is_channel_system(user):
            raise ValidationError(self.error_messages["channel_system"], code="channel_system")
        super().confirm_login_allowed(user)


admin.site.login_form = DeskAuthenticationForm


# --- API tokens ----------------------------------------------------------------------------
@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by the API and never edited; the admin lists and revokes them."""

    list_display = ["key_prefix", "user", "name", "created_at", "expires_at", "status"]
    list_filter = ["created_at", "expires_at", "revoked_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "key_prefix", "name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    fields = readonly_fields = (
        "key_prefix", "user", "name", "created_at", "authenticated_at", "expires_at", "rotated_at", "revoked_at", "status",
    )
    actions = ["revoke", "revoke_all_of_users"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the rows are the record of who held access when

    def has_revoke_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.display(description=_("status"))
    def status(self, token: ApiToken) -> str:
        refusal = tokens.refusal(token, password_hash=token.user.password, now=timezone.now())
        if refusal is tokens.REVOKED:
            return str(_("revoked"))
        if refusal is tokens.EXPIRED:
            return str(_("expired"))
        if refusal is tokens.PASSWORD_CHANGED:
            return str(_("ended by a password change"))
        return str(_("in use, rotated (grace)") if token.rotated_at else _("in use"))

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        now = timezone.now()
        count = sum(services.api_token_revoke(token=token, now=now) for token in queryset)
        self.message_user(
            request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count}
        )

    @admin.action(description=_("Revoke every token of the selected tokens' users"), permissions=["revoke"])
    def revoke_all_of_users(self, request, queryset) -> None:
        user_ids = sorted(set(queryset.values_list("user_id", flat=True)))
        count = services.api_tokens_revoke_for_users(user_ids=user_ids)
        self.message_user(
            request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count}
        )


# --- users: revoke their tokens --------------------------------------------------------------
admin.site.unregister(User)


@admin.register(User)
class DeskUserAdmin(UserAdmin):
    """Django's user admin, with an action that revokes the selected users' API tokens at once."""

    actions = ["revoke_api_tokens"]

    @admin.action(description=_("Revoke the selected users' API tokens"), permissions=["change"])
    def revoke_api_tokens(self, request, queryset) -> None:
        count = services.api_tokens_revoke_for_users(user_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count}
        )


# --- login lockout: unlock -------------------------------------------------------------------
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class DeskAccessAttemptAdmin(AccessAttemptAdmin):
    """django-axes' attempts (who failed, from where, how often), with "Unlock".

    Unlocking deletes the attempts of the selected rows' usernames and addresses (axes'
    reset), which is what lifts the lockout; the admin log records who did it. Supervisors
    have the view and delete permissions on attempts (access migration 0002), as have
    superusers. The failures themselves stay in the access failure log.
    """

    actions = ["unlock", *AccessAttemptAdmin.actions]

    @admin.action(description=_("Unlock: clear the failures of these usernames and addresses"), permissions=["delete"])
    def unlock(self, request, queryset) -> None:
        attempts = list(queryset)
        self.log_deletions(request, attempts)
        cleared = 0
        for username, ip_address in {(attempt.username, attempt.ip_address) for attempt in attempts}:
            if username:
                cleared += axes_reset(username=username)
            if ip_address:
                cleared += axes_reset(ip=ip_address)
        self.message_user(
            request,
            ngettext("Unlocked; %(count)d attempt cleared.", "Unlocked; %(count)d attempts cleared.", cleared)
            % {"count": cleared},
            messages.SUCCESS,
        )
