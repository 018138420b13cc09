"""Demo data: departments, bilingual categories, role users, two internal targets, ~300 cases over
six weeks, and a few cases that show the resolution clock's pause, resume and new facts.

Every case is made through the workflow services with back-dated clocks, so its events and
deadlines are real. A case's texts (subject, description, responses, reasons, notes) are in
its customer's language: Chinese-named customers write and are answered in Chinese,
English-named ones in English. Running it again adds nothing. It refuses production settings.
"""
from __future__ import annotations

import logging
import random
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Category, Cause, Complaint, ComplaintEvent, Department
from complaints.selectors import overdue_q
from complaints.states import (
    Channel,
    Closure,
    ComplaintState,
    ContactMethod,
    EventKind,
    ExtensionStatus,
    Kind,
    Outcome,
    PauseReason,
    Severity,
)
from workflows import policies, services
from workflows.calendars import Unit
from workflows.models import Calendar, ClockTarget, SlaPolicy, TargetMeasures

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
# The seed of the random plan; the plan (category, channel, clocks, fate...) is drawn from it in
# a fixed order, so every run makes the same cases with the same counts per state.
SEED = 20261124
# Share of invented customers with English names (and English texts). Drawn from a second,
# per-case generator so that the plan above stays the same draw for draw.
ENGLISH_SHARE = 0.3
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
ENGLISH_GIVEN = [
    "James", "Mary", "David", "Linda", "Michael", "Sarah", "Robert", "Emma", "Daniel", "Olivia",
    "Thomas", "Grace", "Peter", "Helen", "Mark", "Anna", "Paul", "Laura", "Simon", "Kate",
]
ENGLISH_SURNAMES = [
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts", "Walker",
    "Wright", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall", "Wood", "Clarke", "Turner",
]
# Per category: (English subject, English description, Chinese subject, Chinese description).
# The number of subjects per category is part of the plan: keep it when editing texts.
SUBJECTS = {
    "savings": [
        ("Interest not credited",
         "The interest on my fixed deposit was due on the maturity date but has not been credited to my account.",
         "定期存款利息未到账",
         "我的定期存款已于到期日到期，但利息至今没有转入我的账户。"),
        ("Deposit certificate missing",
         "I opened a certificate of deposit at the branch last month and never received the certificate.",
         "存单未收到",
         "上个月我在网点办理了大额存单，至今没有收到存单凭证。"),
        ("Long queue at the counter",
         "I waited more than an hour at the branch counter with only one window open.",
         "柜台排队时间过长",
         "我在网点柜台排队等候超过一个小时，只开了一个窗口。"),
    ],
    "bank-cards": [
        ("Annual fee charged twice",
         "The annual fee for my credit card was charged twice on this month's statement.",
         "信用卡年费重复扣收",
         "本月账单中我的信用卡年费被扣了两次。"),
        ("Card blocked without notice",
         "My debit card was blocked while I was paying at a shop, and nobody told me why.",
         "银行卡被无故冻结",
         "我在商店付款时借记卡突然被冻结，没有任何人通知我原因。"),
        ("Disputed card transaction",
         "There is a card payment on my statement that I did not make and I want it refunded.",
         "信用卡交易有争议",
         "我的账单上有一笔不是我本人操作的刷卡消费，要求退款。"),
    ],
    "loans": [
        ("Early repayment fee",
         "I was charged an early repayment fee that the loan officer said I would not have to pay.",
         "提前还款违约金",
         "我提前还贷被收取了违约金，但当初客户经理说不会收取。"),
        ("Mortgage rate not adjusted",
         "The benchmark rate fell but the rate on my mortgage has not been adjusted.",
         "房贷利率未调整",
         "基准利率已经下调，但我的房贷利率一直没有调整。"),
        ("Loan statement wrong",
         "My loan statement shows a balance higher than what I still owe.",
         "贷款对账单有误",
         "我的贷款对账单显示的余额比我实际欠款要高。"),
    ],
    "payments": [
        ("Transfer delayed",
         "A transfer I made three days ago has still not reached the payee.",
         "转账迟迟未到账",
         "我三天前的一笔转账至今对方仍未收到。"),
        ("Payment returned without reason",
         "My payment to a supplier was returned to my account without any explanation.",
         "付款被退回且无说明",
         "我支付给供应商的款项被退回账户，没有任何说明。"),
        ("Cross-border remittance stuck",
         "My remittance to my daughter's university abroad has been pending for a week.",
         "跨境汇款长时间未到",
         "我汇往女儿境外大学的学费已经一周了还显示处理中。"),
    ],
    "cash": [
        ("Damaged notes refused",
         "The branch refused to exchange slightly damaged banknotes for me.",
         "残损人民币拒绝兑换",
         "网点拒绝为我兑换轻微残损的人民币。"),
        ("ATM dispensed less cash",
         "I withdrew 2,000 yuan at the ATM but it only dispensed 1,500 yuan.",
         "ATM取款少吐钞",
         "我在ATM取款2000元，但只吐出1500元现金。"),
    ],
    "mobile-app": [
        ("App login fails",
         "I cannot log in to the mobile banking app since the latest update.",
         "手机银行无法登录",
         "手机银行更新到最新版本后我一直无法登录。"),
        ("OTP SMS not received",
         "I never receive the one-time password by SMS, so I cannot confirm payments.",
         "收不到短信验证码",
         "我一直收不到短信验证码，无法完成支付确认。"),
        ("App crashes on transfer",
         "The app closes itself every time I try to make a transfer.",
         "转账时手机银行闪退",
         "每次转账时手机银行都会自动闪退。"),
    ],
    "personal-data": [
        ("Marketing calls after opt-out",
         "I keep getting marketing calls from the bank although I opted out last year.",
         "退订后仍收到营销电话",
         "我去年已经退订营销信息，但仍不断接到银行的营销电话。"),
        ("Statement sent to old address",
         "My statement was sent to my old address although I updated it at the branch.",
         "对账单寄往旧地址",
         "我已在网点更新了地址，但对账单仍然寄到了旧地址。"),
    ],
    "wealth": [
        ("Product risk not explained",
         "The wealth product I was sold lost value, and its risk was never explained to me.",
         "理财产品风险未告知",
         "我购买的理财产品出现亏损，销售时从未向我说明其风险。"),
        ("Redemption slower than promised",
         "I redeemed my fund units a week ago and the money is still not in my account.",
         "赎回到账慢于承诺",
         "我一周前赎回了基金份额，资金至今未到账。"),
    ],
    "other": [
        ("Branch parking",
         "There is nowhere to park at the branch and the guard asked me to leave.",
         "网点停车问题",
         "网点附近无处停车，保安还要求我把车开走。"),
        ("General question",
         "I would like to know which documents I need to open an account for my son.",
         "一般咨询",
         "我想了解为儿子开户需要携带哪些证件。"),
    ],
}
# The texts of a case's later steps, per language; each case draws one of each.
TEXTS = {
    "en": {
        "ask": ["Please look into it and reply.", "I would like a reply within the week."],
        "respond": [
            "We called the customer and are looking into it.",
            "We called the customer, confirmed the details and explained the next steps.",
        ],
        "extension": [
            "Waiting for the card scheme's chargeback result.",
            "Waiting for the correspondent bank's reply.",
        ],
        "resolve": [
            "Checked the records and explained the result to the customer.",
            "Corrected the account and apologised to the customer.",
            "Explained the terms of the contract; the charge stands.",
        ],
        "reject": ["Not a complaint about the bank.", "A duplicate of a case the customer already logged."],
        "withdraw": ["The customer withdrew by phone.", "The customer sorted it out at the branch and withdrew."],
        "reopen": ["The customer does not accept the explanation.", "The customer says the problem happened again."],
        "callback": ["No answer.", "Phone switched off.", "Line busy."],
        "unreachable": ["Three call-backs, no answer."],
        "close": ["Customer accepts.", "Customer satisfied with the result."],
    },
    "zh": {
        "ask": ["请核实并答复。", "希望一周内得到答复。"],
        "respond": ["已致电客户，正在核实处理。", "已致电客户，核对了情况并说明了后续处理。"],
        "extension": ["等待卡组织的退单结果。", "等待代理行回复。"],
        "resolve": ["已核查记录并向客户说明结果。", "已更正账户并向客户致歉。", "已向客户解释合同条款，费用不予退还。"],
        "reject": ["不属于对本行的投诉。", "与客户已登记的工单重复。"],
        "withdraw": ["客户来电撤回。", "客户已在网点解决，主动撤回。"],
        "reopen": ["客户不接受处理说明。", "客户反映问题再次出现。"],
        "callback": ["无人接听。", "手机关机。", "电话占线。"],
        "unreachable": ["三次回访均无人接听。"],
        "close": ["客户接受处理结果。", "客户对处理结果满意。"],
    },
}
CASES = 300
DAYS = 42
# The bank's own targets beside the regulator's clocks, made before the cases so that intake
# starts them: code, English name, Chinese name, clock measured, severity ("" for every one),
# window, unit, warning percent. A day-counted target counts on the policies' calendar.
TARGETS = [
    ("fr4h", "First response in 4 hours (high severity)", "高严重度工单4小时内首次响应",
     TargetMeasures.FIRST_RESPONSE, Severity.HIGH, 4, Unit.HOURS, 50),
    ("res5bd", "Resolve in 5 business days", "5个工作日内办结",
     TargetMeasures.RESOLUTION, "", 5, Unit.BUSINESS_DAYS, 60),
]
# Cases that show the clocks: the resolution clock paused (once per reason), paused and
# resumed, restarted by new facts, extended past the calendar's last loaded year (a 20-day
# extension to a 35-day window, asked for on a case logged three days before; the calendar gap
# badge shows when that is a year the calendar lacks, as in December on a calendar loaded to
# this year), and a fresh high-severity case with both internal targets running. Their
# external IDs do not start with DEMO-, so that --cases counts the random cases alone.
# Times are hours before now; "respond" is the first response (None: not yet). Each step is
# (service, hours before now, arguments); approve_extension is the supervisor's, the others
# the handling department owner's (the supervisor's when it has none).
CLOCK_PREFIX = "CLOCK-"
CLOCK_CASES = [
    {
        "category": "cash", "severity": Severity.MEDIUM, "channel": Channel.BRANCH, "name": "周建明",
        "subject": "ATM取款少吐钞",
        "description": "我在ATM取款2000元，但只吐出1500元现金，账户却扣了2000元。请核实并退还。",
        "received": 144, "respond": 140, "message": "已致电客户，说明将对该ATM清机对账并核查监控。",
        "steps": [
            ("pause", 96, {"reason": PauseReason.APPRAISAL, "customer_notified_by": ContactMethod.PHONE,
                           "note": "已委托设备厂商对该ATM清机对账并检测吐钞模块，等待检测报告。"}),
        ],
    },
    {
        "category": "wealth", "severity": Severity.HIGH, "channel": Channel.LETTER, "name": "林秀英",
        "subject": "理财产品风险未告知",
        "description": "我购买的理财产品出现亏损，销售时从未向我说明其风险，要求赔偿本金损失。",
        "received": 216, "respond": 204, "message": "已致电客户，核对了购买记录并说明了后续处理。",
        "steps": [
            ("pause", 72, {"reason": PauseReason.MEDIATION, "customer_notified_by": ContactMethod.LETTER,
                           "note": "客户同意由金融消费纠纷调解中心调解，等待调解结果。"}),
        ],
    },
    {
        "category": "loans", "severity": Severity.MEDIUM, "channel": Channel.EMAIL, "name": "Helen Walker",
        "subject": "Loan statement wrong",
        "description": "My loan statement shows a balance higher than what I still owe. Please look into it and reply.",
        "received": 120, "respond": 115,
        "message": "We called the customer and asked which repayments are missing from the statement.",
        "steps": [
            ("pause", 48, {"reason": PauseReason.AWAITING_DOCUMENTS, "customer_notified_by": ContactMethod.EMAIL,
                           "note": "Asked the customer for the receipts of the March to May repayments; waiting for them."}),
        ],
    },
    {
        "category": "savings", "severity": Severity.MEDIUM, "channel": Channel.PHONE, "name": "陈丽娟",
        "subject": "存单未收到",
        "description": "上个月我在网点办理了大额存单，至今没有收到存单凭证。请核实并答复。",
        "received": 288, "respond": 276, "message": "已致电客户，正在核实存单办理记录。",
        "steps": [
            ("pause", 216, {"reason": PauseReason.AWAITING_DOCUMENTS, "customer_notified_by": ContactMethod.SMS,
                            "note": "请客户补充提供开户回单和身份证复印件。"}),
            ("resume", 144, {"note": "客户已到网点补交开户回单，恢复计时。"}),
        ],
    },
    {
        "category": "bank-cards", "severity": Severity.MEDIUM, "channel": Channel.APP, "name": "Daniel Hughes",
        "subject": "Disputed card transaction",
        "description": "There is a card payment on my statement that I did not make and I want it refunded.",
        "received": 264, "respond": 252, "message": "We called the customer and opened a chargeback with the card scheme.",
        "steps": [
            ("new_facts", 48, {"note": "The customer reported two more payments to the same merchant that he did not make."}),
        ],
    },
    {
        "category": "payments", "severity": Severity.MEDIUM, "channel": Channel.WECHAT, "name": "黄志强",
        "subject": "跨境汇款长时间未到",
        "description": "我汇往女儿境外大学的学费已经一周了还显示处理中，请尽快查明。",
        "received": 72, "respond": 66, "message": "已致电客户，已向代理行发起查询。",
        "steps": [
            ("request_extension", 30, {"days": 20, "reason": "需经境外代理行和收款行逐级查询，预计15天内无法办结。"}),
            ("approve_extension", 24, {"customer_notified_by": ContactMethod.SMS}),
        ],
    },
    {
        "category": "savings", "severity": Severity.HIGH, "channel": Channel.PHONE, "name": "王海燕",
        "subject": "账户出现不明转出",
        "description": "我的储蓄账户刚刚被转出5万元，不是我本人操作，要求立即冻结账户并查明原因。",
        "received": 0.8, "respond": None, "message": "", "steps": [],
    },
]
# Loggers whose per-case INFO lines (one per transition) would drown the summary.
QUIET_LOGGERS = ("workflows", "complaints")


