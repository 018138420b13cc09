"""The API's per-request lookups (token, category) as single hand-written statements.

Django compiles a queryset to SQL on every run; for these small lookups that costs about
0.8 ms of CPU, several times the query itself, and every intake request runs them. Each
function here is one statement built from the models' own table and column names, and
returns ordinary model instances: fields it does not select are deferred and load on first
access, so a caller that needs more still gets correct values.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from access.models import ApiToken
from complaints.models import Category, Department

# What the API reads of a user on every request: the password hash too, which the token's
# fingerprint is checked against (a changed password ends the token); the two timestamps
# stay deferred.
USER_FIELDS = ("id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff", "is_active")
# What it reads of the token: whatever decides whether it may be used now.
TOKEN_FIELDS = ("id", "user", "created_at", "authenticated_at", "expires_at", "rotated_at", "revoked_at", "password_fingerprint")

ModelT = TypeVar("ModelT", bound=models.Model)


def _loaded_fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    """``names`` as fields, in the model's concrete-field order (the order ``from_db`` expects)."""
    return [field for field in model._meta.concrete_fields if field.attname in names or field.name in names]


def _column(field: models.Field | models.ForeignObjectRel) -> str:
    """The database column of a concrete field; a field without one here is a bug in the statement."""
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"{field!r} has no database column")
    return field.column


def _field_column(model: type[models.Model], name: str) -> str:
    return _column(model._meta.get_field(name))


def _columns(alias: str, table: str, fields: Sequence[models.Field]) -> str:
    quote = connections[alias].ops.quote_name
    return ", ".join(f"{quote(table)}.{quote(_column(field))}" for field in fields)


def _python_value(field: models.Field, value: Any) -> Any:
    """A column's value as the ORM would give it: SQLite returns booleans as 0 and 1, and
    datetimes as UTC without a zone (or as text)."""
    if value is None:
        return None
    if isinstance(field, models.BooleanField):
        return bool(value)
    if isinstance(field, models.DateTimeField):
        if isinstance(value, str):
            value = parse_datetime(value)
        if settings.USE_TZ and value is not None and timezone.is_naive(value):
            value = value.replace(tzinfo=UTC)
    return value


def _instance(model: type[ModelT], alias: str, fields: Sequence[models.Field], values: Sequence[Any]) -> ModelT:
    """A model instance from selected columns, values as the ORM would give them."""
    values = [_python_value(field, value) for field, value in zip(fields, values, strict=True)]
    return model.from_db(alias, [field.attname for field in fields], values)


# --- token, user and role groups -------------------------------------------------------
@cache
def _token_statement(alias: str) -> tuple[str, list[models.Field], list[models.Field]]:
    User = get_user_model()
    quote = connections[alias].ops.quote_name
    user_fields = _loaded_fields(User, USER_FIELDS)
    token_fields = _loaded_fields(ApiToken, TOKEN_FIELDS)
    user_table, token_table = User._meta.db_table, ApiToken._meta.db_table
    groups = User._meta.get_field("groups")
    if not isinstance(groups, models.ManyToManyField) or groups.remote_field.through is None:
        raise TypeError(f"{User.__name__}.groups is not a many-to-many field with a through table")
    through, group = groups.remote_field.through, groups.related_model
    link_table, group_table = through._meta.db_table, group._meta.db_table
    link_user = quote(_field_column(through, "user"))
    link_group = quote(_field_column(through, "group"))
    user_pk, group_pk = quote(_column(User._meta.pk)), quote(_column(group._meta.pk))
    sql = (
        f"SELECT {_columns(alias, token_table, token_fields)}, {_columns(alias, user_table, user_fields)}, "
        f"{quote(group_table)}.{quote('name')} "
        f"FROM {quote(token_table)} "
        f"INNER JOIN {quote(user_table)} ON {quote(user_table)}.{user_pk} = "
        f"{quote(token_table)}.{quote(_field_column(ApiToken, 'user'))} "
        f"LEFT OUTER JOIN {quote(link_table)} ON {quote(link_table)}.{link_user} = {quote(user_table)}.{user_pk} "
        f"LEFT OUTER JOIN {quote(group_table)} ON {quote(group_table)}.{group_pk} = {quote(link_table)}.{link_group} "
        f"WHERE {quote(token_table)}.{quote(_field_column(ApiToken, 'key_digest'))} = %s"
    )
    return sql, token_fields, user_fields


def token_with_user(key_digest: str, *, alias: str = "default") -> tuple[ApiToken, frozenset[str]] | None:
    """The token whose key has this digest, with its user loaded (``token.user``) and the user's
    group names, or None. Expired, rotated and revoked tokens are returned too: deciding whether
    one may be used is ``access.tokens.refusal``'s.

    One statement: token, user and groups joined (one row per group).
    """
    sql, token_fields, user_fields = _token_statement(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [key_digest])
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    token = _instance(ApiToken, alias, token_fields, first[: len(token_fields)])
    token.user = _instance(get_user_model(), alias, user_fields, first[len(token_fields) : -1])
    return token, frozenset(row[-1] for row in rows if row[-1] is not None)


# --- a category with its default department --------------------------------------------
@cache
def _category_statement(alias: str) -> tuple[str, list[models.Field], list[models.Field]]:
    quote = connections[alias].ops.quote_name
    category_fields = list(Category._meta.concrete_fields)
    department_fields = list(Department._meta.concrete_fields)
    category_table, department_table = Category._meta.db_table, Department._meta.db_table
    sql = (
        f"SELECT {_columns(alias, category_table, category_fields)}, {_columns(alias, department_table, department_fields)} "
        f"FROM {quote(category_table)} "
        f"LEFT OUTER JOIN {quote(department_table)} ON {quote(department_table)}.{quote(_column(Department._meta.pk))} = "
        f"{quote(category_table)}.{quote(_field_column(Category, 'default_department'))} "
        f"WHERE {quote(category_table)}.{quote(_field_column(Category, 'code'))} = %s"
    )
    return sql, category_fields, department_fields


def category_with_department(code: str, *, alias: str = "default") -> Category | None:
    """The category with this code and its default department (``category.default_department``), or None."""
    sql, category_fields, department_fields = _category_statement(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [code])
        row = cursor.fetchone()
    if row is None:
        return None
    category = _instance(Category, alias, category_fields, row[: len(category_fields)])
    department_values = row[len(category_fields) :]
    category.default_department = (
        _instance(Department, alias, department_fields, department_values) if category.default_department_id else None
    )
    return category
