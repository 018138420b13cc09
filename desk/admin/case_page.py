"""The case page and intake: where a case stands, what this user may do now, and its history.

The page is one screen: a header with the running clocks, the extension in words, state,
department and assignee; a panel per transition this user may take, inline; the timeline,
newest first; then what the case is about and who the customer is. Nothing here edits a
case directly: intake and every transition call ``workflows.services``.
"""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import conditions, selectors
from complaints.masking import mask_account, mask_email, mask_id_number, mask_name, mask_phone
from complaints.models import Complaint
from complaints.states import UNRESOLVED_STATES, Channel, ComplaintState, ExtensionStatus
from workflows import clocks, services
from workflows.transitions import TRANSITIONS, available_transitions

from ..badges import running_clocks
from ..forms import TRANSITION_FORMS, IntakeForm, TransitionForm, full_name
from ..timeline import local_moment, timeline
from .base import CaseAdminBase


def extension_in_words(case: Complaint) -> str:
    """Where an extension stands, as staff say it; empty when none was asked for."""
    days = case.extension_requested_days or 0
    if case.extension_status == ExtensionStatus.PENDING:
        if case.extension_requires_supervisor:
            return gettext("Extension of %(days)d days waiting for a supervisor.") % {"days": days}
        return gettext("Extension of %(days)d days waiting for the department owner.") % {"days": days}
    if case.extension_status == ExtensionStatus.APPROVED:
        return gettext("Extension of %(days)d days approved.") % {"days": days}
    if case.extension_status == ExtensionStatus.DENIED:
        return gettext("Extension of %(days)d days refused.") % {"days": days}
    return ""


def _shown(rows: list[tuple[Any, Any]]) -> list[tuple[str, str]]:
    """Label and value as text, with empty fields left out."""
    return [(str(label), str(value)) for label, value in rows if value not in ("", None)]


def _customer_rows(case: Complaint, *, show_pii: bool) -> list[tuple[str, str]]:
    """Who the customer is: identifiers masked unless ``show_pii``; region and tags (not PII) as they are."""
    identifiers = [
        (_("Name"), case.customer_name, mask_name),
        (_("Phone"), case.customer_phone, mask_phone),
        (_("E-mail"), case.customer_email, mask_email),
        (_("ID number"), case.customer_id_number, mask_id_number),
        (_("Account"), case.customer_account, mask_account),
    ]
    rows: list[tuple[Any, Any]] = [(label, value if show_pii else mask(value)) for label, value, mask in identifiers if value]
    rows += [
        (_("Region"), case.customer_region),
        (_("Tags"), ", ".join(case.customer_tags or [])),
    ]
    return _shown(rows)


def _classification_rows(case: Complaint) -> list[tuple[str, str]]:
    """What the case is about as its source classified it (beside our category), empty fields left out."""
    return _shown([
        (_("Product"), case.product),
        (_("Sub-product"), case.sub_product),
        (_("Issue"), case.issue),
        (_("Sub-issue"), case.sub_issue),
        (_("Company or branch"), case.company),
    ])


def _yes_no(value: bool | None) -> str:
    if value is None:
        return gettext("not recorded")
    return gettext("yes") if value else gettext("no")


def _referral_rows(case: Complaint) -> list[tuple[str, str]]:
    """A regulator referral: how it reached the regulator and the bank, and what the regulator was told.

    Empty for a case that is not a referral and carries none of these facts. Whether the
    response was timely is shown as "not recorded" when unknown; other empty fields are left out.
    """
    is_referral = case.channel == Channel.REGULATOR or any(
        (case.submitted_via, case.sent_to_bank_at, case.company_response, case.public_response, case.narrative_consent)
    ) or case.timely_response is not None or case.consumer_disputed is not None
    if not is_referral:
        return []
    rows: list[tuple[Any, Any]] = [
        (_("Submitted to the regulator via"), case.get_submitted_via_display()),
        (_("Sent to the bank"), local_moment(case.sent_to_bank_at)),
        (_("Response reported to the regulator"), case.company_response),
        (_("Public response"), case.public_response),
        (_("Timely response"), _yes_no(case.timely_response)),
        (_("Customer disputed the response"), "" if case.consumer_disputed is None else _yes_no(case.consumer_disputed)),
        (_("Consent to publish the narrative"), case.get_narrative_consent_display()),
    ]
    return _shown(rows)


