"""The API's one error shape, and the handler that gives every error that shape.

Every error response is ``{"detail": "<message>", "errors": {"<field>": ["<message>", ...]}}``;
a 409 also carries the case's current ``state``. Nested input fields are named with dots
(``customer.phone``); errors that belong to no field are under ``non_field_errors``.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

NON_FIELD_ERRORS = "non_field_errors"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request_too_large"


class Conflict(exceptions.APIException):
    """Not possible from the case's current state, or the case changed meanwhile (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The case cannot change this way now.")
    default_code = "conflict"

    def __init__(self, detail: str, *, state: str | None, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.state = state
        self.errors = errors or {}


def error_body(detail: str, errors: Mapping[str, list[str]] | None = None, **extra: Any) -> dict[str, Any]:
    """The one error shape; ``extra`` adds keys such as ``state``."""
    return {"detail": str(detail), "errors": {key: [str(m) for m in value] for key, value in (errors or {}).items()}, **extra}


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"a.b": ["message"]}``."""
    flat: dict[str, list[str]] = {}

    def key(name: str) -> str:
        if name in (NON_FIELD_ERRORS, "__all__"):
            return prefix.rstrip(".") or NON_FIELD_ERRORS
        return f"{prefix}{name}"

    if isinstance(errors, Mapping):
        for name, value in errors.items():
            if isinstance(value, Mapping):
                for inner, messages in flatten_errors(value, f"{key(str(name))}.").items():
                    flat.setdefault(inner, []).extend(messages)
            elif isinstance(value, Sequence) and not isinstance(value, str) and any(
                isinstance(item, Mapping) for item in value
            ):
                for index, item in enumerate(value):
                    if item:
                        for inner, messages in flatten_errors(item, f"{key(str(name))}.{index}.").items():
                            flat.setdefault(inner, []).extend(messages)
            else:
                flat.setdefault(key(str(name)), []).extend(_as_messages(value))
    else:
        flat.setdefault(prefix.rstrip(".") or NON_FIELD_ERRORS, []).extend(_as_messages(errors))
    return flat


def _as_messages(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(item) for item in value]
    return [str(value)]


def _summary(errors: Mapping[str, list[str]]) -> str:
    if len(errors) == 1 and NON_FIELD_ERRORS in errors:
        return errors[NON_FIELD_ERRORS][0]
    return _("Some fields are not valid; see errors.")


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's exception handler: every error in the one shape, never an HTML page."""
    headers: dict[str, str] = {}
    if isinstance(exc, RequestDataTooBig):
        # Django enforces settings.DATA_UPLOAD_MAX_MEMORY_SIZE when DRF reads the body.
        exc = RequestTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages})

    if isinstance(exc, exceptions.APIException):
        # Only NotAuthenticated/AuthenticationFailed (auth_header, set by the view) and Throttled (wait) carry these.
        if auth_header := getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = auth_header
        if wait := getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(wait))
        set_rollback()
        if isinstance(exc, exceptions.ValidationError):
            errors = flatten_errors(exc.detail if isinstance(exc.detail, Mapping) else {NON_FIELD_ERRORS: exc.detail})
            body = error_body(_summary(errors), errors)
        elif isinstance(exc, Conflict):
            # No state for a case the caller may not see (an external_id another channel used).
            extra = {"state": exc.state} if exc.state is not None else {}
            body = error_body(str(exc.detail), exc.errors, **extra)
        else:
            body = error_body(str(exc.detail))
        return Response(body, status=exc.status_code, headers=headers)

    if settings.DEBUG:
        raise exc
    set_rollback()
    logger.exception("unhandled error in %s", context.get("view").__class__.__name__ if context.get("view") else "API")
    return Response(error_body(_("Internal server error.")), status=status.HTTP_500_INTERNAL_SERVER_ERROR)


@csrf_exempt
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any path under /api/v1/ that matches no endpoint, with any method.

    CSRF-exempt: it changes nothing, and otherwise a POST without a CSRF token would meet
    Django's HTML CSRF page before this JSON 404.
    """
    return JsonResponse(error_body(_("Not found.")), status=status.HTTP_404_NOT_FOUND)
