"""The index page's work queues as cards: each count, what to do, and the case list filtered to it.

The counts come from ``complaints.queues``; the links use only the case list's own
filters (``desk.admin.changelist``), so a card's list shows exactly the cases it counted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.functional import Promise

from complaints import queues

# The case-list query of each queue. Every parameter is a list filter of CaseListMixin.
QUEUE_FILTERS: dict[str, dict[str, str]] = {
    # customer service
    "new_unrouted": {"state__exact": "new", "unrouted": "yes"},
    "awaiting_first_response": {"awaiting": "first_response"},
    "awaiting_callback": {"state__exact": "resolved"},
    "callback_overdue": {"state__exact": "resolved", "overdue": "yes"},
    # departments and supervisors
    "department_open": {"open": "yes"},
    "open": {"open": "yes"},
    "mine": {"assignee": "mine", "open": "yes"},
    "due_today": {"due": "today"},
    "overdue": {"overdue": "yes"},
    "escalated": {"escalation": "any", "open": "yes"},
    "extensions_for_me": {"extension": "mine"},
    # supervisors
    "extensions_for_supervisor": {"extension": "supervisor"},
    "escalated_to_supervisors": {"escalation": "3", "open": "yes"},
    "unrouted_over_1h": {"unrouted": "over_1h", "open": "yes"},
}


@dataclass(frozen=True)
class Card:
    key: str
    label: Promise
    hint: Promise
    count: int
    url: str

    @property
    def is_zero(self) -> bool:
        return self.count == 0


@dataclass(frozen=True)
class CardSection:
    key: str
    label: Promise
    cards: list[Card]


def queue_url(key: str) -> str:
    """The case list filtered to the cases of queue ``key``."""
    return reverse("admin:complaints_complaint_changelist") + "?" + urlencode(QUEUE_FILTERS[key])


def work_queue_cards(user, *, now: datetime | None = None) -> list[CardSection]:
    """The user's work queues as cards, one section per role; empty when the user has no role."""
    return [
        CardSection(
            section.key,
            section.label,
            [
                Card(item.queue.key, item.queue.label, item.queue.hint, item.count, queue_url(item.queue.key))
                for item in section.counts
            ],
        )
        for section in queues.queue_counts_for_user(user, now=now)
    ]
