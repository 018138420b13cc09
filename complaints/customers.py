"""Who the customer is: the stored (normalised) form of each identifier, phone validation, and a customer's other cases.

Identifiers are PII: nothing here logs them, and no error message repeats them.
"""
from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower, Replace, Upper
from django.utils.translation import gettext_lazy as _

from .states import OPEN_STATES

# --- normalisation: the form stored and matched ---------------------------------------------


def normalize_phone(value: str) -> str:
    """The stored form of a phone: digits only, with a leading + kept."""
    value = value.strip()
    prefix = "+" if value.startswith("+") else ""
    return prefix + "".join(ch for ch in value if ch.isdigit())


def normalize_email(value: str) -> str:
    """The matched form of an e-mail address: stripped and lowercased."""
    return value.strip().lower()


def normalize_id_number(value: str) -> str:
    """The matched form of an identity document number: spaces removed, uppercased (the check letter X)."""
    return "".join(value.split()).upper()


def normalize_account(value: str) -> str:
    """The matched form of an account or card number: its letters and digits only, uppercased."""
    return "".join(ch for ch in value if ch.isalnum()).upper()


def normalize_name(value: str) -> str:
    """The matched form of a name: NFKC (full-width letters become ASCII), inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


# Expressions that compute the matched form in the database, so rows stored before intake
# normalised them still match; the indexes complaint_email_norm and complaint_id_number_norm
# are built on exactly these expressions (Complaint.Meta.indexes).
EMAIL_MATCHED = Lower("customer_email")
ID_NUMBER_MATCHED = Upper(Replace("customer_id_number", Value(" "), Value("")))

# --- phone validation -------------------------------------------------------------------------

MOBILE_RE = re.compile(r"1[3-9]\d{9}")
# Trunk 0, a 2-3 digit area code (10 for Beijing, else starting 2-9), a 7-8 digit subscriber number (never starting with 0).
LANDLINE_RE = re.compile(r"0(?:10|[2-9]\d{1,2})[1-9]\d{6,7}")
# The same without the trunk 0, as written after +86.
LANDLINE_INTERNATIONAL_RE = re.compile(r"(?:10|[2-9]\d{1,2})[1-9]\d{6,7}")
E164_RE = re.compile(r"[1-9]\d{7,14}")
# Only digits and the separators people write; an extension after "ext", "x", "#", "转" or "分机".
PHONE_CHARACTERS_RE = re.compile(r"\+?[0-9 ()\-.]+")
EXTENSION_RE = re.compile(r"^(?P<number>.+?)\s*(?:ext\.?|x|#|转|分机)\s*(?P<extension>\d{1,6})$", re.IGNORECASE)
SEPARATORS_RE = re.compile(r"[ ()\-.]+")
SEQUENCES = "01234567890123456789" + "98765432109876543210"

PHONE_MESSAGE = _(
    "Enter a valid phone number: a mobile number (11 digits starting 13 to 19, +86 allowed), a landline with "
    "its area code (such as 010-12345678, an extension may follow), or an international number starting with +."
)


def _is_junk(digits: str, prefix_length: int = 0) -> bool:
    """A placeholder rather than a number: one repeated digit (0000000000, also after the
    mobile or area prefix: 13800000000, 010-88888888) or one run of consecutive digits."""
    subscriber = digits[prefix_length:]
    return len(set(digits)) == 1 or len(set(subscriber)) == 1 or digits in SEQUENCES


def _is_landline(text: str) -> bool:
    """A Chinese landline with trunk 0, perhaps followed by an extension after a separator."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if LANDLINE_RE.fullmatch(digits):
        return not _is_junk(digits[1:], len(digits) - 8)
    groups = [group for group in SEPARATORS_RE.split(text.strip()) if group]
    if len(groups) >= 2 and 1 <= len(groups[-1]) <= 6:  # 010-12345678-123: the last group is the extension
        number = "".join(groups[:-1])
        return bool(LANDLINE_RE.fullmatch(number)) and not _is_junk(number[1:], len(number) - 8)
    return False


def phone_is_valid(value: str) -> bool:
    """Whether ``value`` is a phone number the bank can call (see ``validate_phone``)."""
    text = value.strip()
    extension = EXTENSION_RE.match(text)
    if extension:
        text = extension["number"]
    if not PHONE_CHARACTERS_RE.fullmatch(text):
        return False
    digits = "".join(ch for ch in text if ch.isdigit())
    international = text.startswith("+") or digits.startswith("00")
    if international:
        digits = digits[2:] if not text.startswith("+") else digits
        if digits.startswith("86"):
            national = digits[2:]
            if extension is None and MOBILE_RE.fullmatch(national):
                return not _is_junk(national, 3)
            return bool(LANDLINE_INTERNATIONAL_RE.fullmatch(national)) and not _is_junk(national, len(national) - 7)
        return extension is None and bool(E164_RE.fullmatch(digits)) and not _is_junk(digits)
    if extension is None and MOBILE_RE.fullmatch(digits):
        return not _is_junk(digits, 3)
    if extension is not None:
        return bool(LANDLINE_RE.fullmatch(digits)) and not _is_junk(digits[1:], len(digits) - 8)
    return _is_landline(text)


