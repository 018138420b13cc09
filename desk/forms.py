"""Forms of the work desk: intake, and one form per transition built from the transition registry.

Forms parse and type the input and show every problem at once, on its field; the services in
``workflows.services`` check it against the case and write. ``service_kwargs()`` maps a
transition form to its service's keyword arguments.
"""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.models import Category, Cause, Complaint, Department, validate_phone
from complaints.states import Channel, Kind, Severity
from workflows import services
from workflows.transitions import TRANSITIONS, Input, InputKind, Transition

User = get_user_model()


def full_name(user) -> str:
    """How staff are named on the desk: full name, else username."""
    return user.get_full_name() or user.get_username()


DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


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
        input_formats=DATETIME_INPUT_FORMATS,
    )
    sent_to_bank_at = forms.DateTimeField(
        label=_("Sent to the bank at"),
        required=False,
        help_text=_("A regulator referral: when the regulator sent it on to the bank (local time); its clocks start then."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=DATETIME_INPUT_FORMATS,
    )
    # Required by the service's rules unless the regulator referred the case (intake_errors).
    customer_name = forms.CharField(
        label=_("Customer name"), max_length=100, required=False, help_text=_("Optional for a regulator referral.")
    )
    customer_phone = forms.CharField(label=_("Phone"), max_length=32, required=False, validators=[validate_phone])
    customer_email = forms.EmailField(label=_("E-mail"), required=False)
    customer_id_number = forms.CharField(label=_("ID number"), max_length=32, required=False)
    customer_account = forms.CharField(label=_("Account or card number"), max_length=34, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), max_length=100000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))

    def customer(self) -> services.CustomerData:
        data = getattr(self, "cleaned_data", {})
        return services.CustomerData(
            name=data.get("customer_name", ""),
            phone=data.get("customer_phone", ""),
            email=data.get("customer_email", ""),
            id_number=data.get("customer_id_number", ""),
            account=data.get("customer_account", ""),
        )

    def facts(self) -> services.CaseFacts:
        """What the intake carries beyond the customer and the case's text (a referral's date sent on)."""
        data = getattr(self, "cleaned_data", {})
        return services.CaseFacts(sent_to_bank_at=data.get("sent_to_bank_at"))

    def clean(self) -> dict[str, Any]:
        """Intake's own rules too (``services.intake_errors``), so that every problem shows in one pass."""
        data = super().clean() or {}
        rules = services.intake_errors(
            kind=data.get("kind", ""),
            category=data.get("category"),
            subject=data.get("subject", "") if "subject" not in self.errors else "-",
            description=data.get("description", "") if "description" not in self.errors else "-",
            customer=self.customer(),
            received_at=data.get("received_at"),
            now=timezone.now(),
            channel=data.get("channel", ""),
            sent_to_bank_at=data.get("sent_to_bank_at"),
        )
        for field, messages in rules.items():
            if field in self.fields and field not in self.errors:
                for message in messages:
                    self.add_error(field, message)
        return data


