"""Forms for the admin: intake, and one small form per transition.

Forms parse and type the input; the services in ``workflows.services`` validate it
against the case and do the write. ``service_kwargs()`` maps a form to its service.
"""
from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.models import Category, Cause, Complaint, Department, validate_phone
from complaints.states import TRANSITION_LABELS, Channel, ContactMethod, Kind, Outcome, Severity  # noqa: F401


class IntakeForm(forms.Form):
    """What customer service types when a customer calls, writes or walks in."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.COMPLAINT)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True))
    received_at = forms.DateTimeField(
        label=_("Received at"),
        help_text=_("When the bank received it (local time); now unless it was logged later."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    customer_name = forms.CharField(label=_("Customer name"), max_length=100)
    customer_phone = forms.CharField(label=_("Phone"), max_length=32, required=False, validators=[validate_phone])
    customer_email = forms.EmailField(label=_("E-mail"), required=False)
    customer_id_number = forms.CharField(label=_("ID number"), max_length=32, required=False)
    customer_account = forms.CharField(label=_("Account or card number"), max_length=34, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), max_length=10000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))


class TransitionForm(forms.Form):
    """Base for transition forms: knows the case and the user; carries the version seen."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, complaint: Complaint, user, **kwargs):
        self.complaint = complaint
        self.user = user
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = complaint.version

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class AssignForm(TransitionForm):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=get_user_model().objects.none(), required=False,
        help_text=_("Optional: a person in that department."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = selectors.departments_for_user(self.user)
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(Q(owned_departments__isnull=False) | Q(member_departments__isnull=False), is_active=True)
            .distinct()
            .order_by("username")
        )


class ReassignForm(AssignForm):
    note = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RespondForm(TransitionForm):
    method = forms.ChoiceField(label=_("How the customer was contacted"), choices=ContactMethod.choices)
    message = forms.CharField(label=_("What the customer was told"), widget=forms.Textarea(attrs={"rows": 4}))


class RequestExtensionForm(TransitionForm):
    days = forms.IntegerField(label=_("Extra days"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("Why more time is needed"), widget=forms.Textarea(attrs={"rows": 3}))


class ApproveExtensionForm(TransitionForm):
    customer_notified_by = forms.ChoiceField(
        label=_("How the customer was told of the new deadline"), choices=ContactMethod.choices
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReasonForm(TransitionForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(TransitionForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    cause = forms.ModelChoiceField(label=_("Root cause"), queryset=Cause.objects.filter(is_active=True))
    summary = forms.CharField(label=_("Decision and what was done"), widget=forms.Textarea(attrs={"rows": 4}))
    compensation = forms.DecimalField(
        label=_("Compensation"), max_digits=12, decimal_places=2, min_value=0, required=False
    )


class NotesForm(TransitionForm):
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CallbackAttemptForm(TransitionForm):
    note = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class CloseForm(NotesForm):
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        coerce=int,
        choices=[(5, _("5 - very satisfied")), (4, "4"), (3, "3"), (2, "2"), (1, _("1 - very dissatisfied"))],
    )


class MergeForm(TransitionForm):
    into = forms.CharField(label=_("Reference of the case to merge into"), max_length=20)

    def clean_into(self) -> Complaint:
        reference = self.cleaned_data["into"].strip().upper()
        try:
            return selectors.complaint_get_for_user(self.user, reference=reference)
        except Complaint.DoesNotExist:
            raise forms.ValidationError(_("No case %(reference)s that you can see."), params={"reference": reference}) from None


TRANSITION_FORMS: dict[str, type[TransitionForm]] = {
    "assign": AssignForm,
    "reassign": ReassignForm,
    "respond": RespondForm,
    "request_extension": RequestExtensionForm,
    "approve_extension": ApproveExtensionForm,
    "deny_extension": ReasonForm,
    "resolve": ResolveForm,
    "record_callback_attempt": CallbackAttemptForm,
    "close": CloseForm,
    "close_unreachable": NotesForm,
    "reopen": ReasonForm,
    "reject": ReasonForm,
    "merge": MergeForm,
    "withdraw": ReasonForm,
}
