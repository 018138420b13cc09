"""Cursor pagination of the case list: constant cost per page, whatever the table's size.

The total (``count``) costs a count query over every matching case, so a page carries it
only when the view asks for it (``?count=true`` on the list).
"""
from __future__ import annotations

import re
from typing import Any, cast

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from .serializers import MAX_PAGE_SIZE

REFERENCE_RE = re.compile(r"^[A-Za-z0-9-]{1,20}$")

# Ordering parameter -> the ORDER BY it means; the last column breaks ties.
ORDER_BY = {
    "-received_at": ("-received_at", "-id"),
    "received_at": ("received_at", "id"),
    "-reference": ("-reference",),
    "reference": ("reference",),
}


def _is_datetime(value: str) -> bool:
    try:
        return parse_datetime(value) is not None
    except ValueError:
        return False


class ComplaintCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ORDER_BY["-received_at"]
    # A lazy string, as DRF's own default is; the stub types the attribute as str.
    invalid_cursor_message = _("Invalid cursor.")  # type: ignore[assignment]

    count: int | None = None

    def get_ordering(self, request, queryset, view):
        return ORDER_BY[getattr(view, "ordering", "-received_at")]

    def paginate_queryset(self, queryset, request, view=None):
        # The view sets with_count from the validated ?count= parameter.
        self.count = queryset.count() if getattr(view, "with_count", False) else None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data) -> Response:
        body: dict[str, Any] = {"next": self.get_next_link(), "previous": self.get_previous_link()}
        if self.count is not None:
            body["count"] = self.count
        body["results"] = data
        return Response(body)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response_schema = super().get_paginated_response_schema(schema)
        properties = response_schema["properties"]
        response_schema["properties"] = {
            "next": properties["next"],
            "previous": properties["previous"],
            "count": {
                "type": "integer",
                "minimum": 0,
                "description": str(_("Only with ?count=true: how many cases match the filters, on all pages.")),
            },
            "results": properties["results"],
        }
        return response_schema

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [self.invalid_cursor_message]}) from None
        if cursor is not None and cursor.position is not None:
            # DRF decodes the position from the query string, so it is a str; the stub says int.
            position = cast(str, cursor.position)
            field = self.ordering[0].lstrip("-")
            valid = _is_datetime(position) if field == "received_at" else bool(REFERENCE_RE.match(position))
            if not valid:
                raise ValidationError({"cursor": [self.invalid_cursor_message]})
        return cursor
