"""Demo data: departments, bilingual categories, role users and ~300 cases over six weeks.

Every case is made through the workflow services with back-dated clocks, so its events and
deadlines are real. Running it again adds nothing. It refuses production settings.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from complaints.models import Category, Cause, Complaint, Department
from complaints.states import Channel, ContactMethod, Kind, Outcome, Severity
from workflows import services

DEPARTMENTS = [
    ("retail", "Retail banking", "零售银行部"),
    ("cards", "Cards", "信用卡中心"),
    ("loans", "Loans", "个人贷款部"),
    ("operations", "Operations", "运营管理部"),
    ("it", "IT", "信息科技部"),
]
# code, English, Chinese, default department
CATEGORIES = [
    ("savings", "Savings and deposits", "储蓄存款", "retail"),
    ("bank-cards", "Bank and credit cards", "银行卡", "cards"),
    ("loans", "Loans", "贷款", "loans"),
    ("payments", "Payments and settlement", "支付结算", "operations"),
    ("cash", "Cash management", "人民币管理", "operations"),
    ("mobile-app", "Mobile and online banking", "手机银行与网上银行", "it"),
    ("personal-data", "Personal financial information", "个人金融信息", "it"),
    ("wealth", "Wealth management", "理财产品", "retail"),
    ("other", "Other", "其他", None),
]
USERS = [
    # username, groups, department it owns, department it works in
    ("cs", ["cs_staff"], None, None),
    ("owner", ["dept_owner"], "retail", None),
    ("member", ["dept_member"], None, "retail"),
    ("other_owner", ["dept_owner"], "cards", None),
    ("supervisor", ["supervisor"], None, None),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
SUBJECTS = {
    "savings": ["Interest not credited", "Deposit certificate missing", "Long queue at the counter"],
    "bank-cards": ["Annual fee charged twice", "Card blocked without notice", "Disputed card transaction"],
    "loans": ["Early repayment fee", "Mortgage rate not adjusted", "Loan statement wrong"],
    "payments": ["Transfer delayed", "Payment returned without reason", "Cross-border remittance stuck"],
    "cash": ["Damaged notes refused", "ATM dispensed less cash"],
    "mobile-app": ["App login fails", "OTP SMS not received", "App crashes on transfer"],
    "personal-data": ["Marketing calls after opt-out", "Statement sent to old address"],
    "wealth": ["Product risk not explained", "Redemption slower than promised"],
    "other": ["Branch parking", "General question"],
}
CASES = 300
DAYS = 42


class Command(BaseCommand):
    help = "Create demo departments, categories, users and about 300 cases (idempotent; not in production)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo", help="Password for every demo user (default: demo).")
        parser.add_argument("--cases", type=int, default=CASES, help="How many demo cases (default: 300).")

    def handle(self, *args, **options):
        if getattr(settings, "SETTINGS_NAME", "") == "production":
            raise CommandError("seed_demo refuses to run with production settings.")
        with transaction.atomic():
            departments = self._departments()
            categories = self._categories(departments)
            users = self._users(departments, options["password"])
        created = self._cases(categories, departments, users, options["cases"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(departments)} departments, {len(categories)} categories, "
                f"{Complaint.objects.count()} cases ({created} new)."
            )
        )

    def _departments(self) -> dict[str, Department]:
        result = {}
        for code, name_en, name_zh in DEPARTMENTS:
            result[code], _ = Department.objects.get_or_create(code=code, defaults={"name_en": name_en, "name_zh": name_zh})
        return result

    def _categories(self, departments) -> dict[str, Category]:
        result = {}
        for code, name_en, name_zh, department in CATEGORIES:
            result[code], _ = Category.objects.get_or_create(
                code=code,
                defaults={
                    "name_en": name_en,
                    "name_zh": name_zh,
                    "default_department": departments[department] if department else None,
                },
            )
        return result

    def _users(self, departments, password: str) -> dict[str, User]:
        result = {}
        for username, groups, owns, works_in in USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True, "email": f"{username}@bank.example"}
            )
            if created:
                user.set_password(password)
                user.save()
                user.groups.set(Group.objects.filter(name__in=groups))
                if owns:
                    departments[owns].owners.add(user)
                if works_in:
                    departments[works_in].members.add(user)
            result[username] = user
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True, "email": "admin@bank.example"}
        )
        if created:
            admin.set_password(password)
            admin.save()
        result["admin"] = admin
        return result

    def _cases(self, categories, departments, users, count: int) -> int:
        rng = random.Random(20261124)
        now = timezone.now()
        causes = list(Cause.objects.filter(is_active=True))
        created = 0
        for number in range(1, count + 1):
            # Draw every random value whether or not the case exists, so reruns stay identical.
            plan = self._plan(rng, number, now, categories)
            external_id = f"DEMO-{number:04d}"
            if Complaint.objects.filter(channel=plan["channel"], external_id=external_id).exists():
                continue
            self._make_case(plan, external_id, now, departments, users, causes)
            created += 1
        return created

    def _plan(self, rng: random.Random, number: int, now: datetime, categories) -> dict:
        category = rng.choice(list(categories.values()))
        received = now - timedelta(seconds=rng.randint(600, DAYS * 86400))
        return {
            "category": category,
            "channel": rng.choice(Channel.values),
            "kind": rng.choices(Kind.values, weights=[80, 8, 5, 7])[0],
            "severity": rng.choices(Severity.values, weights=[30, 55, 15])[0],
            "received": received,
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", rng.choice(GIVEN)]),
            "phone": f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
            "id_number": f"{rng.randint(110000, 659999)}19{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 9999):04d}",
            "account": f"6222{rng.randint(0, 10**12 - 1):012d}",
            "subject": rng.choice(SUBJECTS[category.code]),
            "respond_hours": rng.choice([0.5, 2, 5, 10, 20, 23, 30, 50]),
            "resolve_days": rng.choice([1, 2, 3, 5, 8, 12, 14, 17, 25]),
            "review_days": rng.choice([1, 2, 3, 5, 9]),
            "fate": rng.choices(
                ["normal", "reject", "merge", "withdraw", "reopen", "unreachable", "extension"],
                weights=[72, 4, 3, 3, 7, 6, 5],
            )[0],
            "satisfaction": rng.choices([1, 2, 3, 4, 5], weights=[5, 8, 15, 35, 37])[0],
            "outcome": rng.choice(Outcome.values),
            "cause_index": rng.randint(0, 99),
            "compensation": rng.choice([None, None, Decimal("50.00"), Decimal("200.00"), Decimal("1200.00")]),
        }

    def _make_case(self, plan, external_id, now, departments, users, causes) -> None:
        cs, supervisor = users["cs"], users["supervisor"]
        at = plan["received"] + timedelta(minutes=5)
        case, _ = services.complaint_create(
            actor=cs,
            kind=plan["kind"],
            channel=plan["channel"],
            severity=plan["severity"],
            category=plan["category"],
            subject=plan["subject"],
            description=f"{plan['subject']}. The customer asks the bank to look into it and reply.",
            customer=services.CustomerData(
                name=plan["name"],
                phone=plan["phone"],
                email=f"customer{external_id[-4:]}@example.com",
                id_number=plan["id_number"],
                account=plan["account"],
            ),
            received_at=plan["received"],
            external_id=external_id,
            now=at,
        )
        fate = plan["fate"]
        if fate == "reject":
            services.complaint_reject(complaint=case, actor=cs, reason="Not a complaint about the bank.", now=at + timedelta(hours=1))
            return
        if fate == "withdraw":
            services.complaint_withdraw(complaint=case, actor=cs, reason="The customer withdrew by phone.", now=at + timedelta(hours=2))
            return
        if fate == "merge":
            target = Complaint.objects.filter(state__in=["assigned", "in_progress"]).exclude(pk=case.pk).order_by("?").first()
            if target is not None:
                services.complaint_merge(complaint=case, actor=cs, into=target, now=at + timedelta(minutes=30))
                return
        if case.state == "new":
            # Unrouted cases wait for customer service; recent ones are still waiting.
            at += timedelta(days=3)
            if at > now:
                return
            case = services.complaint_assign(complaint=case, actor=cs, department=departments["operations"], now=at)
        department = case.department
        handler = department.owners.first() or supervisor
        at = plan["received"] + timedelta(hours=plan["respond_hours"])
        if at > now:
            return
        case = services.complaint_respond(
            complaint=case, actor=handler, method=ContactMethod.PHONE, message="We called the customer and are looking into it.", now=at
        )
        if fate == "extension" and case.resolution_due > now:
            case = services.complaint_request_extension(
                complaint=case, actor=handler, days=10, reason="Waiting for the card scheme's chargeback result.", now=now - timedelta(minutes=30)
            )
            case = services.complaint_approve_extension(
                complaint=case, actor=supervisor, customer_notified_by=ContactMethod.SMS, now=now - timedelta(minutes=10)
            )
            return
        at = plan["received"] + timedelta(days=plan["resolve_days"])
        if at > now:
            return
        case = services.complaint_resolve(
            complaint=case,
            actor=handler,
            outcome=plan["outcome"],
            summary="Checked the records and explained the result to the customer.",
            cause=causes[plan["cause_index"] % len(causes)],
            compensation=plan["compensation"] if plan["outcome"] != Outcome.NOT_UPHELD else None,
            now=at,
        )
        if fate == "reopen":
            at += timedelta(days=1)
            if at > now:
                return
            services.complaint_reopen(complaint=case, actor=cs, reason="The customer does not accept the explanation.", now=at)
            return
        if fate == "unreachable":
            for _attempt in range(3):
                at += timedelta(hours=4)
                if at > now:
                    return
                case = services.complaint_record_callback_attempt(complaint=case, actor=cs, note="No answer.", now=at)
            services.complaint_close_unreachable(complaint=case, actor=cs, notes="Three call-backs, no answer.", now=at)
            return
        at += timedelta(days=plan["review_days"])
        if at > now:
            return
        services.complaint_close(complaint=case, actor=cs, satisfaction=plan["satisfaction"], notes="Customer accepts.", now=at)