def _no_contact_note(case: Complaint) -> str:
    """That nobody can be called back, for a case with no phone or e-mail; empty otherwise."""
    if not conditions.has_no_contact(case):
        return ""
    if case.state in UNRESOLVED_STATES:
        return gettext(
            "No phone number or e-mail address: the customer cannot be called back. "
            "Once resolved, the case closes without call-back."
        )
    if case.state == ComplaintState.RESOLVED:
        return gettext(
            "No phone number or e-mail address: the customer cannot be called back. Close the case without call-back."
        )
    return gettext("No phone number or e-mail address: the customer cannot be called back.")


def _detail_rows(case: Complaint) -> list[tuple[str, str]]:
    """What the case carries beyond its header, with empty fields left out."""
    rows: list[tuple[Any, Any]] = [
        (_("Category"), case.category),
        (_("Channel"), case.get_channel_display()),
        (_("Received"), local_moment(case.received_at)),
        (_("Logged"), local_moment(case.created_at)),
        (_("Logged by"), full_name(case.created_by) if case.created_by else ""),
        (_("External ID"), case.external_id),
        (_("First response"), local_moment(case.first_responded_at)),
        (_("How the customer was first contacted"), case.get_first_response_method_display()),
        (_("Resolved"), local_moment(case.resolved_at)),
        (_("Outcome"), case.get_outcome_display()),
        (_("Root cause"), case.cause or ""),
        (_("Decision and what was done"), case.resolution_summary),
        (_("Compensation"), case.compensation if case.compensation is not None else ""),
        (_("Failed call-back attempts"), case.callback_attempts or ""),
        (_("Times reopened"), case.reopen_count or ""),
        (_("Satisfaction"), f"{case.satisfaction} / 5" if case.satisfaction else ""),
        (_("Review notes"), case.review_notes),
        (_("Closure"), case.get_closure_display()),
        (_("Closed"), local_moment(case.closed_at)),
        (_("Merged into"), case.duplicate_of or ""),
        (_("Escalation level"), case.escalation_level or ""),
        (_("Imported"), local_moment(case.imported_at)),
    ]
    return _shown(rows)