def _may_extend(case, days: int) -> bool:
    """Whether the case's policy lets its window grow by ``days`` (not under every rule set)."""
    try:
        policies.extension_tier(case.resolution_window_days, days, SlaPolicy.sla_for(kind=case.kind, severity=case.severity))
    except ValueError:
        return False
    return True


class Command(BaseCommand):
    help = (
        "Create demo departments, categories, users, two internal targets, about 300 cases and seven that "
        "show the clocks (idempotent; not in production)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo", help="Password for every demo user (default: demo).")
        parser.add_argument("--cases", type=int, default=CASES, help="How many demo cases (default: 300).")

    def handle(self, *args, **options):
        if getattr(settings, "SETTINGS_NAME", "") == "production":
            raise CommandError(_("seed_demo refuses to run with production settings."))
        demo_cases = Complaint.objects.filter(external_id__startswith="DEMO-")
        events_before = ComplaintEvent.objects.filter(complaint__in=demo_cases).count()
        # Each transition logs a line at INFO; -v 2 shows them, the default shows the summary only.
        with _quiet(QUIET_LOGGERS, unless=options["verbosity"] >= 2):
            with transaction.atomic():
                departments = self._departments()
                categories = self._categories(departments)
                users, new_users = self._users(departments, options["password"])
                targets = self._targets()
            created = self._cases(categories, departments, users, options["cases"])
            clock_created = self._clock_cases(categories, departments, users)
        self._summary(departments, categories, new_users, options["password"], created, events_before, targets, clock_created)

    def _summary(
        self, departments, categories, new_users: int, password: str, created: int, events_before: int,
        targets: list[ClockTarget], clock_created: int,
    ) -> None:
        demo_cases = Complaint.objects.filter(external_id__startswith="DEMO-")
        states = dict(demo_cases.values_list("state").annotate(n=Count("id")).order_by())
        figures = demo_cases.aggregate(
            overdue=Count("id", filter=overdue_q(timezone.now())),
            extended=Count("id", filter=Q(extension_status=ExtensionStatus.APPROVED)),
            reopened=Count("id", filter=Q(reopen_count__gt=0)),
            unreachable=Count("id", filter=Q(closure=Closure.UNREACHABLE)),
        )
        events = ComplaintEvent.objects.filter(complaint__in=demo_cases).count()
        roles = {
            "cs": _("customer service: log, route, call back"),
            "owner": _("owner of %(department)s") % {"department": departments["retail"].name},
            "member": _("member of %(department)s") % {"department": departments["retail"].name},
            "other_owner": _("owner of %(department)s") % {"department": departments["cards"].name},
            "supervisor": _("sees everything, approves long extensions"),
            "admin": _("superuser"),
        }
        if new_users:
            logins = _("Logins (password: %(password)s):") % {"password": password}
        else:
            logins = _("Logins (passwords as first seeded):")
        lines = [self.style.SUCCESS(_("Demo data ready.")), f"  {logins}"]
        lines += [f"    {username:<13} {role}" for username, role in roles.items()]
        lines.append(
            "  "
            + _("Departments (%(count)d): %(names)s; %(categories)d categories")
            % {
                "count": len(departments),
                "names": ", ".join(department.name for department in departments.values()),
                "categories": len(categories),
            }
        )
        lines.append(
            "  "
            + _("Cases: %(total)d (%(new)d new): %(states)s")
            % {
                "total": sum(states.values()),
                "new": created,
                "states": ", ".join(
                    f"{states[state]} {ComplaintState(state).label.lower()}" for state in ComplaintState.values if state in states
                ),
            }
        )
        lines.append(
            "  "
            + _(
                "Overdue now: %(overdue)d; extensions approved: %(extended)d; reopened: %(reopened)d; "
                "closed as unreachable: %(unreachable)d"
            )
            % figures
        )
        clock_cases = Complaint.objects.filter(external_id__startswith=CLOCK_PREFIX)
        clock = clock_cases.aggregate(
            total=Count("id", distinct=True),
            paused=Count("id", distinct=True, filter=Q(resolution_paused_at__isnull=False)),
            resumed=Count("id", distinct=True, filter=Q(events__kind=EventKind.RESUME)),
            new_facts=Count("id", distinct=True, filter=Q(events__kind=EventKind.NEW_FACTS)),
            gaps=Count("id", distinct=True, filter=~Q(calendar_gaps="")),
        )
        lines.append(
            "  "
            + _(
                "Clock cases: %(total)d (%(new)d new): %(paused)d paused, %(resumed)d resumed, "
                "%(new_facts)d with new facts, %(gaps)d due in a year the calendar lacks; internal targets: %(targets)s"
            )
            % {**clock, "new": clock_created, "targets": ", ".join(target.code for target in targets)}
        )
        lines.append("  " + _("Events: %(total)d (%(new)d new)") % {"total": events, "new": events - events_before})
        self.stdout.write("\n".join(lines))

    def _departments(self) -> dict[str, Department]:
        result = {}
        for code, name_en, name_zh in DEPARTMENTS:
            result[code], _created = Department.objects.get_or_create(
                code=code, defaults={"name_en": name_en, "name_zh": name_zh}
            )
        return result

    def _categories(self, departments) -> dict[str, Category]:
        result = {}
        for code, name_en, name_zh, department in CATEGORIES:
            category, _created = Category.objects.get_or_create(
                code=code,
                defaults={
                    "name_en": name_en,
                    "name_zh": name_zh,
                    "default_department": departments[department] if department else None,
                },
            )
            # The migrations create the business axis without routing; the demo routes it, and
            # leaves a routing someone chose alone.
            if department and category.default_department_id is None:
                category.default_department = departments[department]
                category.save(update_fields=["default_department"])
            result[code] = category
        return result

    def _users(self, departments, password: str) -> tuple[dict[str, User], int]:
        """The role users by username, and how many of them this run created."""
        result = {}
        new = 0
        for username, groups, owns, works_in in USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True, "email": f"{username}@bank.example"}
            )
            if created:
                new += 1
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
            new += 1
            admin.set_password(password)
            admin.save()
        result["admin"] = admin
        return result, new

    def _targets(self) -> list[ClockTarget]:
        policy = SlaPolicy.objects.filter(calendar__isnull=False).select_related("calendar").first()
        calendar = policy.calendar if policy is not None else Calendar.objects.filter(code="cn").first()
        result = []
        for code, name_en, name_zh, measures, severity, window, unit, warning in TARGETS:
            target, _created = ClockTarget.objects.get_or_create(
                code=code,
                defaults={
                    "name_en": name_en,
                    "name_zh": name_zh,
                    "measures": measures,
                    "severity": severity,
                    "window": window,
                    "unit": unit,
                    "calendar": None if unit == Unit.HOURS else calendar,
                    "warning_percent": warning,
                },
            )
            result.append(target)
        return result

    def _cases(self, categories, departments, users, count: int) -> int:
        rng = random.Random(SEED)
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

    def _clock_cases(self, categories, departments, users) -> int:
        now = timezone.now()
        created = 0
        for number, plan in enumerate(CLOCK_CASES, start=1):
            external_id = f"{CLOCK_PREFIX}{number:02d}"
            if Complaint.objects.filter(channel=plan["channel"], external_id=external_id).exists():
                continue
            self._make_clock_case(plan, number, external_id, now, categories, departments, users)
            created += 1
        return created

    def _make_clock_case(self, plan, number, external_id, now, categories, departments, users) -> None:
        def ago(hours: float) -> datetime:
            return now - timedelta(hours=hours)

        case, _created = services.complaint_create(
            actor=users["cs"],
            kind=Kind.COMPLAINT,
            channel=plan["channel"],
            severity=plan["severity"],
            category=categories[plan["category"]],
            subject=plan["subject"],
            description=plan["description"],
            customer=services.CustomerData(
                name=plan["name"],
                phone=f"139{number:08d}",
                email=f"{external_id.lower()}@example.com",
                id_number=f"3101011985{number:02d}15{number:04d}",
                account=f"6222{number:012d}",
            ),
            received_at=ago(plan["received"]),
            external_id=external_id,
            now=ago(plan["received"]) + timedelta(minutes=5),
        )
        if case.department is None:
            case = services.complaint_assign(
                complaint=case, actor=users["cs"], department=departments["operations"], now=ago(plan["received"] - 1)
            )
        assert case.department is not None, "routed just above"
        handler = case.department.owners.first() or users["supervisor"]
        if plan["respond"] is None:
            return
        case = services.complaint_respond(
            complaint=case, actor=handler, method=ContactMethod.PHONE, message=plan["message"], now=ago(plan["respond"])
        )
        for name, hours, arguments in plan["steps"]:
            if name in ("request_extension", "approve_extension") and not _may_extend(case, 20):
                continue  # the rule set's window cannot be extended (uk: 8 weeks)
            actor = users["supervisor"] if name == "approve_extension" else handler
            case = getattr(services, f"complaint_{name}")(complaint=case, actor=actor, now=ago(hours), **arguments)

    def _plan(self, rng: random.Random, number: int, now: datetime, categories) -> dict:
        category = rng.choice(list(categories.values()))
        received = now - timedelta(seconds=rng.randint(600, DAYS * 86400))
        plan = {
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
        # The customer's language and the case's wording come from a generator of their own,
        # seeded per case, so they do not shift the plan's draws.
        words = random.Random(f"{SEED}-texts-{number}")
        subject_en, description_en, subject_zh, description_zh = plan["subject"]
        if words.random() < ENGLISH_SHARE:
            plan["name"] = f"{words.choice(ENGLISH_GIVEN)} {words.choice(ENGLISH_SURNAMES)}"
            texts, subject, description = TEXTS["en"], subject_en, description_en
            separator = " "
        else:
            texts, subject, description = TEXTS["zh"], subject_zh, description_zh
            separator = ""
        plan["subject"] = subject
        plan["texts"] = {step: words.choice(variants) for step, variants in texts.items()}
        plan["description"] = description + separator + plan["texts"]["ask"]
        return plan

    def _make_case(self, plan, external_id, now, departments, users, causes) -> None:
        cs, supervisor = users["cs"], users["supervisor"]
        texts = plan["texts"]
        at = plan["received"] + timedelta(minutes=5)
        case, _created = services.complaint_create(
            actor=cs,
            kind=plan["kind"],
            channel=plan["channel"],
            severity=plan["severity"],
            category=plan["category"],
            subject=plan["subject"],
            description=plan["description"],
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
            services.complaint_reject(complaint=case, actor=cs, reason=texts["reject"], now=at + timedelta(hours=1))
            return
        if fate == "withdraw":
            services.complaint_withdraw(complaint=case, actor=cs, reason=texts["withdraw"], now=at + timedelta(hours=2))
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
        assert department is not None, "routed just above"
        handler = department.owners.first() or supervisor
        at = plan["received"] + timedelta(hours=plan["respond_hours"])
        if at > now:
            return
        case = services.complaint_respond(
            complaint=case, actor=handler, method=ContactMethod.PHONE, message=texts["respond"], now=at
        )
        if fate == "extension" and case.resolution_due > now and _may_extend(case, 10):
            case = services.complaint_request_extension(
                complaint=case, actor=handler, days=10, reason=texts["extension"], now=now - timedelta(minutes=30)
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
            summary=texts["resolve"],
            cause=causes[plan["cause_index"] % len(causes)],
            compensation=plan["compensation"] if plan["outcome"] != Outcome.NOT_UPHELD else None,
            now=at,
        )
        if fate == "reopen":
            at += timedelta(days=1)
            if at > now:
                return
            services.complaint_reopen(complaint=case, actor=cs, reason=texts["reopen"], now=at)
            return
        if fate == "unreachable":
            for _attempt in range(3):
                at += timedelta(hours=4)
                if at > now:
                    return
                case = services.complaint_record_callback_attempt(complaint=case, actor=cs, note=texts["callback"], now=at)
            services.complaint_close_unreachable(complaint=case, actor=cs, notes=texts["unreachable"], now=at)
            return
        at += timedelta(days=plan["review_days"])
        if at > now:
            return
        services.complaint_close(complaint=case, actor=cs, satisfaction=plan["satisfaction"], notes=texts["close"], now=at)


@contextmanager
def _quiet(names: tuple[str, ...], *, unless: bool):
    """Raise these loggers to WARNING for the duration, so warnings and errors still show."""
    if unless:
        yield
        return
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
