"""The regulators' rule sets a fresh database starts from (``COMPLAINT_RULES``: cn, uk or us).

A rule set is the numbers of every service-level policy and the business calendar they count
on; after the first migration they are ordinary policy rows that supervisors edit in the
admin. Sources: ``../shared/research/regulation.md``.

- ``cn`` (the default): PBOC 2020 Order No. 3 as banks apply it: a first response within 24
  hours; resolution by the end of the 15th calendar day after the day of receipt, a last day
  that is a rest day or statutory holiday moving to the next working day (Civil Code Arts.
  201 and 203), on the mainland China calendar with its make-up working days; an extension to
  30 days by a department owner and to 60 by a supervisor, the customer told.
- ``uk`` (FCA DISP 1.6): the final response within 8 weeks of receipt, which is not extended
  (an extension beyond the window is refused); England and Wales bank holidays. The bank's
  own 24-hour first response stays. DISP 1.5's summary resolution (resolved by close of
  business on the third business day after receipt) is an internal target, ``disp-sum3``, so
  the report shows the share resolved that fast, as the FCA's complaints return asks.
- ``us`` (CFPB): a response within 15 calendar days, and the final response within 60 days
  when the response says more time is needed (an extension to 60 days); US federal holidays.

Not here: the 15 business days (35 with a holding reply) of payment-services complaints
(DISP 1.6.2A) depend on the bank's own categories; a supervisor adds them as an internal target
on those categories.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .calendars import Unit


@dataclass(frozen=True)
class RuleSet:
    code: str
    calendar_source: str
    # SlaPolicy field values for every kind and severity.
    policy: dict[str, Any] = field(default_factory=dict)
    # Internal targets the rule set brings (ClockTarget fields; calendar: the rule set's).
    targets: tuple[dict[str, Any], ...] = ()


RULE_SETS: dict[str, RuleSet] = {
    "cn": RuleSet(
        code="cn",
        calendar_source="cn",
        policy={
            "first_response_hours": 24,
            "resolution_window": 15,
            "resolution_unit": Unit.CALENDAR_DAYS,
            "count_receipt_day": False,
            "cutoff_time": None,
            "roll_over": True,
            "owner_extension_max_days": 30,
            "max_extension_days": 60,
        },
    ),
    "uk": RuleSet(
        code="uk",
        calendar_source="uk-eng",
        policy={
            "first_response_hours": 24,
            "resolution_window": 8,
            "resolution_unit": Unit.WEEKS,
            "count_receipt_day": False,
            "cutoff_time": None,
            "roll_over": False,
            "owner_extension_max_days": 56,
            "max_extension_days": 56,
        },
        targets=(
            {
                "code": "disp-sum3",
                "name_en": "Summary resolution: 3 business days (DISP 1.5)",
                "name_zh": "简易处理：3个工作日内（DISP 1.5）",
                "measures": "resolution",
                "kind": "complaint",
                "window": 3,
                "unit": Unit.BUSINESS_DAYS,
                "warning_percent": 67,
            },
        ),
    ),
    "us": RuleSet(
        code="us",
        calendar_source="us",
        policy={
            "first_response_hours": 24,
            "resolution_window": 15,
            "resolution_unit": Unit.CALENDAR_DAYS,
            "count_receipt_day": False,
            "cutoff_time": None,
            "roll_over": False,
            "owner_extension_max_days": 60,
            "max_extension_days": 60,
        },
    ),
}

# The policy numbers every row had before rule sets existed: rows still at these were never
# edited, so a rule set may set them; an edited row keeps the bank's numbers.
UNEDITED = {"first_response_hours": 24, "resolution_window": 15, "owner_extension_max_days": 30, "max_extension_days": 60}


def rule_set(code: str) -> RuleSet:
    try:
        return RULE_SETS[code]
    except KeyError:
        raise ValueError(f"COMPLAINT_RULES is {code!r}; it must be one of {', '.join(RULE_SETS)}") from None


def rule_set_apply(code: str):  # noqa: ANN201 - returns the Calendar
    """Apply rule set ``code`` now, to every kind and severity: load its calendar and set each
    policy's numbers and calendar. For a bank that changes its mind before go-live, and tests."""
    from django.db import transaction

    from complaints.states import Kind, Severity

    from .calendar_sources import SOURCES, calendar_load
    from .models import ClockTarget, SlaPolicy

    rules = rule_set(code)
    with transaction.atomic():
        calendar = calendar_load(source=SOURCES[rules.calendar_source]).calendar
        for kind in Kind.values:
            for severity in Severity.values:
                SlaPolicy.objects.update_or_create(
                    kind=kind, severity=severity, defaults={**rules.policy, "calendar": calendar}
                )
        for target in rules.targets:
            ClockTarget.objects.update_or_create(
                code=target["code"], defaults={**{k: v for k, v in target.items() if k != "code"}, "calendar": calendar}
            )
    return calendar
