"""The API's token endpoints: log in for a token, rotate it, revoke it.

``POST /api/v1/auth/token/`` takes a username and password and returns a new expiring token.
Logins are throttled per client address and per account, and django-axes locks a username,
and separately an address, after repeated failures (``AXES_*`` settings); a locked-out login
is a 429 in the API's one error shape, the right password included. Rotation and revocation
are authenticated with the token itself.
"""
from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access import services as access_services
from access.models import ApiToken

from . import serializers as s
from .authentication import TokenAuthentication
from .throttling import TokenLoginAccountRateThrottle, TokenLoginRateThrottle
from .views import errors


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=gettext_lazy("Send as: Authorization: Token <token>. Shown once; only its digest is kept."))
    expires_at = serializers.DateTimeField(
        help_text=gettext_lazy("When the token stops working; rotate it before then, or log in again.")
    )


class LoginLockedOut(exceptions.Throttled):
    default_detail = gettext_lazy("Too many failed logins for this account or from this address; login is locked for a while.")
    default_code = "locked_out"


class TokenAlreadyRotated(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This token has been rotated already; use its successor.")
    default_code = "token_rotated"


def _issued(issued: access_services.IssuedToken) -> Response:
    return Response(IssuedTokenSerializer({"token": issued.key, "expires_at": issued.expires_at}).data)


LOGIN_429 = OpenApiResponse(
    s.ErrorSerializer,
    description=(
        "Too many requests from this address or for this account, or login locked out after repeated "
        "failures (the right password too, until Retry-After has passed or a supervisor unlocks)."
    ),
)
TOKEN_ERRORS = errors(401, 429)


class TokenView(APIView):
    """Exchange a username and password for a new expiring API token (channel systems)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenLoginRateThrottle, TokenLoginAccountRateThrottle]
    parser_classes = [*APIView.parser_classes, FormParser]  # the API's JSON parser, and forms

    @extend_schema(
        operation_id="auth_token_create",
        request=s.TokenCredentialsSerializer,
        responses={200: IssuedTokenSerializer, **errors(400, 413, 415), 429: LOGIN_429},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = s.TokenCredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(
            django_request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            cooloff = settings.AXES_COOLOFF_TIME
            raise LoginLockedOut(wait=cooloff.total_seconds() if cooloff else None)
        if user is None or not user.is_active:
            raise ApiValidationError({"non_field_errors": [_("Unable to log in with the given username and password.")]})
        return _issued(access_services.api_token_issue(user=user, name=_token_name(request)))


def _token_name(request: Request) -> str:
    """What the token is called in the admin: the client's User-Agent, cut to the column's length."""
    return (request.META.get("HTTP_USER_AGENT") or "")[: ApiToken._meta.get_field("name").max_length]


class TokenRotateView(APIView):
    """A new token for the one in the Authorization header; the old one works on for a short grace, then stops."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_token_rotate",
        request=None,
        responses={
            200: IssuedTokenSerializer,
            409: OpenApiResponse(s.ErrorSerializer, description="This token was rotated before; rotate its successor."),
            **TOKEN_ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        try:
            issued = access_services.api_token_rotate(token=cast(ApiToken, request.auth))
        except access_services.TokenAlreadyRotated as exc:
            raise TokenAlreadyRotated() from exc
        return _issued(issued)


class TokenRevokeView(APIView):
    """Revoke the token in the Authorization header, at once."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_token_revoke",
        request=None,
        responses={204: OpenApiResponse(description="Revoked; the token no longer works."), **TOKEN_ERRORS},
    )
    def post(self, request: Request) -> Response:
        access_services.api_token_revoke(token=cast(ApiToken, request.auth))
        return Response(status=status.HTTP_204_NO_CONTENT)

