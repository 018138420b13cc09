"""What goes in and out of the API: intake, case views, events, reference data, one serializer per transition.

Write fields take stable codes (department, category, cause), references (cases) and
usernames (assignees). Customer PII is masked unless the view says the user may see it.
"""
from __future__ import annotations

import copy
import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints import masking, selectors
from complaints.models import Category, Cause, Complaint, ComplaintEvent, Department
from complaints.states import (
    Channel,
    Closure,
    ComplaintState,
    ContactMethod,
    ExtensionStatus,
    Kind,
    NarrativeConsent,
    Outcome,
    Severity,
)
from workflows import services
from workflows.transitions import TRANSITIONS, Input, InputKind, Transition

from . import lookups

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ORDERINGS = ("-received_at", "received_at", "-reference", "reference")
MAX_PAGE_SIZE = 200


class StrictCharField(serializers.CharField):
    """A JSON string only: numbers and booleans are refused rather than turned into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: "5" (a string) and true are refused."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, (int, float)) or (isinstance(data, float) and not data.is_integer()):
            self.fail("invalid")
        return super().to_internal_value(data)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time with its time zone; a bare date or a time without a zone is refused.

    DRF's own field reads both as the server's local time without a word; a channel that
    forgot its offset would log a case hours off (and a date alone as its midnight).
    """

    default_error_messages = {
        "date_only": _("Give a date and a time with a time zone (for example 2026-01-05T09:30:00+08:00), not a date alone."),
        "naive": _("Give a time zone (for example 2026-01-05T09:30:00+08:00, or Z for UTC)."),
    }

    def to_internal_value(self, value: Any) -> datetime.datetime:
        if isinstance(value, str):
            try:
                datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass
            else:
                self.fail("date_only")
        return super().to_internal_value(value)

    def enforce_timezone(self, value: datetime.datetime) -> datetime.datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class StrictDecimalField(serializers.DecimalField):
    """A decimal as a JSON string ("120.00"), as the schema says; numbers are refused (no float rounding)."""

    def to_internal_value(self, data: Any):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- errors (documentation of the one shape in exceptions.py) -------------------------
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("What went wrong, for people."))
    # Not Serializer.errors: DRF's serializer metaclass moves declared fields out of the class
    # namespace, so the field does not shadow the property at runtime; the stubs cannot tell.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Messages per input field; nested fields are named with dots (customer.phone)."),
    )
    state = serializers.ChoiceField(
        choices=ComplaintState.choices,
        required=False,
        help_text=_("With 409 only: the case's current state."),
    )


# --- reference data ----------------------------------------------------------------------
class DepartmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text=_("The name in the request's language."))

    class Meta:
        model = Department
        fields = ["code", "name", "name_en", "name_zh", "is_active"]


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text=_("The name in the request's language."))
    # Not Field.parent: the serializer metaclass moves declared fields out of the class namespace.
    parent: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )
    default_department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Category
        fields = ["code", "name", "name_en", "name_zh", "parent", "default_department", "is_active"]


class CauseSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text=_("The name in the request's language."))

    class Meta:
        model = Cause
        fields = ["code", "name", "name_en", "name_zh", "is_active"]


class ShallowFieldCopies:
    # A serializer mixin: each instance gets shallow copies of the declared fields. (A comment,
    # not a docstring: the OpenAPI schema would take a docstring as the description of every
    # serializer that uses the mixin.)
    #
    # DRF deep-copies every declared field per serializer instance (rebuilding each field from
    # its constructor arguments), about half a millisecond per intake request. Binding a field
    # to its serializer only assigns attributes on the copy (field_name, parent, source,
    # label), so a shallow copy isolates instances as well; what the copies share (choices,
    # validators, messages) nothing changes after construction. Nested serializers and list
    # fields are still deep-copied, as DRF does: a ListField binds its child to itself at
    # construction, so a shallow copy would share a child whose parent is the declared field.

    _declared_fields: dict[str, serializers.Field]

    def get_fields(self) -> dict[str, serializers.Field]:
        deep = (serializers.BaseSerializer, serializers.ListField)
        return {
            name: copy.deepcopy(field) if isinstance(field, deep) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }


