"""The signed-in user's own language for the pages they see (after AuthenticationMiddleware)."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .preferences import chosen_language


def explicit_language(request: HttpRequest) -> str | None:
    """The language this request asked for itself, if any: a language prefix on the path, or
    Django's language cookie (what the switcher's ``set_language`` sets) naming a language the
    site offers. The browser's Accept-Language is not an explicit choice."""
    from_path = translation.get_language_from_path(request.path_info)
    if from_path:
        return from_path
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if not cookie:
        return None
    try:
        return translation.get_supported_language_variant(cookie)
    except LookupError:
        return None


class UserLanguageMiddleware:
    """Render the pages of a signed-in user who has chosen a language in that language.

    Order of precedence, as staff would expect it:

    1. a choice made in this browser with the language switcher (the language cookie, kept until
       the browser closes) or a language prefix in the URL: what someone just clicked wins;
    2. the user's preference (``access.preferences.chosen_language``, set in the admin under
       "My language" or on the user's page), which is also the language of their e-mails and
       reports; saving "My language" clears the cookie, so the new choice shows at once;
    3. otherwise nothing changes: LocaleMiddleware's choice stands (the browser's
       Accept-Language, else the site's language), as for anonymous visitors and the login page.

    The language stays active for the rest of the request, so LocaleMiddleware's response
    handling (``Content-Language``) reports it. One small query per signed-in request without
    a cookie (the preference row); none otherwise.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if explicit_language(request) is None:
            language = chosen_language(getattr(request, "user", None))
            if language is not None:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
