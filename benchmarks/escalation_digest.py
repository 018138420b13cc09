"""Escalation e-mail digests at scale: 10,000 due cases on a throwaway PostgreSQL, one sweep, its e-mails.

The cases are spread over four departments, each with an owner and two members (one of them
the assignee); the first has a notification address; there are three supervisors. Shapes by
position: 60 % a loaded backlog (assigned, never answered, received 20 days ago, so both the
first-response and the resolution clock are past level 3: the shape of issue 11 point 9),
15 % first response overdue (level 2), 15 % first-response warning (level 1), 10 % review
run out (level 3). One sweep claims the steps (notifications off), then the notification
run for that sweep sends through Django's in-memory backend. Printed: the grouping time
(``notifications.group_by_recipient``), the whole notification run, messages sent, and the
largest message's body in lines and bytes.

Usage: .venv/bin/python benchmarks/escalation_digest.py [--cases N]   (BENCH_PROFILE=1 profiles the e-mail run)
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEPARTMENTS = 4


def seed(size: int) -> None:
    """``size`` cases, every one due for a step; the people who hear about them."""
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.utils import timezone

    from complaints import roles
    from complaints.models import Category, Department

    def person(username: str, role: str) -> User:
        user = User.objects.create_user(username=username, email=f"{username}@bank.example", password=None)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    category, _ = Category.objects.get_or_create(code="general", defaults={"name_en": "General", "name_zh": "综合"})
    for number in range(1, 4):
        person(f"supervisor{number}", roles.SUPERVISOR)
    assignees = []
    for number in range(1, DEPARTMENTS + 1):
        department = Department.objects.create(
            code=f"dept{number}",
            name_en=f"Department {number}",
            name_zh=f"部门{number}",
            notification_email="dept1-desk@bank.example" if number == 1 else "",
        )
        department.owners.add(person(f"owner{number}", roles.DEPT_OWNER))
        members = [person(f"member{number}-{which}", roles.DEPT_MEMBER) for which in (1, 2)]
        department.members.add(*members)
        assignees.append((department.pk, members[0].pk))

    backlog = size * 60 // 100
    overdue = backlog + size * 15 // 100
    warning = overdue + size * 15 // 100
    # Shapes by position i: backlog (both clocks level 3) | first response overdue | warning | review run out.
    # Open cases carry their clocks' stored warning instants as intake writes them
    # (workflows.clocks): start + 75 % of the window (the default warning_percent).
    sql = """
        INSERT INTO complaints_complaint (
            reference, kind, channel, severity, category_id, subject, description, customer_name,
            customer_phone, customer_email, customer_id_number, customer_account, external_id,
            received_at, created_at, department_id, assignee_id, state, version,
            first_response_due, first_response_warn_at, first_responded_at, first_response_method,
            resolution_clock_started_at, resolution_window_days, resolution_due, resolution_warn_at,
            calendar_gaps, pause_reason, resolution_paused_at, resolution_paused_total, resolved_at, review_due,
            closed_at, escalation_level, extension_status, extension_reason, extension_requires_supervisor,
            outcome, resolution_summary, review_notes, closure, callback_attempts, reopen_count,
            product, sub_product, issue, sub_issue, company, customer_region, customer_tags, narrative_consent, submitted_via, company_response, public_response
        )
        SELECT 'D-' || lpad(i::text, 8, '0'), 'complaint', 'phone', 'medium', %(category)s, 'Fee',
            'Charged twice', '张三', '13812345678', 'zhang@example.com', '', '', '',
            received, received, (%(departments)s)[1 + i %% %(count)s], (%(assignees)s)[1 + i %% %(count)s],
            shape.state, 1,
            received + interval '24 hours',
            CASE WHEN shape.state IN ('new', 'assigned', 'in_progress')
                THEN received + (received + interval '24 hours' - received) * 0.75 END,
            CASE WHEN shape.responded THEN received + interval '1 hour' END,
            CASE WHEN shape.responded THEN 'phone' ELSE '' END,
            received, 15, received + interval '16 days',
            CASE WHEN shape.state IN ('new', 'assigned', 'in_progress')
                THEN received + (received + interval '16 days' - received) * 0.75 END,
            '', '', NULL, interval '0',
            CASE WHEN shape.state = 'resolved' THEN received + interval '1 day' END,
            CASE WHEN shape.state = 'resolved' THEN %(now)s - interval '1 hour' END,
            NULL, 0, '', '', false,
            CASE WHEN shape.state = 'resolved' THEN 'upheld' ELSE '' END, '', '', '', 0, 0, '', '', '', '', '', '', '[]', '', '', '', ''
        FROM generate_series(1, %(size)s) AS i
        CROSS JOIN LATERAL (
            SELECT * FROM (VALUES
                (i <= %(backlog)s, 'assigned', interval '20 days', false),
                (i <= %(overdue)s, 'assigned', interval '30 hours', false),
                (i <= %(warning)s, 'assigned', interval '20 hours', false),
                (true, 'resolved', interval '200 hours', true)
            ) AS shapes(matches, state, age, responded)
            WHERE matches LIMIT 1
        ) AS shape
        CROSS JOIN LATERAL (SELECT %(now)s - shape.age AS received) AS r
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "category": category.pk,
                "departments": [department for department, _ in assignees],
                "assignees": [assignee for _, assignee in assignees],
                "count": len(assignees),
                "now": timezone.now(),
                "size": size,
                "backlog": backlog,
                "overdue": overdue,
                "warning": warning,
            },
        )
        cursor.execute("VACUUM ANALYZE complaints_complaint")


