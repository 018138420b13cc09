"""A service-level policy's numbers (``Sla``) and who may approve an extension.

Deadlines are instants, computed in ``workflows.clocks`` by the counting rules of
``workflows.calendars``. "Overdue" means ``now > due``. A day-based deadline is the last
microsecond of its local day, so "end of the 15th calendar day after the day of receipt"
is 23:59:59.999999 local time on that day, whatever the UTC offset.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal

from . import calendars
from .calendars import Unit, Window


@dataclass(frozen=True)
class Sla:
    """The numbers of one service-level policy (see ``workflows.models.SlaPolicy``)."""

    first_response_hours: int = 24
    resolution_window: int = 15
    resolution_unit: str = Unit.CALENDAR_DAYS
    count_receipt_day: bool = False
    cutoff_time: time | None = None
    roll_over: bool = True
    owner_extension_max_days: int = 30
    max_extension_days: int = 60
    review_days: int = 7
    warning_percent: int = 75
    calendar_id: int | None = None
    # The calendar's revision read with the policy, so a cached calendar is reloaded after an edit.
    calendar_revision: int | None = None

    @property
    def window_days(self) -> int:
        """The resolution window in days of its kind (weeks are 7 calendar days each)."""
        return self.resolution_window * 7 if self.resolution_unit == Unit.WEEKS else self.resolution_window

    @property
    def day_unit(self) -> str:
        """What the case's ``resolution_window_days`` counts: business days or calendar days."""
        return Unit.BUSINESS_DAYS if self.resolution_unit == Unit.BUSINESS_DAYS else Unit.CALENDAR_DAYS

    def resolution(self, days: int | None = None) -> Window:
        """The resolution window of ``days`` days of the policy's kind (the policy's own by default)."""
        return Window(
            amount=self.window_days if days is None else days,
            unit=self.day_unit,
            count_receipt_day=self.count_receipt_day,
            cutoff=self.cutoff_time,
            roll_over=self.roll_over,
        )

    def calendar(self) -> calendars.WorkingCalendar:
        return calendars.calendar_for(self.calendar_id, self.calendar_revision)


DEFAULT_SLA = Sla()


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
