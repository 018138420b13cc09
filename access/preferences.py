"""Which language each person reads (their ``UserPreference``, else the site's), and setting one's own.

Escalation e-mails, report mails and the default language of a report's PDF all ask here, as
does the admin (``access.middleware``). A preference is one of ``settings.LANGUAGES``; an empty
one, a missing row, an anonymous user, or a code the site no longer offers all mean the site's
language. Settings are read at call time.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist

from .models import UserPreference


def offered_languages() -> list[str]:
    """The codes of ``settings.LANGUAGES``, in their order."""
    return [code for code, _name in settings.LANGUAGES]


def site_language() -> str:
    """``settings.LANGUAGE_CODE`` when the site offers it (compared without case), else the first of LANGUAGES."""
    offered = offered_languages()
    code = settings.LANGUAGE_CODE
    for candidate in offered:
        if candidate.lower() == code.lower():
            return candidate
    return offered[0] if offered else code


def chosen_language(user: Any) -> str | None:
    """The language ``user`` chose, if it is one the site still offers; None for no choice (or anonymous).

    Reads ``user.preference``: no query when the caller loaded it (``select_related("preference")``
    or ``prefetch_related("preference")``, a missing row included), else one, which Django then
    keeps on the user object.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        language = user.preference.language
    except ObjectDoesNotExist:  # no row: nothing chosen
        return None
    return language if language in offered_languages() else None


def language_of(user: Any) -> str:
    """The language ``user`` reads: their choice (``chosen_language``), else ``site_language()``."""
    return chosen_language(user) or site_language()


def languages_of(users: Iterable[Any]) -> dict[int, str]:
    """The language of each of ``users`` (user objects or their ids), by user id, in one query.

    Every id given is in the answer; the query is skipped when none is given. For a mailing list:
    ``languages_of(recipients)[user.pk]``.
    """
    ids = {user if isinstance(user, int) else user.pk for user in users}
    ids.discard(None)
    if not ids:
        return {}
    offered = offered_languages()
    default = site_language()
    chosen = dict(
        UserPreference.objects.filter(user_id__in=ids, language__in=offered).values_list("user_id", "language")
    )
    return {pk: chosen.get(pk, default) for pk in ids}


def user_language_set(*, user: Any, language: str) -> UserPreference:
    """Record ``language`` (a code of LANGUAGES, or "" for the site's language) as ``user``'s choice."""
    if language and language not in offered_languages():
        raise ValueError(f"{language!r} is not one of settings.LANGUAGES")
    preference, _created = UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    # The user object now answers from the new row, without a query.
    user.preference = preference
    return preference