# --- customer ----------------------------------------------------------------------------
@extend_schema_field({"type": "array", "items": {"type": "string", "maxLength": 60}, "maxItems": 10})
class StrictTagsField(serializers.Field):
    """A JSON list of up to 10 strings of up to 60 characters.

    Not a ``ListField``: that binds a child field to itself and so is deep-copied for every
    intake (``ShallowFieldCopies``); this one has no child and is copied like any plain field.
    """

    MAX_ITEMS = 10
    MAX_LENGTH = 60
    default_error_messages = {
        "not_a_list": _("Give a list of texts."),
        "too_many": _("At most %(count)d tags."),
        "not_text": _("Each tag is a text of up to %(length)d characters."),
    }

    def to_internal_value(self, data: Any) -> list[str]:
        if not isinstance(data, list):
            self.fail("not_a_list")
        if len(data) > self.MAX_ITEMS:
            raise serializers.ValidationError(self.error_messages["too_many"] % {"count": self.MAX_ITEMS})
        wrong = {
            str(index): [self.error_messages["not_text"] % {"length": self.MAX_LENGTH}]
            for index, tag in enumerate(data)
            if not isinstance(tag, str) or len(tag) > self.MAX_LENGTH
        }
        if wrong:  # named by position, customer.tags.1, as a list field names its items
            raise serializers.ValidationError(wrong)
        return data

    def to_representation(self, value: Any) -> list[str]:
        return list(value)


class CustomerSerializer(ShallowFieldCopies, serializers.Serializer):
    """The customer at intake: a name; a complaint also needs a phone or an e-mail for the call-back, other kinds do not.

    A regulator referral (channel ``regulator``) needs none of it: the regulator keeps the
    customer's details, and the case closes without call-back.
    """

    MAX_TAGS = 10

    # Optional here: whether a name is needed depends on the channel, which the service decides
    # (workflows.services.intake_errors); its message comes back as customer.name.
    name = StrictCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required, except for a regulator referral (channel regulator)."),
    )
    phone = StrictCharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "A complaint needs this or email (for the call-back); a suggestion, praise or inquiry needs neither, "
            "nor does a regulator referral (channel regulator), which closes without call-back."
        ),
    )
    email = StrictEmailField(
        max_length=254,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "A complaint needs this or phone (for the call-back); a suggestion, praise or inquiry needs neither, "
            "nor does a regulator referral (channel regulator), which closes without call-back."
        ),
    )
    id_number = StrictCharField(max_length=32, required=False, allow_blank=True, default="")
    account = StrictCharField(max_length=34, required=False, allow_blank=True, default="")
    region = StrictCharField(
        max_length=60, required=False, allow_blank=True, default="", help_text=_("The customer's state or province.")
    )
    tags = StrictTagsField(
        required=False,
        default=list,
        help_text=_('Up to 10 labels such as "Older American" or "Servicemember"; repeats are kept once.'),
    )


class CustomerOutSerializer(serializers.Serializer):
    """The customer as shown: masked unless the user may handle the case."""

    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    id_number = serializers.CharField()
    account = serializers.CharField()
    masked = serializers.BooleanField(help_text=_("True when the values are masked."))


class CustomerDetailOutSerializer(CustomerOutSerializer):
    """The customer as one case shows it: also the region and tags, which identify nobody and are never masked."""

    region = serializers.CharField(help_text=_("The customer's state or province."))
    tags = serializers.ListField(child=serializers.CharField())


def customer_of(complaint: Complaint, *, show_pii: bool) -> dict[str, Any]:
    if show_pii:
        return {
            "name": complaint.customer_name,
            "phone": complaint.customer_phone,
            "email": complaint.customer_email,
            "id_number": complaint.customer_id_number,
            "account": complaint.customer_account,
            "masked": False,
        }
    return {
        "name": masking.mask_name(complaint.customer_name),
        "phone": masking.mask_phone(complaint.customer_phone),
        "email": masking.mask_email(complaint.customer_email),
        "id_number": masking.mask_id_number(complaint.customer_id_number),
        "account": masking.mask_account(complaint.customer_account),
        "masked": True,
    }


