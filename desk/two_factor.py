"""Two-factor sign-in (TOTP) for everyone who works in the admin, on django-otp.

The flow, when ``ADMIN_REQUIRE_2FA`` is on (production's default):

1. Django's admin login asks for the username and password, as always.
2. A user with a confirmed authenticator is then asked for its six-digit code (``verify``);
   a user without one is taken to ``enrol``: a QR code (inline SVG, no outside service), the
   secret as text, and a field for the first code, which confirms the authenticator.
3. Until then :class:`TwoFactorMiddleware` lets the session reach nothing but those two pages,
   log-out and the language switch: admin pages redirect to the pending step, the REST API
   (session-authenticated) answers a JSON 403. Token clients carry no session and are not
   concerned: the API token endpoint stays password-only for machines.

With the setting off (the embedded demo, the tests), a user who chose to enrol is still asked
for a code; everybody else signs in with the password alone. django-otp's ``TOTPDevice`` holds
the secret, its throttling slows guessing (1, 2, 4... seconds after each wrong code) and a code
is accepted once only. A lost phone: a superuser deletes the user's TOTP device in the admin
and the user enrols again at the next sign-in.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import LogoutView, redirect_to_login
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, URLPattern, path, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp.plugins.otp_totp.models import TOTPDevice

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite

# Whether the signed-in user has a confirmed authenticator, noted in the session at login
# so that a request with the setting off costs no query.
HAS_DEVICE_SESSION_KEY = "desk_2fa_has_device"
DEVICE_NAME = "Authenticator app"
# What a session with its second factor pending may still reach.
OPEN_VIEWS = frozenset({
    "admin:two_factor_enrol",
    "admin:two_factor_verify",
    "admin:two_factor_logout",
    "admin:jsi18n",
    "set_language",
})


def must_enrol(user: Any) -> bool:
    """Everyone with admin access must have an authenticator when ADMIN_REQUIRE_2FA is on."""
    return bool(settings.ADMIN_REQUIRE_2FA and (user.is_staff or user.is_superuser))


def has_confirmed_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_pending(request: HttpRequest) -> bool:
    """True while a signed-in user still owes the second factor (enrolment or a code)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)  # set by django_otp's OTPMiddleware
    if is_verified is not None and is_verified():
        return False
    if must_enrol(user):
        return True
    session = getattr(request, "session", None)
    if session is None:
        return False
    if HAS_DEVICE_SESSION_KEY not in session:
        session[HAS_DEVICE_SESSION_KEY] = has_confirmed_device(user)
    return bool(session[HAS_DEVICE_SESSION_KEY])


@receiver(user_logged_in, dispatch_uid="desk.two_factor.note_device")
def _note_device_at_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and getattr(request, "session", None) is not None:
        request.session[HAS_DEVICE_SESSION_KEY] = has_confirmed_device(user)


def pending_step_url(request: HttpRequest, next_url: str) -> str:
    """The enrolment page, or the code page for a user who has an authenticator; with ``next``."""
    name = "admin:two_factor_verify" if has_confirmed_device(request.user) else "admin:two_factor_enrol"
    return redirect_to_login(next_url, reverse(name)).url


