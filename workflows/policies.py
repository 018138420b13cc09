"""Service-level maths: pure functions from a policy, a moment and the bank's time zone to deadlines.

Deadlines are instants. "Overdue" means ``now > due``. A day-based deadline is the last
microsecond of its local day, so "end of the 15th calendar day after the day of receipt"
is 23:59:59.999999 local time on that day, whatever the UTC offset.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Literal

from django.utils import timezone

END_OF_DAY = time(23, 59, 59, 999999)


@dataclass(frozen=True)
class Sla:
    """The numbers of one service-level policy (see ``workflows.models.SlaPolicy``)."""

    first_response_hours: int = 24
    resolution_days: int = 15
    owner_extension_max_days: int = 30
    max_extension_days: int = 60
    review_days: int = 7
    warning_percent: int = 75


DEFAULT_SLA = Sla()


def _zone(tz: tzinfo | None) -> tzinfo:
    return tz if tz is not None else timezone.get_default_timezone()


def end_of_day_after(moment: datetime, days: int, tz: tzinfo | None = None) -> datetime:
    """The last instant of the ``days``-th local calendar day after the local day of ``moment``.

    The day of ``moment`` itself is not counted (Civil Code art. 201 counting).
    """
    zone = _zone(tz)
    first_day = timezone.localtime(moment, zone).date()
    return datetime.combine(first_day + timedelta(days=days), END_OF_DAY, tzinfo=zone)


def first_response_due(received_at: datetime, sla: Sla = DEFAULT_SLA) -> datetime:
    """The first-response clock: ``first_response_hours`` after receipt."""
    return received_at + timedelta(hours=sla.first_response_hours)


def resolution_due(clock_started_at: datetime, window_days: int, tz: tzinfo | None = None) -> datetime:
    """The resolution clock: end of the ``window_days``-th day after the day the clock started."""
    return end_of_day_after(clock_started_at, window_days, tz)


def review_due(resolved_at: datetime, sla: Sla = DEFAULT_SLA) -> datetime:
    """The review (call-back) clock: ``review_days`` after resolution."""
    return resolved_at + timedelta(days=sla.review_days)


ApprovalTier = Literal["owner", "supervisor"]


def extension_tier(current_window_days: int, extra_days: int, sla: Sla = DEFAULT_SLA) -> ApprovalTier:
    """Who must approve growing the window by ``extra_days``.

    Raises ``ValueError`` when the new window would exceed the policy's maximum.
    """
    if extra_days < 1:
        raise ValueError("An extension adds at least one day.")
    new_window = current_window_days + extra_days
    if new_window > sla.max_extension_days:
        raise ValueError(
            f"The window would be {new_window} days; the policy allows at most {sla.max_extension_days}."
        )
    return "owner" if new_window <= sla.owner_extension_max_days else "supervisor"


def warning_at(started_at: datetime, due: datetime, percent: int) -> datetime:
    """The instant when ``percent`` of the window from ``started_at`` to ``due`` has gone."""
    return started_at + (due - started_at) * percent / 100
