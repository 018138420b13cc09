"""Customer identity: normalised forms, phone validation, and a customer's other cases within the user's scope."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from complaints import customers
from complaints.models import Complaint
from complaints.models import normalize_phone as reexported_normalize_phone
from complaints.models import validate_phone as reexported_validate_phone
from complaints.states import ComplaintState as S
from tests import factories

GOOD_PHONES = [
    "13812345678",
    "138 1234 5678",
    "138-1234-5678",
    "19912345678",
    "+86 138-1234-5678",
    "+8613812345678",
    "0086 138 1234 5678",
    "010-12345678",
    "(010) 12345678",
    "0755-1234567",
    "0755 22345678",
    "021-87654321-123",
    "010-12345678 ext 12",
    "010-12345678转8001",
    "010-12345678#12",
    "+86 10 1234 5678",
    "+44 20 7946 0958",
    "+1 415 555 2671",
    "+33 1 23 45 67 89",
]
BAD_PHONES = [
    "0000000000",
    "00000000000",
    "11111111111",
    "13800000000",  # one digit repeated after the mobile prefix
    "010-88888888",
    "12345678901",  # a run, and 12 is no mobile prefix
    "12812345678",
    "1381234567",  # 10 digits
    "138123456789",  # 12 digits
    "86 13812345678",  # country code without + or 00
    "+86 12812345678",
    "call me maybe",
    "abc13812345678",
    "12",
    "1234567",
    "+0 123456789",
    "+1234567",  # E.164 needs 8 to 15 digits
    "+1234567890123456",
    "010-1234567890123",
    "138 1234 5678 ext 1",  # a mobile has no extension
]


@pytest.mark.parametrize("phone", GOOD_PHONES)
def test_validate_phone_accepts(phone):
    customers.validate_phone(phone)
    assert customers.phone_is_valid(phone)


@pytest.mark.parametrize("phone", BAD_PHONES)
def test_validate_phone_refuses_with_a_message_naming_the_field_not_the_value(phone):
    with pytest.raises(ValidationError) as raised:
        customers.validate_phone(phone)
    (message,) = raised.value.messages
    assert "phone number" in message
    assert message == str(customers.PHONE_MESSAGE)  # the same for every value: it never repeats one
    assert raised.value.code == "invalid_phone"


@given(st.sampled_from("0123456789"), st.integers(min_value=6, max_value=15))
def test_one_repeated_digit_is_never_a_phone(digit, length):
    assert not customers.phone_is_valid(digit * length)
    assert not customers.phone_is_valid("+" + digit * length)


@given(st.sampled_from("3456789"), st.integers(min_value=0, max_value=99_999_999).filter(lambda n: n % 11_111_111))
def test_every_mobile_prefix_with_a_real_subscriber_number_is_valid(second, subscriber):
    number = f"1{second}{subscriber % 10}{subscriber:08d}"
    if len(set(number[3:])) > 1:
        assert customers.phone_is_valid(number)
        assert customers.phone_is_valid(f"+86 {number}")


def test_models_reexports_validate_and_normalize_phone():
    assert reexported_validate_phone is customers.validate_phone
    assert reexported_normalize_phone is customers.normalize_phone


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (customers.normalize_phone, " +86 138-1234-5678 ", "+8613812345678"),
        (customers.normalize_phone, "(010) 1234 5678", "01012345678"),
        (customers.normalize_email, "  Zhang.San@Example.COM ", "zhang.san@example.com"),
        (customers.normalize_id_number, " 11010119900101123x ", "11010119900101123X"),
        (customers.normalize_id_number, "110101 19900101 1234", "110101199001011234"),
        (customers.normalize_account, "6222-0212 3456 7890", "6222021234567890"),
        (customers.normalize_name, "  张三  丰 ", "张三 丰"),
    ],
)
def test_normalised_forms(function, value, expected):
    assert function(value) == expected


def test_phone_variants_cover_the_plus_86_forms_of_a_mobile():
    assert customers.phone_variants("+86 138 1234 5678") == ["13812345678", "+8613812345678", "008613812345678"]
    assert customers.phone_variants("010-12345678") == ["01012345678"]
    assert customers.phone_variants("") == []


def _case(world, **overrides):
    customer = {"phone": "13812345678", "email": "zhang@example.com", "id_number": "110101199001011234"}
    customer.update(overrides.pop("customer", {}))
    from workflows import services

    case, _ = services.complaint_create(
        actor=world.cs,
        kind="complaint",
        channel="phone",
        severity="medium",
        category=overrides.pop("category", world.unrouted),
        subject=overrides.pop("subject", "Card fee charged twice"),
        description="The annual fee was charged twice.",
        received_at=overrides.pop("received_at", None),
        customer=services.CustomerData(name="张三", account="6222021234567890", **customer),
    )
    return case


@pytest.mark.django_db
def test_other_cases_match_on_each_normalised_identifier_newest_first_without_the_case_itself(world):
    case = _case(world)
    by_phone = _case(world, customer={"phone": "+86 138 1234 5678", "email": "", "id_number": ""})
    by_email = _case(world, customer={"phone": "13900001111", "email": " ZHANG@example.com ", "id_number": ""})
    by_id = _case(world, customer={"phone": "13900002222", "email": "", "id_number": "11010119900101123 4"})
    stranger = _case(world, customer={"phone": "13900003333", "email": "li@example.com", "id_number": "220101199001011234"})
    found = list(customers.other_cases_of_customer(world.cs, case))
    assert set(found) == {by_phone, by_email, by_id}
    assert found == sorted(found, key=lambda c: (c.received_at, c.pk), reverse=True)
    assert stranger not in found and case not in found
    assert list(customers.other_cases_of_customer(world.cs, phone="138-1234-5678")) == [
        c for c in Complaint.objects.order_by("-received_at", "-id") if c.customer_phone.endswith("13812345678")
    ]
    assert set(customers.other_cases_of_customer(world.cs, email="Zhang@Example.com")) == {case, by_email}
    assert set(customers.other_cases_of_customer(world.cs, id_number="110101199001011234")) == {case, by_id}
    assert list(customers.other_cases_of_customer(world.cs)) == []


@pytest.mark.django_db
def test_other_cases_stay_within_what_the_user_may_see(world):
    from workflows import services

    retail = services.complaint_assign(complaint=_case(world), actor=world.cs, department=world.retail)
    cards = services.complaint_assign(complaint=_case(world), actor=world.cs, department=world.cards)
    assert list(customers.other_cases_of_customer(world.other_owner, phone="13812345678")) == [cards]
    assert list(customers.other_cases_of_customer(world.owner, cards)) == [retail]
    assert list(customers.other_cases_of_customer(world.outsider, phone="13812345678")) == []


@pytest.mark.django_db
def test_likely_duplicates_are_open_cases_of_the_customer_in_the_same_category(world):
    case = _case(world)
    duplicate = _case(world)
    other_category = _case(world, category=world.cards_category)
    closed = factories.case_in_state(world, S.REJECTED)  # same customer (factories' default), not open
    found = set(customers.likely_duplicates(world.cs, case))
    assert found == {duplicate}
    assert other_category not in found and closed not in found
    typed = customers.likely_duplicates(world.cs, phone="13812345678", category=world.unrouted)
    assert set(typed) == {case, duplicate}
    assert list(customers.likely_duplicates(world.cs, phone="13812345678")) == []  # no category: no duplicates
