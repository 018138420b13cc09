"""Who a user is to the product: role groups and department memberships, cached per request user."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser, AnonymousUser

CS_STAFF = "cs_staff"
DEPT_OWNER = "dept_owner"
DEPT_MEMBER = "dept_member"
SUPERVISOR = "supervisor"
# Machine clients (app, web form, WeChat, CTI): log cases and read the ones they logged, through the API only.
CHANNEL_SYSTEM = "channel_system"
ROLE_GROUPS = (CS_STAFF, DEPT_OWNER, DEPT_MEMBER, SUPERVISOR, CHANNEL_SYSTEM)


def _cached(user, name: str, compute):
    cache = user.__dict__.setdefault("_complaint_roles_cache", {})
    if name not in cache:
        cache[name] = compute()
    return cache[name]


def _effective(names) -> frozenset[str]:
    """A channel system is a service account: its role is that alone, whatever other groups it is given."""
    names = frozenset(names)
    return frozenset({CHANNEL_SYSTEM}) if CHANNEL_SYSTEM in names else names


def remember_group_names(user, names: frozenset[str]) -> None:
    """Record the user's group names, read along with the user (see ``api.authentication``)."""
    user.__dict__.setdefault("_complaint_roles_cache", {})["groups"] = _effective(names)


def group_names(user: AbstractUser | AnonymousUser | None) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    return _cached(user, "groups", lambda: _effective(user.groups.values_list("name", flat=True)))


def is_supervisor(user) -> bool:
    """Supervisors (and superusers) see and may do everything a role may do."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    names = group_names(user)
    return (bool(user.is_superuser) and CHANNEL_SYSTEM not in names) or SUPERVISOR in names


def is_cs_staff(user) -> bool:
    return CS_STAFF in group_names(user)


def is_channel_system(user) -> bool:
    return CHANNEL_SYSTEM in group_names(user)


def owned_department_ids(user) -> frozenset[int]:
    """Departments this user owns (only counts while the user is in the dept_owner group)."""
    if DEPT_OWNER not in group_names(user):
        return frozenset()
    return _cached(user, "owned", lambda: frozenset(user.owned_departments.values_list("pk", flat=True)))


def member_department_ids(user) -> frozenset[int]:
    """Departments this user works in, as owner or member."""
    groups = group_names(user)
    if not groups & {DEPT_OWNER, DEPT_MEMBER}:
        return frozenset()

    def compute() -> frozenset[int]:
        ids = set(owned_department_ids(user))
        if DEPT_MEMBER in groups or DEPT_OWNER in groups:
            ids.update(user.member_departments.values_list("pk", flat=True))
        return frozenset(ids)

    return _cached(user, "member", compute)


def sees_all_cases(user) -> bool:
    """Supervisors and customer service see every case; department people only their own."""
    return is_supervisor(user) or is_cs_staff(user)
