"""docs/DOMAIN.md §2 "A file holds": what a customer file must contain before it is saved, with
clear errors naming the field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.rules.customer import ContactData, CustomerData
from kac_desktop.rules.validation import (
    email_error,
    mobile_error,
    phone_error,
    validate_customer,
)

# the assertions read the English source messages, whatever language the suite set
pytestmark = pytest.mark.usefixtures("english")


TODAY = date(2026, 3, 15)


def valid_customer(**changes: object) -> CustomerData:
    data = CustomerData(
        name="福州华闽有限公司",
        credit_code="91350100M000100Y43",
        kind="key",
        nature="enterprise",
        area="city",
        branch_id="b1",
        manager_id="m1",
        contacts=[ContactData(name="张三", role="key_person", mobile="13800138000")],
    )
    for attr, value in changes.items():
        setattr(data, attr, value)
    return data


def fields(data: CustomerData) -> list[str]:
    return [error.field for error in validate_customer(data, TODAY)]


def message(data: CustomerData, field: str) -> str:
    found = [e.message for e in validate_customer(data, TODAY) if e.field == field]
    assert len(found) == 1, validate_customer(data, TODAY)
    return found[0]


# --- phones -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "87654321",
        "8765432",
        "0591-87654321",
        "059187654321",
        "010-12345678".replace("1234", "2234"),
        "(0591)87654321",
        "（0591）8765 4321",
        "0591 8765 4321",
        "0591-87654321-123",
        "0591-87654321转8001",
        "0591-87654321 ext. 12",
        "０５９１－８７６５４３２１",
        "400-820-8888",
        "4008208888",
        "800 820 8888",
        "13800138000",  # a mobile in the phone field is fine
    ],
)
def test_phone_accepted(text: str) -> None:
    assert phone_error(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "1234",
        "0591-0765432",
        "0591-1765432",
        "0591-876543210",
        "87654321-",
        "400-820-888",
        "电话",
        "0591-87654321-1234567",
    ],
)
def test_phone_refused_with_examples(text: str) -> None:
    error = phone_error(text)
    assert error is not None
    assert f"“{text.strip()}”" in error
    assert "0591-87654321" in error


@pytest.mark.parametrize(
    "text",
    [
        "",
        "13800138000",
        "19912345678",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "8613800138000",
        "008613800138000",
        "１３８００１３８０００",
    ],
)
def test_mobile_accepted(text: str) -> None:
    assert mobile_error(text) is None


def test_mobile_errors_are_specific() -> None:
    assert "has 10 digits; it needs 11" in (mobile_error("1380013800") or "")
    assert "has 12 digits" in (mobile_error("138001380001") or "")
    assert "start with 13 to 19" in (mobile_error("12800138000") or "")
    assert "only contain digits" in (mobile_error("138o0138000") or "")
    assert mobile_error("0591-87654321") is not None


@pytest.mark.parametrize(
    "text", ["", "a@b.cn", "zhang.san@chinapost.com.cn", "li+post@163.com", "ＬＩ@163.com"]
)
def test_email_accepted(text: str) -> None:
    assert email_error(text) is None


def test_email_errors() -> None:
    assert "has no @" in (email_error("zhangsan.163.com") or "")
    for bad in ["a@b", "a@@b.cn", "a b@c.cn", "@163.com", "张三@163.com", "a@163..com"]:
        assert "name@example.com" in (email_error(bad) or ""), bad


# --- customer ---------------------------------------------------------------------------


def test_valid_customer_has_no_errors() -> None:
    assert validate_customer(valid_customer(), TODAY) == []


def test_full_valid_customer() -> None:
    data = valid_customer(
        industry="retail",
        product_lines=["letters", "express"],
        express_kinds=["domestic", "same_city"],
        geo_scope="province",
        settlement="account",
        credit_rating="AAA",
        cooperation_start=TODAY,
        contract_start=date(2026, 1, 1),
        contract_end=date(2026, 1, 1),
        arrears=Decimal("0"),
        tier="gold",
        visit_class_override=1,
    )
    data.contacts.append(
        ContactData(
            name="李总", role="leader", phone="0591-87654321", email="li@hm.cn", birthday=TODAY
        )
    )
    assert validate_customer(data, TODAY) == []


def test_name_required_and_length() -> None:
    assert message(valid_customer(name="  "), "name") == "The customer name is required."
    assert "at least 2" in message(valid_customer(name="华"), "name")
    assert "101 characters" in message(valid_customer(name="华" * 101), "name")
    assert fields(valid_customer(name="华" * 100)) == []


def test_credit_code_required_for_enterprise_and_government() -> None:
    """The credit code is required for nature enterprise and government, optional for individuals."""
    for nature in ("enterprise", "government"):
        assert "required" in message(valid_customer(credit_code="", nature=nature), "credit_code")
    assert fields(valid_customer(credit_code="", nature="individual")) == []


def test_credit_code_is_checked() -> None:
    assert "should be 3, not 4" in message(
        valid_customer(credit_code="91350100M000100Y44"), "credit_code"
    )
    assert "should be 3" in message(
        valid_customer(credit_code="91350100M000100Y44", nature="individual"), "credit_code"
    )
    assert fields(valid_customer(credit_code=" 91350100-m000100y4-3 ")) == []


@pytest.mark.parametrize("attr", ["kind", "nature", "area", "tier"])
def test_required_codes(attr: str) -> None:
    assert "please choose" in message(valid_customer(**{attr: ""}), attr)
    assert "“bogus” is not one of the allowed choices" in message(
        valid_customer(**{attr: "bogus"}), attr
    )


@pytest.mark.parametrize("attr", ["industry", "geo_scope", "settlement", "credit_rating"])
def test_optional_codes(attr: str) -> None:
    assert fields(valid_customer(**{attr: ""})) == []
    assert "“bogus”" in message(valid_customer(**{attr: "bogus"}), attr)


def test_branch_and_manager_required() -> None:
    assert fields(valid_customer(branch_id=None, manager_id="")) == ["branch_id", "manager_id"]


def test_product_lines_and_express_kinds_in_vocab() -> None:
    assert "faxes" in message(valid_customer(product_lines=["letters", "faxes"]), "product_lines")
    msg = message(
        valid_customer(product_lines=["express"], express_kinds=["domestic", "rocket"]),
        "express_kinds",
    )
    assert "rocket" in msg and "domestic" not in msg


def test_express_kinds_need_express() -> None:
    msg = message(
        valid_customer(product_lines=["letters"], express_kinds=["domestic"]), "express_kinds"
    )
    assert "Express and logistics" in msg


def test_cooperation_start_not_in_future() -> None:
    assert "2026-03-16" in message(
        valid_customer(cooperation_start=date(2026, 3, 16)), "cooperation_start"
    )


def test_contract_end_not_before_start() -> None:
    data = valid_customer(contract_start=date(2026, 1, 1), contract_end=date(2025, 12, 31))
    assert (
        message(data, "contract_end")
        == "The contract ends (2025-12-31) before it starts (2026-01-01)."
    )
    assert fields(valid_customer(contract_start=date(2027, 1, 1))) == []  # signed ahead is fine


def test_arrears_not_negative() -> None:
    assert "negative" in message(valid_customer(arrears=Decimal("-0.01")), "arrears")


@pytest.mark.parametrize("override", [0, 4, True])
def test_visit_class_override(override: object) -> None:
    assert "class 1, 2 or 3" in message(
        valid_customer(visit_class_override=override), "visit_class_override"
    )


def test_contacts_are_not_required() -> None:
    assert fields(valid_customer(contacts=[])) == []


def test_contact_errors_name_the_contact_and_field() -> None:
    data = valid_customer(
        contacts=[
            ContactData(name="张三", role="contact", mobile="13800138000"),
            ContactData(name="", role="boss", phone="123", email="x", birthday=date(2030, 1, 1)),
            ContactData(name="李四", role="contact"),
        ]
    )
    errors = validate_customer(data, TODAY)
    assert [e.field for e in errors] == [
        "contacts[1].name",
        "contacts[1].role",
        "contacts[1].phone",
        "contacts[1].email",
        "contacts[1].birthday",
        "contacts[2].phone",
    ]
    assert all(e.message.startswith("Contact no. 2: ") for e in errors[:5])
    assert errors[5].message == "Contact 李四: give a phone or a mobile number."
    assert "“boss”" in errors[1].message
    assert "2030-01-01" in errors[4].message


def test_contact_with_bad_mobile() -> None:
    data = valid_customer(contacts=[ContactData(name="张三", mobile="1380013800")])
    assert message(data, "contacts[0].mobile") == (
        "Contact 张三: The mobile number “1380013800” has 10 digits; it needs 11."
    )


@given(
    st.builds(
        lambda body: make_credit_code("91350100" + body),
        st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
    )
)
def test_any_valid_code_passes(code: str) -> None:
    assert fields(valid_customer(credit_code=code)) == []


@given(st.text(max_size=20), st.text(max_size=20), st.text(max_size=20))
def test_phone_checks_never_raise(phone: str, mobile: str, email: str) -> None:
    for result in (phone_error(phone), mobile_error(mobile), email_error(email)):
        assert result is None or isinstance(result, str)