def run(size: int) -> None:
    from django.conf import settings
    from django.core import mail

    from workflows import escalation, notifications

    started = time.perf_counter()
    seed(size)
    print(f"seeded {size:,} due cases in {time.perf_counter() - started:.1f} s", flush=True)

    started = time.perf_counter()
    result = escalation.escalation_sweep(notify=False)
    sweep_seconds = time.perf_counter() - started
    print(f"sweep: {result.total:,} steps {result.as_dict()['steps']} in {sweep_seconds:.2f} s", flush=True)

    grouping: dict[str, float] = {}
    group_by_recipient = notifications.group_by_recipient

    def timed_grouping(escalations):
        began = time.perf_counter()
        try:
            return group_by_recipient(escalations)
        finally:
            grouping["seconds"] = time.perf_counter() - began

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    notifications.group_by_recipient = timed_grouping
    try:
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            sent = profile.runcall(notifications.escalation_notify, sweep=result.sweep, batch="bench")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        else:
            sent = notifications.escalation_notify(sweep=result.sweep, batch="bench")
        notify_seconds = time.perf_counter() - started
    finally:
        notifications.group_by_recipient = group_by_recipient

    sizes = sorted(
        ((len(message.body.splitlines()), len(message.body.encode()), message.to[0]) for message in mail.outbox),
        reverse=True,
    )
    lines, size_bytes, largest_to = sizes[0]
    print()
    print(f"escalations in the sweep      {result.total:>12,}")
    print(f"grouping (group_by_recipient) {grouping['seconds']:>12.3f} s")
    print(f"notification run (all)        {notify_seconds:>12.3f} s")
    print(f"messages sent                 {sent:>12,}")
    print(f"largest message ({largest_to})")
    print(f"  lines                       {lines:>12,}")
    print(f"  bytes                       {size_bytes:>12,}")
    print(f"total bytes, all messages     {sum(row[1] for row in sizes):>12,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="due cases to seed (default 10,000)")
    arguments = parser.parse_args()
    from benchmarks.setup import django_on_throwaway_postgres

    with django_on_throwaway_postgres():
        run(arguments.cases)


if __name__ == "__main__":
    main()