# --- intake ------------------------------------------------------------------------------
class CategoryCodeField(serializers.SlugRelatedField):
    """A category code, looked up with the category's default department in one query.

    Unknown codes and values that are not strings go through ``SlugRelatedField``'s own
    lookup, so the messages are the same.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", queryset=Category.objects.select_related("default_department"), **kwargs)

    def to_internal_value(self, data: Any) -> Category:
        if isinstance(data, str):
            category = lookups.category_with_department(data, alias=router.db_for_read(Category))
            if category is not None:
                return category
        return super().to_internal_value(data)


class ComplaintIntakeSerializer(ShallowFieldCopies, serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.COMPLAINT)
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        help_text=_(
            "Where the case came from. A regulator referral (regulator) needs no customer name or contact "
            "details, and closes without call-back."
        ),
    )
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MEDIUM)
    category = CategoryCodeField(help_text=_("A category code."))
    subject = StrictCharField(max_length=200)
    description = StrictCharField(max_length=100000, help_text=_("Up to 100,000 characters."))
    received_at = AwareDateTimeField(
        required=False,
        help_text=_(
            "When the bank received it, with a time zone (2026-01-05T09:30:00+08:00); a date alone or a time "
            "without a zone is refused. May be in the past, up to the service's horizon (by default 1096 days, "
            "3 years), never in the future. Default: now. For a regulator referral, when the regulator received it."
        ),
    )
    external_id = StrictCharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "The channel system's own id. The same channel and external_id again with the same values returns "
            "the existing case (200); with other values it is a 409 naming the fields that differ."
        ),
    )
    product = StrictCharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The product as the source classifies it (a regulator's or the bank's own); kept beside category."),
    )
    sub_product = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    issue = StrictCharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The issue as the source classifies it; kept beside category."),
    )
    sub_issue = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    company = StrictCharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The legal entity or branch the complaint is about."),
    )
    narrative_consent = serializers.ChoiceField(
        choices=NarrativeConsent.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Whether the customer agreed that the regulator publishes the description."),
    )
    submitted_via = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("For a regulator referral: how the customer reached the regulator."),
    )
    sent_to_bank_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "For a regulator referral only (channel regulator): when the regulator sent the case on to the bank, "
            "with a time zone. It starts the clocks of a referral (received_at stays the regulator's date of "
            "receipt); not before received_at, never in the future. Default: the clocks start at received_at."
        ),
    )
    customer = CustomerSerializer(
        help_text=_(
            "The customer: a name, and for a complaint a phone or an e-mail for the call-back (either will do). "
            "A suggestion, praise or inquiry needs only the name. For a regulator referral (channel regulator) "
            "all of it is optional: the regulator keeps the customer's details, and such a case closes without "
            "call-back."
        )
    )

    # Top-level fields that go to the service as workflows.services.CaseFacts.
    FACT_FIELDS = ("product", "sub_product", "issue", "sub_issue", "company", "narrative_consent", "submitted_via", "sent_to_bank_at")

    def service_kwargs(self) -> dict[str, Any]:
        """``complaint_create``'s arguments (all but the actor) from the validated data."""
        data = dict(self.validated_data)
        customer = dict(data.pop("customer"))
        facts = services.CaseFacts(
            customer_region=customer.pop("region"),
            customer_tags=tuple(customer.pop("tags")),
            **{name: data.pop(name) for name in self.FACT_FIELDS},
        )
        return {**data, "customer": services.CustomerData(**customer), "facts": facts}


# Service field names (model fields) -> API field names, for the service's own messages.
INTAKE_ERROR_FIELDS = {
    "customer_name": "customer.name",
    "customer_phone": "customer.phone",
    "customer_email": "customer.email",
    "customer_id_number": "customer.id_number",
    "customer_account": "customer.account",
    "customer_region": "customer.region",
    "customer_tags": "customer.tags",
}


# --- cases -------------------------------------------------------------------------------
class ComplaintListSerializer(serializers.ModelSerializer):
    """A case in a list: customer details always masked."""

    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    assignee: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    customer = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "reference",
            "kind",
            "channel",
            "severity",
            "state",
            "category",
            "department",
            "assignee",
            "subject",
            "received_at",
            "first_response_due",
            "first_responded_at",
            "resolution_due",
            "resolved_at",
            "review_due",
            "closed_at",
            "escalation_level",
            "version",
            "customer",
        ]
        read_only_fields = fields

    # The columns a list row reads; the list query loads only these.
    LIST_COLUMNS = (
        "reference", "kind", "channel", "severity", "state", "subject", "received_at", "first_response_due",
        "first_responded_at", "resolution_due", "resolved_at", "review_due", "closed_at", "escalation_level",
        "version", "customer_name", "customer_phone", "customer_email", "customer_id_number", "customer_account",
        "category__code", "department__code", "assignee__username",
    )  # fmt: skip

    @extend_schema_field(CustomerOutSerializer)
    def get_customer(self, complaint: Complaint) -> dict[str, Any]:
        return customer_of(complaint, show_pii=False)


