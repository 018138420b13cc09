"""Bulk intake: ``POST /api/v1/complaints/bulk/`` (PRODUCT section 5). Being built (issue 13)."""
from __future__ import annotations

from rest_framework.views import APIView


class ComplaintBulkView(APIView):
    """Up to 1,000 intakes in one request, answered per item."""
