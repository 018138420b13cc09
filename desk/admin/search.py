"""Finding a case in the list: reference and text search (``?q=``)."""
from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import normalize_phone


class CaseSearchMixin:
    """The case list's search (``ComplaintAdmin``)."""

    search_fields = ("reference",)
    search_help_text = _("Reference (C-20261124-000001, or part of it) or the customer's exact phone number.")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(reference__icontains=term)
        digits = sum(ch.isdigit() for ch in term)
        if digits >= 6 and not term.upper().startswith("C-"):
            condition |= Q(customer_phone=normalize_phone(term))
        return queryset.filter(condition), False