# --- transitions ---------------------------------------------------------------------
class PeopleSelect(forms.Select):
    """A select of people whose options carry the departments each works in (``data-departments``).

    The case page's script shows only the people of the department chosen beside it.
    """

    def __init__(self, *args, departments_of: dict[int, list[int]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.departments_of = departments_of or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        key = getattr(value, "value", value)
        if key not in ("", None):
            option["attrs"]["data-departments"] = " ".join(str(d) for d in self.departments_of.get(int(key), []))
        return option


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return full_name(obj)


def people_of(departments) -> tuple[Any, dict[int, list[int]]]:
    """Active people who own or work in any of ``departments``, and the departments of each."""
    department_ids = [d.pk for d in departments]
    people = (
        User.objects.filter(
            Q(owned_departments__in=department_ids) | Q(member_departments__in=department_ids), is_active=True
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
    departments_of: dict[int, list[int]] = {}
    for relation in (Department.owners.through, Department.members.through):
        for user_id, department_id in relation.objects.filter(department_id__in=department_ids).values_list(
            "user_id", "department_id"
        ):
            departments_of.setdefault(user_id, []).append(department_id)
    return people, departments_of


SATISFACTION_CHOICES = [
    (5, _("5 - very satisfied")),
    (4, "4"),
    (3, "3"),
    (2, "2"),
    (1, _("1 - very dissatisfied")),
]


class TransitionForm(forms.Form):
    """Base of the transition forms: knows the case and the user; carries the version seen."""

    transition: Transition
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, complaint: Complaint, user, **kwargs):
        self.complaint = complaint
        self.user = user
        kwargs.setdefault("prefix", self.transition.name)
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = complaint.version
        for spec in self.transition.inputs:
            field = self.fields[spec.name]
            if isinstance(field, forms.ModelChoiceField):
                self._scope(spec, field)

    def _scope(self, spec: Input, field: forms.ModelChoiceField) -> None:
        """Limit choices to what this user may pick on this case."""
        if spec.kind == InputKind.DEPARTMENT:
            departments = selectors.departments_for_user(self.user)
            field.queryset = departments
            if self.complaint.department_id and not self.is_bound:
                self.initial.setdefault(spec.name, self.complaint.department_id)
        elif spec.kind == InputKind.ASSIGNEE:
            people, self._departments_of = people_of(selectors.departments_for_user(self.user))
            field.widget = PeopleSelect(departments_of=self._departments_of)
            field.queryset = people  # also gives the widget its choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        department, assignee = data.get("department"), data.get("assignee")
        if department is not None and assignee is not None:
            if department.pk not in getattr(self, "_departments_of", {}).get(assignee.pk, []):
                self.add_error("assignee", _("The assignee must belong to the department."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        return {spec.name: self.cleaned_data.get(spec.name) for spec in self.transition.inputs}


def _form_field(spec: Input) -> forms.Field:
    """The form field for one transition input (``workflows.transitions.InputKind``)."""
    common: dict[str, Any] = {"label": spec.label, "required": spec.required}
    if spec.help_text and spec.kind not in (InputKind.DEPARTMENT, InputKind.CAUSE, InputKind.CASE):
        common["help_text"] = spec.help_text
    match spec.kind:
        case InputKind.TEXT:
            return forms.CharField(
                max_length=spec.max_length, widget=forms.Textarea(attrs={"rows": spec.rows}), **common
            )
        case InputKind.CHOICE:
            assert spec.choices is not None
            return forms.ChoiceField(choices=[("", "---------"), *spec.choices.choices], **common)
        case InputKind.INTEGER:
            return forms.IntegerField(min_value=spec.min_value, max_value=spec.max_value, **common)
        case InputKind.SCORE:
            return forms.TypedChoiceField(
                coerce=int, choices=SATISFACTION_CHOICES, widget=forms.RadioSelect, **common
            )
        case InputKind.MONEY:
            return forms.DecimalField(max_digits=12, decimal_places=2, min_value=0, **common)
        case InputKind.DEPARTMENT:
            return forms.ModelChoiceField(queryset=Department.objects.none(), **common)
        case InputKind.ASSIGNEE:
            return PersonChoiceField(queryset=User.objects.none(), **common)
        case InputKind.CAUSE:
            return forms.ModelChoiceField(queryset=Cause.objects.filter(is_active=True), **common)
        case InputKind.CASE:
            return forms.CharField(max_length=spec.max_length, **common)
    raise ValueError(f"no form field for input kind {spec.kind!r}")


def _case_cleaner(name: str):
    """``clean_<name>`` for a case input: the reference of a case this user can see."""

    def clean(self: TransitionForm) -> Complaint:
        reference = self.cleaned_data[name].strip().upper()
        try:
            return selectors.complaint_get_for_user(self.user, reference=reference)
        except Complaint.DoesNotExist:
            raise forms.ValidationError(
                _("No case %(reference)s that you can see."), params={"reference": reference}
            ) from None

    return clean


def transition_form(transition: Transition) -> type[TransitionForm]:
    """The form of one transition, its fields in the registry's order."""
    attrs: dict[str, Any] = {spec.name: _form_field(spec) for spec in transition.inputs}
    attrs["transition"] = transition
    for spec in transition.inputs:
        if spec.kind == InputKind.CASE:
            attrs[f"clean_{spec.name}"] = _case_cleaner(spec.name)
    name = "".join(part.capitalize() for part in transition.name.split("_")) + "Form"
    return type(name, (TransitionForm,), attrs)


TRANSITION_FORMS: dict[str, type[TransitionForm]] = {
    name: transition_form(transition) for name, transition in TRANSITIONS.items()
}