class FastComplaintListSerializer(ComplaintListSerializer):
    """The same output as ``ComplaintListSerializer``, built directly: a list page is the API's hot path.

    DRF's generic field machinery costs about 0.25 ms per row; this costs a tenth of it.
    ``tests/api/test_queries.py`` checks that both give identical output.
    """

    def to_representation(self, complaint: Complaint) -> dict[str, Any]:
        zone = timezone.get_current_timezone()

        def moment(value):
            if value is None:
                return None
            text = value.astimezone(zone).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return {
            "reference": complaint.reference,
            "kind": complaint.kind,
            "channel": complaint.channel,
            "severity": complaint.severity,
            "state": complaint.state,
            "category": complaint.category.code,
            "department": complaint.department.code if complaint.department is not None else None,
            "assignee": complaint.assignee.username if complaint.assignee is not None else None,
            "subject": complaint.subject,
            "received_at": moment(complaint.received_at),
            "first_response_due": moment(complaint.first_response_due),
            "first_responded_at": moment(complaint.first_responded_at),
            "resolution_due": moment(complaint.resolution_due),
            "resolved_at": moment(complaint.resolved_at),
            "review_due": moment(complaint.review_due),
            "closed_at": moment(complaint.closed_at),
            "escalation_level": complaint.escalation_level,
            "version": complaint.version,
            "customer": customer_of(complaint, show_pii=False),
        }


class ComplaintDetailSerializer(ComplaintListSerializer):
    """One case: full customer details only for people who may handle it."""

    cause: serializers.SlugRelatedField[Cause] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    merged_into: serializers.SlugRelatedField[Complaint] = serializers.SlugRelatedField(
        source="duplicate_of", slug_field="reference", read_only=True, allow_null=True
    )
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)
    closure = serializers.ChoiceField(choices=Closure.choices, allow_blank=True, read_only=True)
    first_response_method = serializers.ChoiceField(choices=ContactMethod.choices, allow_blank=True, read_only=True)
    extension_status = serializers.ChoiceField(choices=ExtensionStatus.choices, allow_blank=True, read_only=True)
    narrative_consent = serializers.ChoiceField(choices=NarrativeConsent.choices, allow_blank=True, read_only=True)
    submitted_via = serializers.ChoiceField(
        choices=Channel.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("For a regulator referral: how the customer reached the regulator."),
    )
    sent_to_bank_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_("For a regulator referral: when the regulator sent it on; the clocks started then."),
    )
    company_response = serializers.CharField(
        read_only=True, help_text=_("The response the bank reported to the regulator, as the regulator publishes it.")
    )
    timely_response = serializers.BooleanField(
        read_only=True, allow_null=True, help_text=_("The regulator's judgement; null when not known.")
    )
    consumer_disputed = serializers.BooleanField(
        read_only=True, allow_null=True, help_text=_("Whether the customer disputed the response; null when not known.")
    )
    imported_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text=_("When import_complaints brought the case in; null for a live intake.")
    )
    transitions = serializers.SerializerMethodField(
        help_text=_("Transitions this user may take on the case now.")
    )

    class Meta(ComplaintListSerializer.Meta):
        fields = [
            *ComplaintListSerializer.Meta.fields,
            "description",
            "external_id",
            "created_at",
            "cause",
            "outcome",
            "resolution_summary",
            "compensation",
            "satisfaction",
            "review_notes",
            "closure",
            "callback_attempts",
            "reopen_count",
            "extension_status",
            "extension_requested_days",
            "extension_reason",
            "first_response_method",
            "merged_into",
            "product",
            "sub_product",
            "issue",
            "sub_issue",
            "company",
            "narrative_consent",
            "submitted_via",
            "sent_to_bank_at",
            "company_response",
            "public_response",
            "timely_response",
            "consumer_disputed",
            "imported_at",
            "transitions",
        ]
        read_only_fields = fields

    def _user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    @extend_schema_field(CustomerDetailOutSerializer)
    def get_customer(self, complaint: Complaint) -> dict[str, Any]:
        return {
            **customer_of(complaint, show_pii=selectors.user_may_see_pii(self._user(), complaint)),
            "region": complaint.customer_region,
            "tags": list(complaint.customer_tags or []),
        }

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_transitions(self, complaint: Complaint) -> list[str]:
        user = self._user()
        return selectors.available_transitions(complaint, user) if user is not None else []


class ComplaintEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label", read_only=True, help_text=_("Username, or system."))
    # Not Serializer.data: the serializer metaclass moves declared fields out of the class namespace.
    data = serializers.DictField(read_only=True)  # type: ignore[assignment]

    class Meta:
        model = ComplaintEvent
        fields = ["id", "created_at", "actor", "kind", "from_state", "to_state", "note", "data"]
        read_only_fields = fields


