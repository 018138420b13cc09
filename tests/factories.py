"""factory_boy factories and helpers that build cases through the real services."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from complaints.models import Category, Cause, Complaint, Department
from complaints.states import ComplaintState as S
from workflows import services


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@bank.example")
    is_staff = True

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "pw")
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for name in extracted or []:
            self.groups.add(Group.objects.get(name=name))


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name_en = factory.LazyAttribute(lambda d: f"Department {d.code}")
    name_zh = factory.LazyAttribute(lambda d: f"部门 {d.code}")


class CategoryFactory(factory.django.DjangoModelFactory):
    """A category as given; one the migrations created already (the JR/T 0169 business axis) is updated to it."""

    class Meta:
        model = Category

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        code = kwargs.pop("code")
        category, _created = model_class.objects.update_or_create(code=code, defaults=kwargs)
        return category

    code = factory.Sequence(lambda n: f"cat-{n}")
    name_en = factory.LazyAttribute(lambda c: f"Category {c.code}")
    name_zh = factory.LazyAttribute(lambda c: f"类别 {c.code}")
    default_department = None


def cause(code: str = "service-attitude") -> Cause:
    return Cause.objects.get(code=code)


@dataclass
class World:
    retail: Department
    cards: Department
    routed: Category  # routed to retail at intake
    unrouted: Category
    cards_category: Category
    cs: User
    owner: User
    member: User
    other_owner: User
    other_member: User
    supervisor: User
    outsider: User  # staff with no role


def ensure_reference_data() -> None:
    """Roles, causes and policies from the data migrations (a transactional test's flush removes them)."""
    import importlib

    from django.contrib.auth.models import Permission

    from workflows.models import SlaPolicy

    roles = importlib.import_module("complaints.migrations.0002_roles_causes_event_guard")
    report_roles = importlib.import_module("reports.migrations.0002_role_permissions")
    department_reports = importlib.import_module("reports.migrations.0004_department_reports")
    for app_label, grants in (
        ("complaints", roles.ROLE_PERMISSIONS),
        ("reports", report_roles.ROLE_PERMISSIONS),
        ("reports", department_reports.ROLE_PERMISSIONS),
    ):
        for name, codenames in grants.items():
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    for code, name_en, name_zh in roles.CAUSES:
        Cause.objects.get_or_create(code=code, defaults={"name_en": name_en, "name_zh": name_zh})
    policies = importlib.import_module("workflows.migrations.0002_default_policies")
    for kind in policies.KINDS:
        for severity in policies.SEVERITIES:
            SlaPolicy.objects.get_or_create(kind=kind, severity=severity)


def make_world() -> World:
    ensure_reference_data()
    retail = DepartmentFactory(code="retail")
    cards = DepartmentFactory(code="cards")
    owner = UserFactory(username="owner", roles=["dept_owner"])
    member = UserFactory(username="member", roles=["dept_member"])
    other_owner = UserFactory(username="other_owner", roles=["dept_owner"])
    other_member = UserFactory(username="other_member", roles=["dept_member"])
    retail.owners.add(owner)
    retail.members.add(member)
    cards.owners.add(other_owner)
    cards.members.add(other_member)
    return World(
        retail=retail,
        cards=cards,
        routed=CategoryFactory(code="savings", default_department=retail),
        unrouted=CategoryFactory(code="general"),
        cards_category=CategoryFactory(code="cards", default_department=cards),
        cs=UserFactory(username="cs", roles=["cs_staff"]),
        owner=owner,
        member=member,
        other_owner=other_owner,
        other_member=other_member,
        supervisor=UserFactory(username="supervisor", roles=["supervisor"]),
        outsider=UserFactory(username="outsider"),
    )


def create_case(
    world: World,
    *,
    category: Category | None = None,
    received_at: datetime | None = None,
    now: datetime | None = None,
    phone: str = "13812345678",
    **overrides,
) -> Complaint:
    fields = {
        "kind": "complaint",
        "channel": "phone",
        "severity": "medium",
        "subject": "Card fee charged twice",
        "description": "The customer was charged the annual fee twice.",
    }
    fields.update(overrides)
    case, _ = services.complaint_create(
        actor=world.cs,
        category=category or world.unrouted,
        customer=services.CustomerData(
            name="张三", phone=phone, email="zhang@example.com", id_number="110101199001011234", account="6222021234567890"
        ),
        received_at=received_at,
        now=now,
        **fields,
    )
    return case


def case_in_state(world: World, state: str, *, department: Department | None = None, now: datetime | None = None) -> Complaint:
    """A case driven through the services to ``state`` (in ``department``, retail by default)."""
    now = now or timezone.now()
    department = department or world.retail
    owner = world.owner if department == world.retail else world.other_owner
    case = create_case(world, now=now)
    if state == S.NEW:
        return case
    if state in (S.REJECTED, S.MERGED, S.WITHDRAWN) :
        if state == S.REJECTED:
            return services.complaint_reject(complaint=case, actor=world.cs, reason="Not about the bank", now=now)
        if state == S.MERGED:
            target = create_case(world, now=now)
            return services.complaint_merge(complaint=case, actor=world.cs, into=target, now=now)
        return services.complaint_withdraw(complaint=case, actor=world.cs, reason="Customer withdrew", now=now)
    case = services.complaint_assign(complaint=case, actor=world.cs, department=department, now=now)
    if state == S.ASSIGNED:
        return case
    case = services.complaint_respond(complaint=case, actor=owner, method="phone", message="We are on it", now=now)
    if state == S.IN_PROGRESS:
        return case
    case = services.complaint_resolve(
        complaint=case,
        actor=owner,
        outcome="upheld",
        summary="Refunded the second fee",
        cause=cause(),
        compensation=Decimal("120.00"),
        now=now,
    )
    if state == S.RESOLVED:
        return case
    assert state == S.CLOSED, state
    return services.complaint_close(complaint=case, actor=world.cs, satisfaction=5, notes="Happy", now=now)
