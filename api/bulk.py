"""Bulk intake: ``POST /api/v1/complaints/bulk/`` (PRODUCT section 5), up to 1,000 intakes answered per item."""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.db import router, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.models import Complaint
from complaints.states import ComplaintState

from . import serializers as s
from .exceptions import exception_handler
from .parsers import LargeBodyJSONParser, bulk_max_body_size
from .permissions import MayLogCases
from .throttling import TokenClientCostRateThrottle
from .views import errors, log_intake

logger = logging.getLogger(__name__)

MAX_ITEMS = 1000


# An intake, but any value is taken: an item that is not a valid intake is answered as that item's
# 400, and the request as a whole is still a 200. Said so in the schema (the empty alternative), so
# that a client, or Schemathesis, does not read a 200 for a bad item as accepting a bad request.
INTAKE_ITEM_SCHEMA = {
    "anyOf": [{"$ref": "#/components/schemas/ComplaintIntakeRequest"}, {}],
    "description": "An intake, exactly as POST /api/v1/complaints/ takes it (ComplaintIntakeRequest). Any other "
    "value is answered as that item's 400.",
}


@extend_schema_field(INTAKE_ITEM_SCHEMA)
class IntakeItemField(serializers.Field):
    """One item, untouched: each is validated on its own by ``ComplaintIntakeSerializer`` and answered on its own.

    Null is let through too, so that a null item is that item's 400, not the whole request's.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class BulkIntakeSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=IntakeItemField(),
        allow_empty=False,
        min_length=1,
        max_length=MAX_ITEMS,
        help_text=gettext_lazy(
            "1 to 1,000 intakes, each exactly as POST /api/v1/complaints/ takes it, answered in this order."
        ),
    )


class BulkIntakeResultSerializer(serializers.Serializer):
    """One item's answer: ``case`` with 201 or 200, ``detail`` and ``errors`` (and with a 409 maybe ``state``) otherwise."""

    index = serializers.IntegerField(help_text=gettext_lazy("The item's position in items, from 0."))
    status = serializers.ChoiceField(
        choices=[(201, "201"), (200, "200"), (400, "400"), (409, "409")],
        help_text=gettext_lazy(
            "What POST /api/v1/complaints/ would have answered: 201 logged; 200 logged before with the same values "
            "(also by an earlier item of this request); 400 invalid; 409 logged before with other values, or by a "
            "case this user cannot see."
        ),
    )
    case = s.ComplaintListSerializer(
        required=False, help_text=gettext_lazy("With 201 and 200: the receipt, as the single intake gives it.")
    )
    detail = serializers.CharField(
        required=False, help_text=gettext_lazy("With 400 and 409: what went wrong, for people.")
    )
    # Not Serializer.errors: the serializer metaclass moves declared fields out of the class namespace.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=gettext_lazy("With 400 and 409: messages per field, named as the single intake names them."),
    )
    state = serializers.ChoiceField(
        choices=ComplaintState.choices,
        required=False,
        help_text=gettext_lazy("With some 409s: the state of the case logged before."),
    )


class BulkIntakeResponseSerializer(serializers.Serializer):
    results = BulkIntakeResultSerializer(many=True, help_text=gettext_lazy("One per item, in the order of items."))


class ComplaintBulkView(APIView):
    """Up to 1,000 intakes in one request, answered per item.

    Each item is exactly a ``POST /api/v1/complaints/`` body, and gets exactly that endpoint's
    answer (status and body) in ``results``, in input order. Each item is logged in its own
    transaction, one after the other: an item that fails undoes nothing of another, and a
    request cut short keeps what it logged (sending it again replays those items with 200).
    Two items with the same ``channel`` + ``external_id`` are answered as the single intake
    answers a retry: the second is a replay of the first.
    """

    # Not one transaction for the whole request: intake locks the day's reference counter row,
    # which every other intake would then wait on until the whole request was done.
    permission_classes = [IsAuthenticated, MayLogCases]
    parser_classes = [LargeBodyJSONParser]
    # One counter with the single intake, charged per item (throttle_cost): sending intakes in bulk
    # is quicker, never a way around a channel's rate.
    throttle_classes = [TokenClientCostRateThrottle]

    def throttle_cost(self, request: Request) -> int:
        """What this request counts against the token's rate: its number of items (1 if the body is not a valid bulk)."""
        data = request.data
        items = data.get("items") if isinstance(data, Mapping) else None
        return len(items) if isinstance(items, list) and 1 <= len(items) <= MAX_ITEMS else 1

    @extend_schema(
        operation_id="complaints_bulk_create",
        summary=gettext_lazy("Log up to 1,000 cases, answered per item"),
        request=BulkIntakeSerializer,
        responses={
            200: OpenApiResponse(
                BulkIntakeResponseSerializer,
                description="One result per item, in input order: each 201, 200, 400 or 409 as the single intake "
                "answers it. Against a token's rate limit the request counts once per item.",
            ),
            **errors(400, 401, 403, 415, 429),
            413: OpenApiResponse(
                s.ErrorSerializer,
                description=f"Request body too large: more than {bulk_max_body_size() // (1024 * 1024)} MB "
                "(settings.API_BULK_MAX_BODY_SIZE).",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, Mapping):
            raise ApiValidationError({"items": [_("Send an object with the intakes as a list under items.")]})
        envelope = BulkIntakeSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        alias = router.db_for_write(Complaint)
        results = []
        for index, item in enumerate(envelope.validated_data["items"]):
            # Per item, so that an error's rollback (the handler marks the innermost atomic block
            # when requests are atomic) reaches this item only.
            with transaction.atomic(using=alias):
                try:
                    case, created = log_intake(actor=request.user, data=item)
                except APIException as exc:
                    answer = exception_handler(exc, {"view": self, "request": request})
                    results.append({"index": index, "status": answer.status_code, **answer.data})
                    continue
            results.append(
                {"index": index, "status": 201 if created else 200, "case": s.FastComplaintListSerializer(case).data}
            )
        tally = Counter(result["status"] for result in results)
        logger.info(
            "bulk intake of %d items: %d logged, %d replayed, %d invalid, %d conflicting",
            len(results), tally[201], tally[200], tally[400], tally[409],
        )  # fmt: skip
        return Response({"results": results})
