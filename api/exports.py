"""The case list as a file: ``GET /api/v1/complaints/export/?format=csv|xlsx`` plus the list's filters.

The cases are those the list would show the user (``api.views._filtered_cases``), every one of
them, not a page; the columns are the ones ``import_complaints --format csv`` reads
(``workflows.imports.columns``), customer identifiers masked on the rows of cases the user may
not handle (``selectors.user_may_see_pii``). A CSV streams; an XLSX is written to a temporary
file first and refused above ``XLSX_MAX_ROWS`` cases.

``format`` names the file here. DRF reads a ``format`` query parameter to pick a renderer
(``URL_FORMAT_OVERRIDE``) and would answer ``?format=csv`` with a 404; this view's content
negotiation ignores it (and the Accept header): the file is the answer, and every error is JSON
in the one error shape.
"""
from __future__ import annotations

import tempfile

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from complaints import roles, selectors
from workflows.imports import export

from . import serializers as s
from .pagination import ORDER_BY
from .views import READ_ERRORS, _filtered_cases, errors

FORMATS = ("csv", "xlsx")
FILE_DESCRIPTION = "The cases as a file (an attachment named cases-YYYY-MM-DD.csv or .xlsx), as `format` asks."


class ComplaintExportQuerySerializer(s.ComplaintListQuerySerializer):
    """The list's filters and ordering, and the file's format; no paging (the file holds every case)."""

    format = serializers.ChoiceField(
        choices=[(name, name) for name in FORMATS],
        default="csv",
        help_text=gettext_lazy("csv (UTF-8 with a byte order mark; streamed) or xlsx (one sheet)."),
    )

    def get_fields(self):
        # The list's paging parameters are not parameters of the export (an unknown parameter is a 400).
        fields = super().get_fields()
        for name in ("page_size", "cursor", "count"):
            del fields[name]
        return fields


class FileContentNegotiation(BaseContentNegotiation):
    """The view answers with a file it builds itself; errors are JSON whatever ``format`` or Accept say."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class MayExportCases(BasePermission):
    """Customer service, department people and supervisors; not channel systems, which read only their own status."""

    message = gettext_lazy("Only customer service, department people and supervisors may export cases.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if roles.is_channel_system(user):
            return False
        return roles.sees_all_cases(user) or bool(roles.group_names(user) & {roles.DEPT_OWNER, roles.DEPT_MEMBER})


class ComplaintExportView(APIView):
    """The cases the list would show, in the columns ``import_complaints`` reads."""

    permission_classes = [IsAuthenticated, MayExportCases]
    content_negotiation_class = FileContentNegotiation

    @extend_schema(
        operation_id="complaints_export",
        summary="Export the case list as CSV or XLSX",
        description=(
            "Every case the list would show with the same filters (not one page), in the columns "
            "`import_complaints --format csv` reads. Customer identifiers are masked on the rows of cases "
            "the user may not handle. `format=csv` (the default) streams UTF-8 with a byte order mark; "
            f"`format=xlsx` holds at most {export.XLSX_MAX_ROWS:,} cases (more is a 400: narrow the filters "
            "or ask for CSV). In the CSV a cell that begins with `=`, `+`, `-`, `@`, a tab, a carriage return "
            "or an apostrophe carries one extra leading apostrophe, so that no spreadsheet reads it as a "
            "formula; `import_complaints` removes it. Channel systems may not export (403)."
        ),
        parameters=[ComplaintExportQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=FILE_DESCRIPTION),
            (200, export.XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description=FILE_DESCRIPTION),
            **errors(400, *READ_ERRORS),
        },
    )
    def get(self, request: Request) -> HttpResponseBase:
        repeated = [name for name, values in request.query_params.lists() if len(values) > 1]
        if repeated:
            raise ApiValidationError({name: [_("Give this parameter once.")] for name in repeated})
        query = ComplaintExportQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        user = request.user
        queryset = _filtered_cases(user, query.validated_data).order_by(*ORDER_BY[query.validated_data["ordering"]])

        def show_pii(case) -> bool:
            return selectors.user_may_see_pii(user, case)

        if query.validated_data["format"] == "xlsx":
            return xlsx_response(queryset, show_pii)
        return csv_response(queryset, show_pii)


def csv_response(queryset, show_pii: export.ShowPii) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.csv_chunks(export.export_cases(queryset), show_pii), content_type=export.CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{export.export_filename("csv")}"'
    response["Cache-Control"] = "no-store"  # customer details
    return response


def xlsx_response(queryset, show_pii: export.ShowPii) -> FileResponse:
    total = queryset.count()
    if total > export.XLSX_MAX_ROWS:
        raise ApiValidationError({"format": [export.xlsx_limit_message(total)]})
    file = tempfile.TemporaryFile()
    export.write_xlsx(export.export_cases(queryset), show_pii, file)
    file.seek(0)
    response = FileResponse(file, as_attachment=True, filename=export.export_filename("xlsx"), content_type=export.XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
