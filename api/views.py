"""API views: parse, authorize, call one selector or service, render. Nothing else happens here."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors
from complaints.models import Category, Cause, Complaint, Department
from complaints.states import Channel
from workflows import services
from workflows.transitions import TRANSITIONS

from . import serializers as s
from .exceptions import Conflict
from .pagination import ComplaintCursorPagination
from .permissions import MayLogCases

REFERENCE = OpenApiParameter(
    "reference", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("The case reference, e.g. C-20260105-000001.")
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error responses of an operation, all in the one error shape."""
    descriptions = {
        400: "Invalid input; a message per field.",
        401: "Not authenticated.",
        403: "Not allowed for this role.",
        404: "Not found, or not visible to this user.",
        409: "Not possible from the current state, or changed meanwhile; the body has the current state.",
        413: "Request body too large.",
        415: "Unsupported media type; send JSON.",
        429: "Too many requests.",
    }
    return {code: OpenApiResponse(s.ErrorSerializer, description=descriptions[code]) for code in codes}


READ_ERRORS = (401, 403, 429)
WRITE_ERRORS = (400, 401, 403, 413, 415, 429)


def _raise_service_validation(exc: DjangoValidationError, renames: dict[str, str] | None = None) -> None:
    """A service's per-field messages as a 400, with the service's field names mapped to the API's."""
    renames = renames or {}
    if hasattr(exc, "error_dict"):
        detail = {renames.get(field, field): messages for field, messages in exc.message_dict.items()}
    else:
        detail = {"non_field_errors": exc.messages}
    raise ApiValidationError(detail) from exc


# --- auth: the token endpoints are in api/auth.py ---------------------------------------


# --- cases -------------------------------------------------------------------------------
def _filtered_cases(user, query: dict[str, Any]):
    queryset = selectors.complaint_list_for_user(user)
    if query.get("state"):
        queryset = queryset.filter(state=query["state"])
    if query.get("department"):
        queryset = queryset.filter(department__code=query["department"])
    if query.get("category"):
        queryset = queryset.filter(category__code=query["category"])
    if query.get("kind"):
        queryset = queryset.filter(kind=query["kind"])
    if query.get("channel"):
        queryset = queryset.filter(channel=query["channel"])
    if query.get("external_id"):
        # Without a channel, every channel: the unique (channel, external_id) index serves either way.
        channels = [query["channel"]] if query.get("channel") else list(Channel.values)
        queryset = queryset.filter(channel__in=channels, external_id=query["external_id"])
    if query.get("escalation_level") is not None:
        queryset = queryset.filter(escalation_level=query["escalation_level"])
    if query.get("received_after"):
        queryset = queryset.filter(received_at__gte=query["received_after"])
    if query.get("received_before"):
        queryset = queryset.filter(received_at__lt=query["received_before"])
    if query.get("overdue") is not None:
        overdue = selectors.overdue_q(timezone.now())
        queryset = queryset.filter(overdue) if query["overdue"] else queryset.exclude(overdue)
    return queryset