class TwoFactorMiddleware:
    """Holds a session whose second factor is pending to the two-factor pages (after OTPMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if second_factor_pending(request) and not self._is_open(request):
            if request.path_info.startswith("/api/"):
                detail = _("Finish two-factor sign-in in the admin first.")
                return JsonResponse({"detail": detail, "errors": {}}, status=403)
            next_url = request.get_full_path()
            if self._view_name(request) == "admin:login":
                next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
            return HttpResponseRedirect(pending_step_url(request, next_url))
        return self.get_response(request)

    @staticmethod
    def _view_name(request: HttpRequest) -> str | None:
        try:
            return resolve(request.path_info).view_name
        except Resolver404:
            return None

    def _is_open(self, request: HttpRequest) -> bool:
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return True
        return self._view_name(request) in OPEN_VIEWS


class TokenForm(forms.Form):
    """One code from the user's authenticator, checked against ``device`` with django-otp's throttling."""

    token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def __init__(self, *args: Any, device: TOTPDevice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split())
        if not token.isdigit() or len(token) != self.device.digits:
            raise forms.ValidationError(
                _("Enter the %(digits)d-digit code your authenticator app shows.") % {"digits": self.device.digits},
                code="format",
            )
        # The failure count must be saved, so the error is raised after the transaction.
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().get(pk=self.device.pk)
            allowed, _data = device.verify_is_allowed()
            verified = allowed and device.verify_token(token)
        self.device = device
        if not allowed:
            raise forms.ValidationError(
                _("Too many wrong codes in a row: wait a few seconds, then enter the current code."), code="throttled"
            )
        if not verified:
            raise forms.ValidationError(
                _("That code is not right, or was already used. Enter the code your app shows now."), code="invalid"
            )
        return token


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return reverse("admin:index")


def _signed_in(request: HttpRequest, device: TOTPDevice) -> HttpResponse:
    """The second factor is given: remember the device in a fresh session key, and go on."""
    django_otp.login(request, device)
    request.session[HAS_DEVICE_SESSION_KEY] = True
    request.session.cycle_key()
    return HttpResponseRedirect(_next_url(request))


def _staff_only(request: HttpRequest) -> HttpResponse | None:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    return None


def qr_code_data_uri(config_url: str) -> str:
    """The otpauth URL as a QR code, an SVG data URI made here (black on white, readable in dark mode)."""
    return segno.make(config_url, error="m").svg_data_uri(scale=5, border=3, dark="#000", light="#fff")


def grouped_secret(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def enrol(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """Set up an authenticator: QR code and secret, confirmed by its first code. Also replaces one."""
    refused = _staff_only(request)
    if refused:
        return refused
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is not None and not user.is_verified():  # type: ignore[union-attr]
        # Replacing an authenticator takes the current one's code first.
        return HttpResponseRedirect(pending_step_url(request, request.get_full_path()))
    replacing = confirmed is not None and (request.method == "POST" or request.GET.get("replace"))
    context: dict[str, Any] = {
        **site.each_context(request),
        "title": _("Two-factor sign-in"),
        "next_field": REDIRECT_FIELD_NAME,
        "next": _next_url(request),
        "required": must_enrol(user),
        "enrolled": confirmed is not None,
    }
    if confirmed is not None and not replacing:
        return render(request, "admin/two_factor/enrolled.html", context)

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    form = TokenForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        device = form.device
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        return _signed_in(request, device)
    context.update(
        form=form,
        replacing=replacing,
        qr_code=qr_code_data_uri(device.config_url),
        secret=grouped_secret(device),
        config_url=device.config_url,
        digits=device.digits,
        step=device.step,
    )
    return render(request, "admin/two_factor/enrol.html", context)


def verify(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """After the password: the current code of the user's authenticator."""
    refused = _staff_only(request)
    if refused:
        return refused
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return HttpResponseRedirect(redirect_to_login(_next_url(request), reverse("admin:two_factor_enrol")).url)
    if user.is_verified():  # type: ignore[union-attr]
        return HttpResponseRedirect(_next_url(request))
    form = TokenForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        return _signed_in(request, form.device)
    context = {
        **site.each_context(request),
        "title": _("Two-factor sign-in"),
        "form": form,
        "next_field": REDIRECT_FIELD_NAME,
        "next": _next_url(request),
    }
    return render(request, "admin/two_factor/verify.html", context)


def urls(site: AdminSite) -> list[URLPattern]:
    """The two-factor pages under the admin (``admin:two_factor_*``)."""

    def page(view: Callable[[HttpRequest, AdminSite], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
        def wrapped(request: HttpRequest) -> HttpResponse:
            return view(request, site)

        return never_cache(csrf_protect(wrapped))

    logout = LogoutView.as_view(next_page="admin:login")
    return [
        path("two-factor/", page(enrol), name="two_factor_enrol"),
        path("two-factor/verify/", page(verify), name="two_factor_verify"),
        path("two-factor/logout/", logout, name="two_factor_logout"),
    ]

