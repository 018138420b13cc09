"""REST API of the reports: ``GET /api/v1/reports/`` and ``GET /api/v1/reports/{id}/pdf/``.

Supervisors read every report, department owners their departments' (``reports.selectors``);
another department's report looks missing.

``config/urls.py`` mounts these under ``api/v1/reports/``, ahead of the case API, whose
catch-all answers every other path under ``api/v1/`` with a JSON 404.
"""
from __future__ import annotations

from django.http import FileResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from reports.models import Report
from reports.selectors import report_list_for_user

from .permissions import ReadsReports
from .views import READ_ERRORS, errors


class ReportSerializer(serializers.ModelSerializer):
    """A stored biweekly report; the PDF itself is at ``pdf``."""

    generated_by = serializers.CharField(source="generated_by_label", read_only=True, help_text="Username, or system.")
    department: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The department's code; null for the whole bank's report."
    )
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "period_start",
            "period_end",
            "language",
            "department",
            "sha256",
            "size",
            "page_count",
            "generated_at",
            "generated_by",
            "pdf",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf(self, report: Report) -> str:
        return reverse("api-report-pdf", args=[report.pk], request=self.context.get("request"))


class ReportListView(APIView):
    """The stored reports the user may read, newest period first."""

    permission_classes = [IsAuthenticated, ReadsReports]

    @extend_schema(operation_id="reports_list", responses={200: ReportSerializer(many=True), **errors(*READ_ERRORS)})
    def get(self, request: Request) -> Response:
        reports = report_list_for_user(request.user).order_by("-period_start", "department__code", "language")
        return Response(ReportSerializer(reports, many=True, context={"request": request}).data)


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``; the PDF itself is streamed as a file."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


class ReportPdfView(APIView):
    """One report's PDF file."""

    permission_classes = [IsAuthenticated, ReadsReports]
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        operation_id="reports_pdf_retrieve",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The report's id."),
            # The file is always the PDF; DRF's ?format= override has nothing to choose here.
            OpenApiParameter("format", exclude=True),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **errors(404, *READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        report = report_list_for_user(request.user).filter(pk=pk).first()
        name = report.file.name if report is not None else None  # an empty FileField has no name (falsy)
        if report is None or not name or not report.file.storage.exists(name):
            raise NotFound(_("No such report."))
        return FileResponse(
            report.file.open("rb"), content_type="application/pdf", as_attachment=True, filename=report.filename
        )


urlpatterns = [
    path("", ReportListView.as_view(), name="api-reports"),
    path("<int:pk>/pdf/", ReportPdfView.as_view(), name="api-report-pdf"),
]
