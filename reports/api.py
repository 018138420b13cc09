"""REST API of the reports: ``GET /api/v1/reports/`` and ``GET /api/v1/reports/{id}/pdf/`` (supervisors only).

Routed by ``reports.api.urlpatterns``; ``config/urls.py`` includes them under ``api/v1/reports/``
ahead of the case API's catch-all.
"""
from __future__ import annotations

from django.http import FileResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from complaints.api.permissions import IsSupervisor

from .models import Report


class ReportSerializer(serializers.ModelSerializer):
    generated_by = serializers.CharField(source="generated_by_label", read_only=True)
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "period_start",
            "period_end",
            "language",
            "sha256",
            "size",
            "page_count",
            "generated_at",
            "generated_by",
            "pdf",
        ]
        read_only_fields = fields

    def get_pdf(self, report: Report) -> str:
        return reverse("api-report-pdf", args=[report.pk], request=self.context.get("request"))


class ReportListView(generics.ListAPIView):
    """Every stored report, newest period first; ``generated_by`` is a username or ``system``."""

    serializer_class = ReportSerializer
    permission_classes = [IsAuthenticated, IsSupervisor]
    queryset = Report.objects.select_related("generated_by").order_by("-period_start", "language")
    pagination_class = None


class ReportPdfView(APIView):
    """The report's PDF (``application/pdf``)."""

    permission_classes = [IsAuthenticated, IsSupervisor]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> FileResponse:
        report = Report.objects.filter(pk=pk).first()
        if report is None or not report.file:
            raise NotFound()
        return FileResponse(report.file.open("rb"), filename=report.filename, content_type="application/pdf")


urlpatterns = [
    path("", ReportListView.as_view(), name="api-reports"),
    path("<int:pk>/pdf/", ReportPdfView.as_view(), name="api-report-pdf"),
]
