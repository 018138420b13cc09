"""Admin of access: API tokens (list, revoke), a user's tokens revoked from the user list, each user's
language (on the user's page, and "My language" for everyone for themselves), the login lockout's
rows with an "Unlock" action for supervisors and admins, and the login form that keeps channel
systems out of the desk."""
from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_permission_codename, get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from access import preferences, services, tokens
from access.models import ApiToken, UserPreference
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


# --- users: their language ---------------------------------------------------------------------
def site_language_choice() -> tuple[str, str]:
    """The empty choice, named with the language it stands for today."""
    names = dict(settings.LANGUAGES)
    site_language = preferences.site_language()
    label = gettext("Same as the site (%(language)s)") % {"language": str(names.get(site_language, site_language))}
    return ("", label)


def language_label(code: str) -> str:
    """A language's name in the reader's language, with its own name beside it when that differs
    ("Simplified Chinese (简体中文)"), so that everyone finds their own language."""
    name = str(dict(settings.LANGUAGES).get(code, code))
    local = translation.get_language_info(code)["name_local"]
    return name if local == name else f"{name} ({local})"


class LanguagePreferenceForm(forms.ModelForm):
    """A user's language: the site's (empty) or one of LANGUAGES, each named in the reader's language."""

    class Meta:
        model = UserPreference
        fields = ["language"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [site_language_choice(), *((code, language_label(code)) for code, _name in settings.LANGUAGES)]


class MyLanguageForm(LanguagePreferenceForm):
    class Meta(LanguagePreferenceForm.Meta):
        labels = {"language": _("Language for e-mails and reports")}
        help_texts = {
            "language": _(
                "Your escalation e-mails, report mails and reports come in this language, and the desk's pages "
                "show in it when you are signed in. The switcher at the top changes the pages of this browser only."
            )
        }


class LanguagePreferenceInline(admin.StackedInline):
    """The user's language on the user's page; whoever may change the user may set it."""

    model = UserPreference
    form = LanguagePreferenceForm
    fields = ["language"]
    max_num = 1
    can_delete = False
    verbose_name = verbose_name_plural = _("Language for e-mails and reports")  # max_num 1: the heading

    def _user_permission(self, request: HttpRequest, action: str) -> bool:
        opts = User._meta
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")

    def has_view_permission(self, request, obj=None) -> bool:
        return self._user_permission(request, "view") or self._user_permission(request, "change")

    def has_add_permission(self, request, obj=None) -> bool:
        return self._user_permission(request, "change")

    def has_change_permission(self, request, obj=None) -> bool:
        return self._user_permission(request, "change")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LanguageListFilter(admin.SimpleListFilter):
    """Users by the language they read: the site's (no choice, or a code no longer offered) or one of LANGUAGES."""

    title = _("language for e-mails and reports")
    parameter_name = "language"
    SITE = "site"

    def lookups(self, request, model_admin):
        return [(self.SITE, site_language_choice()[1]), *settings.LANGUAGES]

    def queryset(self, request, queryset):
        offered = preferences.offered_languages()
        if self.value() == self.SITE:
            return queryset.exclude(preference__language__in=offered)
        if self.value() in offered:
            return queryset.filter(preference__language=self.value())
        return queryset


# --- users: revoke their tokens; languages --------------------------------------------------
admin.site.unregister(User)


@admin.register(User)
class DeskUserAdmin(UserAdmin):
    """Django's user admin, with each user's language (a column, a filter, a section of the user's
    page), an action that revokes the selected users' API tokens at once, and "My language": the
    page where every signed-in member of staff sets their own language, without the right to
    change users."""

    actions = ["revoke_api_tokens"]
    inlines = [LanguagePreferenceInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "language"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", LanguageListFilter]
    list_select_related = ["preference"]

    @admin.display(description=_("language"), ordering="preference__language")
    def language(self, user) -> str:
        chosen = preferences.chosen_language(user)
        if chosen is None:
            return site_language_choice()[1]
        return str(dict(settings.LANGUAGES)[chosen])

    def get_urls(self):
        my_language = path("my-language/", self.admin_site.admin_view(self.my_language_view), name="my_language")
        return [my_language, *super().get_urls()]

    def my_language_view(self, request: HttpRequest) -> HttpResponse:
        """The signed-in user's own language (GET shows it, POST saves it). Saving also ends this
        browser's switcher choice (the language cookie), so that the pages follow the new choice at
        once; the change is recorded in the user's history."""
        user = request.user
        if not user.is_authenticated:  # admin_view lets staff only in; this tells the type checker
            raise PermissionDenied
        # No row yet: an unsaved one, which user_language_set creates if a language is chosen.
        instance = UserPreference.objects.filter(user_id=user.pk).first() or UserPreference()
        form = MyLanguageForm(request.POST if request.method == "POST" else None, instance=instance)
        if request.method == "POST" and form.is_valid():
            if form.has_changed():
                preferences.user_language_set(user=user, language=form.cleaned_data["language"])
                with translation.override(None):  # the history stores the field's name untranslated
                    field_name = str(form.fields["language"].label)
                self.log_change(request, user, [{"changed": {"fields": [field_name]}}])
            with translation.override(preferences.language_of(user)):
                messages.success(request, gettext("Your language is saved."))
            response = HttpResponseRedirect(reverse(f"{self.admin_site.name}:my_language"))
            response.delete_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": _("My language"),
            "form": form,
        }
        return TemplateResponse(request, "admin/my_language.html", context)

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