class ComplaintCollectionView(generics.GenericAPIView):
    """Cases visible to the user (GET) and intake from channels (POST)."""

    permission_classes = [IsAuthenticated, MayLogCases]
    pagination_class = ComplaintCursorPagination
    serializer_class = s.ComplaintListSerializer

    def get_queryset(self):
        return selectors.complaint_list_for_user(self.request.user)

    @extend_schema(
        operation_id="complaints_list",
        parameters=[s.ComplaintListQuerySerializer],
        responses={200: s.ComplaintListSerializer(many=True), **errors(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        repeated = [name for name, values in request.query_params.lists() if len(values) > 1]
        if repeated:
            raise ApiValidationError({name: [_("Give this parameter once.")] for name in repeated})
        query = s.ComplaintListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        self.ordering = query.validated_data["ordering"]
        self.with_count = query.validated_data["count"]
        queryset = (
            _filtered_cases(request.user, query.validated_data)
            .select_related(None)
            .select_related("category", "department", "assignee")
            .only(*s.ComplaintListSerializer.LIST_COLUMNS)
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.FastComplaintListSerializer(page, many=True).data)

    @extend_schema(
        operation_id="complaints_create",
        request=s.ComplaintIntakeSerializer,
        responses={
            201: OpenApiResponse(s.ComplaintListSerializer, description="Logged; deadlines are running."),
            200: OpenApiResponse(
                s.ComplaintListSerializer,
                description="This channel and external_id were logged before, with the same values.",
            ),
            409: OpenApiResponse(
                s.ErrorSerializer,
                description="This channel and external_id were logged before with other values; errors names the "
                "fields that differ (never their values).",
            ),
            **errors(*WRITE_ERRORS),
        },
    )
    def post(self, request: Request) -> Response:
        case, created = log_intake(actor=request.user, data=request.data)
        # The receipt: reference, state and deadlines; customer details masked, never echoed back.
        body = s.FastComplaintListSerializer(case).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def log_intake(*, actor, data: Any) -> tuple[Complaint, bool]:
    """One intake as ``POST /complaints/`` takes it: validate, log (or find the replayed case), check visibility.

    Returns ``(case, created)``. Raises DRF's ``ValidationError`` (400, fields named as the
    API names them) or ``Conflict`` (409: a replay with other values, naming the fields and
    never their values; or a replay of a case ``actor`` may not see, saying nothing of it).
    The bulk intake (api/bulk.py) runs this once per item.
    """
    intake = s.ComplaintIntakeSerializer(data=data)
    intake.is_valid(raise_exception=True)
    try:
        case, created = services.complaint_create(actor=actor, **intake.service_kwargs())
    except services.IntakeReplayDiffers as exc:
        if not _sees(actor, exc.complaint):
            raise _used_by_another_case() from exc
        fields = [s.INTAKE_ERROR_FIELDS.get(field, field) for field in exc.fields]
        raise Conflict(
            _("%(reference)s was logged before with this channel and external_id, with other values in: %(fields)s.")
            % {"reference": exc.complaint.reference, "fields": ", ".join(fields)},
            state=exc.state,
            errors={field: [_("Differs from the case logged before with this channel and external_id.")] for field in fields},
        ) from exc
    except DjangoValidationError as exc:
        _raise_service_validation(exc, s.INTAKE_ERROR_FIELDS)
    if not created and not _sees(actor, case):
        raise _used_by_another_case()
    return case, created


def _sees(user, case: Complaint) -> bool:
    return selectors.complaint_list_for_user(user).filter(pk=case.pk).exists()


def _used_by_another_case() -> Conflict:
    """A replayed ``external_id`` whose case this caller may not see: say so, and nothing of that case."""
    return Conflict(
        _("This channel and external_id belong to a case you cannot see; use another external_id."),
        state=None,
        errors={"external_id": [_("Already used for this channel.")]},
    )


def _visible_case(request: Request, reference: str) -> Complaint:
    try:
        return selectors.complaint_get_for_user(request.user, reference=reference)
    except Complaint.DoesNotExist:
        raise NotFound(_("No such case.")) from None


class ComplaintDetailView(APIView):
    """One case; customer details in full only for people who may handle it."""

    @extend_schema(
        operation_id="complaints_retrieve",
        parameters=[REFERENCE],
        responses={200: s.ComplaintDetailSerializer, **errors(404, *READ_ERRORS)},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = _visible_case(request, reference)
        return Response(s.ComplaintDetailSerializer(case, context={"request": request}).data)


class ComplaintEventsView(APIView):
    """A case's history, oldest first."""

    @extend_schema(
        operation_id="complaints_events_list",
        parameters=[REFERENCE],
        responses={200: s.ComplaintEventSerializer(many=True), **errors(404, *READ_ERRORS)},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = _visible_case(request, reference)
        events = selectors.complaint_events_for_user(request.user, case)
        return Response(s.ComplaintEventSerializer(events, many=True).data)


class TransitionView(APIView):
    """Base of the per-transition views: one service call, the case back, typed errors mapped."""

    transition: str = ""
    serializer_class: type[s.TransitionSerializer] = s.TransitionSerializer

    def post(self, request: Request, reference: str) -> Response:
        case = _visible_case(request, reference)
        serializer = self.serializer_class(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        service = TRANSITIONS[self.transition].service
        try:
            case = service(
                complaint=case,
                actor=request.user,
                expected_version=serializer.validated_data.get("version"),
                **serializer.service_kwargs(),
            )
        except services.TransitionForbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except (services.TransitionNotPossible, services.CaseChanged) as exc:
            raise Conflict(exc.message, state=exc.state) from exc
        except DjangoValidationError as exc:
            _raise_service_validation(exc)
        return Response(s.ComplaintDetailSerializer(case, context={"request": request}).data)


def _transition_view(name: str) -> type[TransitionView]:
    serializer = s.TRANSITION_SERIALIZERS[name]
    transition = TRANSITIONS[name]

    @extend_schema(
        operation_id=f"complaints_transitions_{name}",
        summary=transition.summary,
        parameters=[REFERENCE],
        request=serializer,
        responses={200: s.ComplaintDetailSerializer, **errors(404, 409, *WRITE_ERRORS)},
        tags=["transitions"],
    )
    def post(self, request: Request, reference: str) -> Response:
        return TransitionView.post(self, request, reference)

    return type(
        f"{serializer.__name__.removesuffix('Serializer')}View",
        (TransitionView,),
        {"transition": name, "serializer_class": serializer, "__doc__": transition.service.__doc__, "post": post},
    )


TRANSITION_VIEWS: dict[str, type[TransitionView]] = {name: _transition_view(name) for name in TRANSITIONS}


# --- reference data ----------------------------------------------------------------------
class DepartmentListView(generics.ListAPIView):
    """Departments, with the stable codes that write fields take."""

    serializer_class = s.DepartmentSerializer
    queryset = Department.objects.order_by("code")
    pagination_class = None

    @extend_schema(responses={200: s.DepartmentSerializer(many=True), **errors(*READ_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CategoryListView(generics.ListAPIView):
    """Categories, with the stable codes that intake's ``category`` takes."""

    serializer_class = s.CategorySerializer
    queryset = Category.objects.select_related("parent", "default_department").order_by("code")
    pagination_class = None

    @extend_schema(responses={200: s.CategorySerializer(many=True), **errors(*READ_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CauseListView(generics.ListAPIView):
    """Root causes, with the stable codes that ``resolve`` takes."""

    serializer_class = s.CauseSerializer
    queryset = Cause.objects.order_by("code")
    pagination_class = None

    @extend_schema(responses={200: s.CauseSerializer(many=True), **errors(*READ_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
