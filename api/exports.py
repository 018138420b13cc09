"""The case list as a file: ``GET /api/v1/complaints/export/`` (CSV or XLSX). Being built (issue 13)."""
from __future__ import annotations

from rest_framework.views import APIView


class ComplaintExportView(APIView):
    """The cases the list would show, in the columns ``import_complaints`` reads."""
