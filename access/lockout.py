"""What a locked-out login is answered (``AXES_LOCKOUT_CALLABLE``).

The API's token view answers a lockout itself, in the API's one error shape (429); that
answer is kept. Everyone else (the admin's login page) gets the lockout page.
"""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from rest_framework.response import Response


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None, credentials=None) -> HttpResponse:
    if isinstance(original_response, Response):
        return original_response
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else None
    response = TemplateResponse(
        request,
        "access/lockout.html",
        {"cooloff_minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response.render()