def validate_phone(value: str) -> None:
    """A Chinese mobile (also +86 / 0086), a landline with area code and optional extension, or E.164.

    Refuses 0000000000, numbers of one repeated digit, runs like 12345678901, letters and other
    junk; the message names the field and never repeats the value.
    """
    if not phone_is_valid(value):
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone")


def phone_variants(value: str) -> list[str]:
    """The stored forms one phone may have: a Chinese mobile as 138..., +86138... and 0086138...."""
    phone = normalize_phone(value)
    if not phone:
        return []
    national = phone
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix) and MOBILE_RE.fullmatch(phone[len(prefix):]):
            national = phone[len(prefix):]
    if MOBILE_RE.fullmatch(national):
        return [national, f"+86{national}", f"0086{national}"]
    return [phone]


def identifiers_q(*, phone: str = "", email: str = "", id_number: str = "") -> Q | None:
    """Cases carrying any of the given identifiers (normalised; blank ones ignored), or None when all are blank."""
    condition = Q()
    variants = phone_variants(phone) if phone.strip() else []
    if variants:
        condition |= Q(customer_phone__in=variants)
    if normalize_email(email):
        condition |= Q(_email_matches(normalize_email(email)))
    if normalize_id_number(id_number):
        condition |= Q(_id_number_matches(normalize_id_number(id_number)))
    return condition or None


def _email_matches(email: str):
    from django.db.models.lookups import Exact

    return Exact(EMAIL_MATCHED, email)


def _id_number_matches(id_number: str):
    from django.db.models.lookups import Exact

    return Exact(ID_NUMBER_MATCHED, id_number)


def customer_cases_q(
    *, name: str = "", phone: str = "", email: str = "", id_number: str = "", account: str = ""
) -> Q | None:
    """The customer search: every given criterion must hold (None when all are blank).

    Name: the normalised name contained in the stored one, case-insensitively; phone, e-mail,
    ID number, account: exact on the normalised form.
    """
    conditions = []
    if normalize_name(name):
        conditions.append(Q(customer_name__icontains=normalize_name(name)))
    if phone.strip():
        conditions.append(Q(customer_phone__in=phone_variants(phone) or [""]))
    if normalize_email(email):
        conditions.append(Q(_email_matches(normalize_email(email))))
    if normalize_id_number(id_number):
        conditions.append(Q(_id_number_matches(normalize_id_number(id_number))))
    if normalize_account(account):
        conditions.append(Q(customer_account=account.strip()) | Q(customer_account=normalize_account(account)))
    if not conditions:
        return None
    combined = Q()
    for condition in conditions:
        combined &= condition
    return combined


# --- a customer's history ---------------------------------------------------------------------

HISTORY_LIMIT = 20


def _history(user, complaint, *, phone: str, email: str, id_number: str):
    from .selectors import complaint_list_for_user

    if complaint is not None and not (phone or email or id_number):
        phone, email, id_number = complaint.customer_phone, complaint.customer_email, complaint.customer_id_number
    condition = identifiers_q(phone=phone, email=email, id_number=id_number)
    queryset = complaint_list_for_user(user)
    if condition is None:
        return queryset.none()
    queryset = queryset.filter(condition)
    if complaint is not None and complaint.pk is not None:
        queryset = queryset.exclude(pk=complaint.pk)
    return queryset.order_by("-received_at", "-id")


def other_cases_of_customer(
    user, complaint=None, *, phone: str = "", email: str = "", id_number: str = "", limit: int = HISTORY_LIMIT
) -> QuerySet:
    """The newest ``limit`` cases the user may see with the same phone, e-mail or ID number.

    Identifiers default to the case's own when only ``complaint`` is given; the case itself is
    left out. Matching is on the normalised forms (a mobile also in its +86 / 0086 forms), each
    one an index lookup (customer_phone, complaint_email_norm, complaint_id_number_norm).
    """
    return _history(user, complaint, phone=phone, email=email, id_number=id_number)[:limit]


def likely_duplicates(
    user,
    complaint=None,
    *,
    phone: str = "",
    email: str = "",
    id_number: str = "",
    category=None,
    limit: int = HISTORY_LIMIT,
) -> QuerySet:
    """Open cases of the same customer in the same category (the case's own by default), newest first."""
    if category is None and complaint is not None:
        category = complaint.category_id
    if category is None:
        return _history(user, complaint, phone="", email="", id_number="").none()
    category_id = getattr(category, "pk", category)
    queryset = _history(user, complaint, phone=phone, email=email, id_number=id_number)
    return queryset.filter(state__in=OPEN_STATES, category_id=category_id)[:limit]
