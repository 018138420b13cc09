"""The client's address: ``REMOTE_ADDR``, unless the operator names how many proxies to trust.

With ``TRUSTED_PROXY_COUNT = n`` (settings), the address is the n-th entry from the right of
``X-Forwarded-For``, the one the outermost trusted proxy wrote; what a client puts further
left is never believed. The same rule as DRF's ``NUM_PROXIES`` (which the settings set from
the same value), so the API's throttles and the login lockout count the same address.
"""
from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The address that throttles and lockouts count; ``REMOTE_ADDR`` when nothing better is trusted."""
    remote_addr = request.META.get("REMOTE_ADDR")
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if trusted <= 0 or not forwarded:
        return remote_addr
    entries = [entry for entry in forwarded.split(",") if entry.strip()]
    if not entries:
        return remote_addr
    # Fewer entries than trusted proxies: the left-most is the best there is (as DRF does).
    return _valid(entries[-min(trusted, len(entries))]) or remote_addr
