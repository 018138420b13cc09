"""Finding a case in the list: text search (``?q=``) and the customer search, which keeps identifiers out of URLs.

The customer search is a POST; its criteria stay in the session under a random token and the
list is shown at ``?customer=<token>``. No ``customer_*`` field can be filtered from the query
string. The intake form asks ``customer-history/`` (POST) for the customer's other cases.
"""
from __future__ import annotations

import secrets

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import customers, search
from complaints.models import Complaint

from .base import CaseAdminBase

SESSION_KEY = "case_customer_searches"
SEARCHES_KEPT = 10  # per session; older tokens expire
CUSTOMER_VAR = "customer"
HISTORY_TEMPLATE = "admin/complaints/complaint/_customer_history.html"


class CustomerSearchForm(forms.Form):
    """Who to look for; at least one field. Values are only ever POSTed, never put in a link."""

    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=32, required=False)
    account = forms.CharField(label=_("Account or card number"), max_length=34, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["autocomplete"] = "off"

    def clean(self):
        data = super().clean() or {}
        if not any(str(value).strip() for value in data.values()):
            raise forms.ValidationError(_("Fill in at least one of name, phone, e-mail, ID number or account."))
        return data


def _saved_searches(request) -> dict:
    return request.session.get(SESSION_KEY, {})


def customer_search_save(request, criteria: dict[str, str]) -> str:
    """Keep ``criteria`` in the session and return the opaque token that names them."""
    token = secrets.token_urlsafe(16)
    saved = dict(_saved_searches(request))
    saved[token] = {key: value.strip() for key, value in criteria.items() if value.strip()}
    request.session[SESSION_KEY] = dict(list(saved.items())[-SEARCHES_KEPT:])
    return token


class CustomerSearchFilter(admin.SimpleListFilter):
    """``?customer=<token>``: the cases matching the customer search saved under that token."""

    title = _("customer")
    parameter_name = CUSTOMER_VAR

    def lookups(self, request, model_admin):
        token = self.value()
        return [(token, _("The customer searched for"))] if token else []

    def queryset(self, request, queryset):
        token = self.value()
        if not token:
            return queryset
        criteria = _saved_searches(request).get(token)
        condition = customers.customer_cases_q(**criteria) if criteria else None
        if condition is None:
            request._case_search_notice = gettext("That customer search has expired: search again.")
            return queryset.none()
        return queryset.filter(condition)


def customer_history_context(request, complaint: Complaint | None = None, **identifiers) -> dict:
    """The context of ``_customer_history.html``: ``customer_cases``, ``duplicates``, ``case``, ``can_merge``.

    With ``complaint``, its own identifiers and category; otherwise ``phone``, ``email``,
    ``id_number`` and ``category`` as typed at intake (then no merge forms).
    """
    from complaints import selectors

    category = identifiers.pop("category", None)
    customer_cases = customers.other_cases_of_customer(request.user, complaint, **identifiers)
    duplicates = customers.likely_duplicates(request.user, complaint, category=category, **identifiers)
    can_merge = complaint is not None and "merge" in selectors.available_transitions(complaint, request.user)
    return {
        "case": complaint,
        "customer_cases": list(customer_cases),
        "duplicates": list(duplicates),
        "can_merge": can_merge,
    }


class CaseSearchMixin(CaseAdminBase):
    """The case list's search (``ComplaintAdmin``)."""

    search_fields = ("reference",)  # the search box shows; get_search_results does the work
    search_help_text = _(
        "Reference (or part of it), or words from the subject or description (3 characters or more, 2 in "
        "Chinese). Phone, e-mail, ID and account numbers are not searched here: use the customer search."
    )

    # --- ?q= ------------------------------------------------------------------------------
    def get_search_results(self, request, queryset, search_term):
        term = search.normalize_term(search_term)
        if term and search.looks_like_customer_identifier(term):
            request._case_search_notice = gettext(
                "That looks like a customer's phone, e-mail, ID or account number. The text search does not "
                "look at customer details: use the customer search, which keeps them out of the address bar."
            )
        elif term and not search.searches_text(term):
            request._case_search_notice = gettext(
                "Short terms are looked for in references only; type 3 characters or more (2 in Chinese) "
                "to search subjects and descriptions."
            )
        return search.complaint_search(queryset, term), False

    # --- ?customer=<token>, and nothing else about customers -----------------------------
    def get_list_filter(self, request):
        return (*super().get_list_filter(request), CustomerSearchFilter)

    def lookup_allowed(self, lookup, value, request=None):
        if any(part.startswith("customer_") for part in lookup.split("__")):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except DisallowedModelAdminLookup as exc:  # the admin's "?e=1" refusal, without the parameters
            raise IncorrectLookupParameters(str(exc)) from exc

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "customer_search_form": CustomerSearchForm(),
            "customer_search_url": reverse("admin:complaints_complaint_customer_search"),
            "customer_search_active": bool(request.GET.get(CUSTOMER_VAR)),
        }
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context["search_notice"] = getattr(request, "_case_search_notice", "")
            searched = request.GET.get(SEARCH_VAR, "").strip() or request.GET.get(CUSTOMER_VAR)
            if searched and context["cl"].result_count == 0:
                context["search_empty_message"] = gettext("No case matches this search.")
        return response

    # --- the customer search and the intake's history fragment ---------------------------
    def customer_history_context(self, request, case: Complaint) -> dict:
        """The case page's ``_customer_history.html`` context (see ``customer_history_context``)."""
        return customer_history_context(request, case)

    def intake_context(self, request) -> dict:
        """Intake looks up the customer's other cases as identifiers are typed (``case.js``)."""
        return {"customer_history_url": reverse("admin:complaints_complaint_customer_history")}

    def get_urls(self):
        return [
            path(
                "customer-search/",
                self.admin_site.admin_view(self.customer_search_view),
                name="complaints_complaint_customer_search",
            ),
            path(
                "customer-history/",
                self.admin_site.admin_view(self.customer_history_view),
                name="complaints_complaint_customer_history",
            ),
            *super().get_urls(),
        ]

    def customer_search_view(self, request):
        """POST name/phone/email/id_number/account; redirect to the list at ``?customer=<token>``."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:complaints_complaint_changelist")
        if request.method != "POST":
            return HttpResponseRedirect(changelist)
        form = CustomerSearchForm(request.POST)
        if not form.is_valid():
            for message in form.non_field_errors():
                messages.error(request, str(message))
            return HttpResponseRedirect(changelist)
        token = customer_search_save(request, form.cleaned_data)
        return HttpResponseRedirect(f"{changelist}?{CUSTOMER_VAR}={token}")

    def customer_history_view(self, request):
        """POST phone/email/id_number/category (from the intake form); the history fragment, without merge forms."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_add_permission(request) or self.has_view_permission(request)):
            raise PermissionDenied
        category = request.POST.get("category", "").strip()
        context = customer_history_context(
            request,
            phone=request.POST.get("phone", "") if customers.phone_is_valid(request.POST.get("phone", "")) else "",
            email=request.POST.get("email", ""),
            id_number=request.POST.get("id_number", ""),
            category=int(category) if category.isdigit() else None,
        )
        context["intake"] = True
        return TemplateResponse(request, HISTORY_TEMPLATE, context)