class CasePageMixin(CaseAdminBase):
    """Intake, the case page and its transitions (``ComplaintAdmin``)."""

    def get_urls(self):
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="complaints_complaint_transition",
            ),
            *super().get_urls(),
        ]

    # --- the page ----------------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        if case is None:  # Django's own "does not exist" message and redirect
            return super().change_view(request, object_id, form_url, extra_context)
        if request.method == "POST":
            raise PermissionDenied  # a case changes only through its transitions
        return self.render_case(request, case)

    def history_view(self, request, object_id, extra_context=None):
        """HISTORY opens the case's timeline."""
        if self.get_object(request, object_id) is None:
            raise Http404
        return HttpResponseRedirect(reverse("admin:complaints_complaint_change", args=[object_id]) + "#timeline")

    def render_case(
        self, request: HttpRequest, case: Complaint, *, open_form: TransitionForm | None = None, status: int = 200
    ) -> HttpResponse:
        offered = available_transitions(case, request.user)
        panels = []
        for transition in offered:
            if open_form is not None and open_form.transition.name == transition.name:
                form: Form = open_form
            else:
                form = TRANSITION_FORMS[transition.name](complaint=case, user=request.user)
            panels.append({"transition": transition, "form": form, "open": form is open_form})
        events = selectors.complaint_events_for_user(request.user, case).order_by("-created_at", "-id")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": case,
            "title": f"{case.reference} · {case.subject}",
            "clocks": running_clocks(case),
            "calendar_gaps": clocks.calendar_gap_years(case) if clocks.RESOLUTION.columns.runs_on(case) else [],
            "extension": extension_in_words(case),
            "assignee": full_name(case.assignee) if case.assignee else "",
            "panels": panels,
            "transitions": [(t.name, t.label) for t in offered],
            "entries": timeline(events),
            "customer_rows": _customer_rows(case, show_pii=selectors.user_may_see_pii(request.user, case)),
            "detail_rows": _detail_rows(case),
            "classification_rows": _classification_rows(case),
            "referral_rows": _referral_rows(case),
            "no_contact": _no_contact_note(case),
            # Other cases are matched on these (complaints.customers); with none, there is nothing to show.
            "has_identifiers": any((case.customer_phone, case.customer_email, case.customer_id_number)),
            **self.customer_history_context(request, case),
        }
        return TemplateResponse(request, "admin/complaints/complaint/case.html", context, status=status)

    def customer_history_context(self, request: HttpRequest, case: Complaint) -> dict[str, Any]:
        """The same customer's other cases (``CaseSearchMixin`` provides it; nothing by default)."""
        return {}

    # --- transitions -------------------------------------------------------------------
    def transition_view(self, request, object_id, name):
        """GET opens the action's panel on the case page; POST takes the action."""
        case = self.get_object(request, object_id)
        if case is None or name not in TRANSITIONS:
            raise Http404
        change_url = reverse("admin:complaints_complaint_change", args=[case.pk])
        transition = TRANSITIONS[name]
        if not transition.is_available(case, request.user) and request.method == "GET":
            messages.error(request, gettext("That action is not available for this case now."))
            return HttpResponseRedirect(change_url)
        if request.method != "POST":
            form = TRANSITION_FORMS[name](complaint=case, user=request.user)
            return self.render_case(request, case, open_form=form)
        form = TRANSITION_FORMS[name](request.POST, complaint=case, user=request.user)
        if not form.is_valid():
            return self.render_case(request, case, open_form=form)
        try:
            transition.service(
                complaint=case,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
            return self.render_case(request, case, open_form=form)
        except services.CaseChanged as exc:
            # Show the case as it is now, with what the user typed kept and the version they
            # have now seen, so that submitting again applies it to the current case.
            current = self.get_object(request, object_id)
            if current is None:  # moved out of this user's sight meanwhile
                raise Http404 from exc
            data = request.POST.copy()
            data[form.add_prefix("version")] = str(current.version)
            kept = TRANSITION_FORMS[name](data, complaint=current, user=request.user)
            kept.is_valid()
            kept.add_error(
                None,
                gettext("%(reason)s What you typed is kept below: check the timeline, then submit again.")
                % {"reason": exc.message},
            )
            return self.render_case(request, current, open_form=kept, status=409)
        except services.WorkflowError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(change_url)
        messages.success(
            request,
            gettext("%(action)s: done for %(reference)s.") % {"action": transition.label, "reference": case.reference},
        )
        return HttpResponseRedirect(change_url)

    # --- intake ------------------------------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IntakeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                case, _created = services.complaint_create(
                    actor=request.user,
                    kind=data["kind"],
                    channel=data["channel"],
                    severity=data["severity"],
                    category=data["category"],
                    subject=data["subject"],
                    description=data["description"],
                    received_at=data["received_at"],
                    customer=form.customer(),
                    facts=form.facts(),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, gettext("Case %(reference)s logged.") % {"reference": case.reference})
                return HttpResponseRedirect(reverse("admin:complaints_complaint_change", args=[case.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Log a case"),
            "form": form,
            "submit_label": gettext("Log the case"),
            **self.intake_context(request),
        }
        return TemplateResponse(request, "admin/complaints/complaint/intake.html", context)

    def intake_context(self, request: HttpRequest) -> dict[str, Any]:
        """Extra context for the intake page (``CaseSearchMixin`` adds the customer-history lookup)."""
        return {}


def _add_errors(form, exc: ValidationError) -> None:
    """Put a service's field errors on the form's fields (unknown fields become form errors)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)
