"""Masking of customer PII for lists, logs, e-mails and reports."""
from __future__ import annotations

MASK = "*"


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits: 13812345678 -> 138****5678."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not digits:
        return ""
    if len(digits) <= 7:
        return MASK * (len(digits) - 2) + digits[-2:]
    return digits[:3] + MASK * 4 + digits[-4:]


def mask_email(email: str) -> str:
    """Keep the first letter of the local part and the domain: z***@example.com."""
    if "@" not in email:
        return MASK * 3 if email else ""
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}{MASK * 3}@{domain}"


def mask_id_number(id_number: str) -> str:
    """Keep the first two and last two characters of an identity document number."""
    if not id_number:
        return ""
    if len(id_number) <= 4:
        return MASK * len(id_number)
    return id_number[:2] + MASK * (len(id_number) - 4) + id_number[-2:]


def mask_account(account: str) -> str:
    """Keep only the last four characters of an account or card number."""
    compact = account.replace(" ", "")
    if not compact:
        return ""
    return MASK * 4 + compact[-4:]


def mask_name(name: str) -> str:
    """Keep the first character of a name: 张三丰 -> 张**, Jane Smith -> J*********."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + MASK * max(len(name) - 1, 1)
