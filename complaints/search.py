"""Text search over cases (reference, subject, description) answered by the database's own index.

PostgreSQL: pg_trgm GIN indexes on upper(reference), upper(subject) and upper(description),
which serve Django's ``icontains`` (``UPPER(col) LIKE UPPER('%term%')``) for terms of three
characters or more; a two-character Chinese word has no trigram, so it is answered from the
GIN index of CJK character pairs (``complaint_cjk_bigrams``). SQLite: the FTS5 table
``complaint_text_search`` (trigram tokenizer), kept in sync by triggers. Both are created by
migration 0008. Terms shorter than that search the reference only.

Customer identifiers are not text: a term that looks like a phone, ID, account number or
e-mail matches nothing here (the customer search looks those up without putting them in a URL).
"""
from __future__ import annotations

import re

from django.contrib.postgres.fields import ArrayField
from django.db import connections
from django.db.models import F, Func, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL

from .customers import phone_is_valid
from .models import Complaint

MIN_TEXT_LENGTH = 3  # a trigram
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# C-20261124-000001 or a piece of it: the date, the number, or both around the dash.
REFERENCE_FRAGMENT_RE = re.compile(r"(C-?)?\d{0,8}-?\d{0,6}|\d{0,8}-\d{0,6}", re.IGNORECASE)
ID_NUMBER_RE = re.compile(r"\d{15}|\d{17}[\dX]")
DIGITS_AND_SEPARATORS_RE = re.compile(r"[\d +()\-.]+")


class CjkPairs(Func):
    """``complaint_cjk_bigrams(subject || ' ' || description)``: the expression migration 0008 indexes."""

    function = "complaint_cjk_bigrams"
    arg_joiner = " || ' ' || "
    output_field = ArrayField(TextField())

    def __init__(self) -> None:
        super().__init__(F("subject"), F("description"))


def normalize_term(term: str) -> str:
    """Whitespace collapsed; the form every check below reads."""
    return " ".join(term.split())


def looks_like_customer_identifier(term: str) -> bool:
    """A phone number, ID number, account or card number, or e-mail address, rather than words."""
    term = normalize_term(term)
    if "@" in term:
        return True
    if term.upper().startswith("C-"):
        return False
    if phone_is_valid(term):
        return True
    compact = "".join(term.split()).upper()
    if ID_NUMBER_RE.fullmatch(compact):
        return True
    if DIGITS_AND_SEPARATORS_RE.fullmatch(term) and not REFERENCE_FRAGMENT_RE.fullmatch(compact):
        return sum(ch.isdigit() for ch in term) >= 9
    return False


def is_cjk_pair(term: str) -> bool:
    return len(term) == 2 and all(CJK_RE.match(ch) for ch in term)


def searches_text(term: str) -> bool:
    """Whether ``term`` is long enough to search subjects and descriptions (otherwise references only)."""
    term = normalize_term(term)
    return len(term) >= MIN_TEXT_LENGTH or is_cjk_pair(term)


def _fts5_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def complaint_search(queryset: QuerySet[Complaint], term: str) -> QuerySet[Complaint]:
    """The cases of ``queryset`` whose reference, subject or description contains ``term``.

    Case-insensitive substring match, Chinese included; ``queryset`` keeps its scope (the
    caller passes what the user may see). A blank term returns ``queryset``; a customer
    identifier returns none; a term of one or two characters (other than a two-character
    Chinese word) is looked for in references only.
    """
    term = normalize_term(term)
    if not term:
        return queryset
    if looks_like_customer_identifier(term):
        return queryset.none()
    vendor = connections[queryset.db].vendor
    in_reference = Q(reference__icontains=term)
    if is_cjk_pair(term):  # never in a reference
        if vendor == "postgresql":
            return queryset.alias(cjk_pairs=CjkPairs()).filter(cjk_pairs__contains=[term])  # type: ignore[misc]
        return queryset.filter(Q(subject__contains=term) | Q(description__contains=term))
    if len(term) < MIN_TEXT_LENGTH:
        return queryset.filter(in_reference)
    if vendor == "sqlite":
        matching = RawSQL(
            "SELECT rowid FROM complaint_text_search WHERE complaint_text_search MATCH %s", [_fts5_phrase(term)]
        )
        return queryset.filter(in_reference | Q(pk__in=matching))
    return queryset.filter(in_reference | Q(subject__icontains=term) | Q(description__icontains=term))