class ComplaintListQuerySerializer(serializers.Serializer):
    """The list's query parameters."""

    state = serializers.ChoiceField(choices=ComplaintState.choices, required=False)
    department = serializers.CharField(max_length=40, required=False, help_text=_("A department code."))
    category = serializers.CharField(max_length=40, required=False, help_text=_("A category code."))
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    overdue = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("true: a running clock (first response, resolution or review) is past its deadline."),
    )
    received_after = serializers.DateTimeField(required=False, help_text=_("Received at or after this time."))
    received_before = serializers.DateTimeField(required=False, help_text=_("Received before this time."))
    external_id = serializers.CharField(
        max_length=64, required=False, help_text=_("The channel system's own id, as given at intake.")
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    escalation_level = serializers.IntegerField(
        min_value=0, max_value=3, required=False, help_text=_("0 none, 1 warning, 2 overdue, 3 escalated to supervisors.")
    )
    ordering = serializers.ChoiceField(choices=[(o, o) for o in ORDERINGS], default="-received_at")
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)
    cursor = serializers.CharField(max_length=400, required=False, help_text=_("From a previous page's next or previous link."))
    count = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("true: the page also carries count, the number of matching cases (costs a count query)."),
    )

    def to_internal_value(self, data: Any) -> Any:
        unknown = [name for name in data if name not in self.fields]
        if unknown:
            raise serializers.ValidationError({name: [_("Not a parameter of this list.")] for name in unknown})
        return super().to_internal_value(data)


# --- transitions: one request serializer each -------------------------------------------
class TransitionSerializer(serializers.Serializer):
    """Fields common to every transition; subclasses add the service's keyword arguments."""

    version = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=_("The case version you saw; if the case changed since, the answer is 409."),
    )

    def service_kwargs(self) -> dict[str, Any]:
        return {name: value for name, value in self.validated_data.items() if name != "version"}


class UsernameField(serializers.SlugRelatedField):
    """An active user's username; null for nobody (an empty string is not a username)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            slug_field="username", queryset=get_user_model().objects.filter(is_active=True), **kwargs
        )

    def run_validation(self, data: Any = serializers.empty):
        if data == "":
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().run_validation(data)


@extend_schema_field(OpenApiTypes.STR)
class VisibleCaseField(serializers.SlugRelatedField):
    """A case reference, looked up among the cases the requesting user may see."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="reference", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return selectors.complaint_list_for_user(getattr(request, "user", None))


def _api_field(spec: Input) -> serializers.Field:
    """The serializer field for one transition input (``workflows.transitions.InputKind``)."""
    optional: dict[str, Any] = {} if spec.required else {"required": False}
    help_text: dict[str, Any] = {"help_text": spec.help_text} if spec.help_text else {}
    match spec.kind:
        case InputKind.TEXT:
            blank: dict[str, Any] = {} if spec.required else {"allow_blank": True, "default": ""}
            return StrictCharField(max_length=spec.max_length, **optional, **blank, **help_text)
        case InputKind.CHOICE:
            assert spec.choices is not None
            return serializers.ChoiceField(choices=spec.choices.choices, **optional, help_text=spec.help_text or spec.label)
        case InputKind.INTEGER | InputKind.SCORE:
            return StrictIntegerField(min_value=spec.min_value, max_value=spec.max_value, **optional, **help_text)
        case InputKind.MONEY:
            return StrictDecimalField(
                max_digits=12, decimal_places=2, min_value=0, **optional, allow_null=True, default=None, **help_text
            )
        case InputKind.DEPARTMENT:
            return serializers.SlugRelatedField(
                slug_field="code", queryset=Department.objects.all(), **optional, **help_text
            )
        case InputKind.ASSIGNEE:
            return UsernameField(required=spec.required, allow_null=True, default=None, help_text=_("A username."))
        case InputKind.CAUSE:
            return serializers.SlugRelatedField(
                slug_field="code", queryset=Cause.objects.filter(is_active=True), **optional, **help_text
            )
        case InputKind.CASE:
            return VisibleCaseField(**optional, **help_text)
    raise ValueError(f"no API field for input kind {spec.kind!r}")


def transition_serializer(transition: Transition) -> type[TransitionSerializer]:
    """The request serializer of one transition, named for it (``AssignTransitionSerializer``)."""
    name = "".join(part.capitalize() for part in transition.name.split("_")) + "TransitionSerializer"
    fields = {spec.name: _api_field(spec) for spec in transition.inputs}
    return type(name, (TransitionSerializer,), {**fields, "__module__": __name__, "__doc__": transition.summary})


TRANSITION_SERIALIZERS: dict[str, type[TransitionSerializer]] = {
    name: transition_serializer(transition) for name, transition in TRANSITIONS.items()
}


class TokenCredentialsSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send as: Authorization: Token <token>"))


# --- reports (supervisors) ---------------------------------------------------------------
