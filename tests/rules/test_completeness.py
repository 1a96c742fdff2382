"""docs/DOMAIN.md §2 "File completeness" (档案资料完整率): the share of required fields filled, per
customer and averaged per manager and branch; show what is missing."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kac_desktop.i18n import current_language, set_language
from kac_desktop.rules.completeness import (
    REQUIRED_FIELDS,
    Completeness,
    average,
    completeness,
)
from kac_desktop.rules.customer import ContactData, CustomerData

# the assertions read the English source messages, whatever language the suite set
pytestmark = pytest.mark.usefixtures("english")


KEYS = [key for key, _label in REQUIRED_FIELDS]


def complete_file() -> CustomerData:
    return CustomerData(
        name="福州华闽有限公司",
        credit_code="91350100M000100Y43",
        nature="enterprise",
        industry="retail",
        address="福州市鼓楼区五四路1号",
        area="city",
        business_scope="批发零售",
        cooperation_start=date(2020, 1, 1),
        product_lines=["letters", "express"],
        geo_scope="regional",
        settlement="account",
        contract_no="FZ-2024-001",
        pickup_times="工作日 16:00",
        credit_rating="AA",
        contacts=[
            ContactData(name="张三", role="contact", mobile="13800138000"),
            ContactData(name="李总", role="leader"),
        ],
    )


def test_required_fields_are_the_documented_ones() -> None:
    assert KEYS == [
        "name", "credit_code", "nature", "industry", "address", "area", "business_scope",
        "cooperation_start", "product_lines", "geo_scope", "settlement", "contract_no",
        "pickup_times", "credit_rating", "contacts", "key_person",
    ]  # fmt: skip


def test_complete_file() -> None:
    result = completeness(complete_file())
    assert result == Completeness(filled=16, total=16, missing=())
    assert result.ratio == 1.0
    assert result.percent == 100
    assert result.missing_labels() == []


def test_empty_file_lists_everything_but_defaults() -> None:
    result = completeness(CustomerData())
    # nature and area have defaults in a new file
    assert result.missing == tuple(k for k in KEYS if k not in ("nature", "area"))
    assert result.filled == 2 and result.total == 16
    assert result.percent == 13  # 12.5 rounds half up


def test_blank_text_is_missing() -> None:
    data = complete_file()
    data.address = "   "
    data.product_lines = []
    data.cooperation_start = None
    assert completeness(data).missing == ("address", "cooperation_start", "product_lines")


def test_contacts_need_a_name_and_a_number() -> None:
    data = complete_file()
    data.contacts = [ContactData(name="张三", role="key_person")]
    assert completeness(data).missing == ("contacts",)
    data.contacts = [ContactData(name="", role="contact", phone="87654321")]
    assert completeness(data).missing == ("contacts", "key_person")
    data.contacts = [ContactData(name="张三", role="key_person", phone="0591-87654321")]
    assert completeness(data).missing == ()


def test_key_person_or_leader() -> None:
    data = complete_file()
    data.contacts = [ContactData(name="张三", role="contact", mobile="13800138000")]
    assert completeness(data).missing == ("key_person",)
    data.contacts[0].role = "key_person"
    assert completeness(data).missing == ()


def test_individuals_need_no_credit_code() -> None:
    data = complete_file()
    data.nature = "individual"
    data.credit_code = ""
    result = completeness(data)
    assert result.total == 15 and result.filled == 15 and result.missing == ()
    data.nature = "enterprise"
    assert completeness(data).missing == ("credit_code",)


def test_percent_rounds_half_up() -> None:
    assert Completeness(7, 8, ("x",)).percent == 88
    assert Completeness(1, 3, ("x", "y")).percent == 33
    assert Completeness(2, 3, ("x",)).percent == 67
    assert Completeness(0, 16, tuple(KEYS)).percent == 0


def test_missing_labels_are_translated() -> None:
    data = complete_file()
    data.credit_code = ""
    data.contacts = []
    result = completeness(data)
    previous = current_language()
    set_language("en")
    try:
        assert result.missing_labels() == [
            "Unified social credit code",
            "Contact with a phone number",
            "Key person or leader",
        ]
    finally:
        set_language(previous)


def test_average() -> None:
    """Per manager and branch: the mean of the files' ratios; nothing → 0."""
    assert average([]) == 0.0
    assert average([Completeness(16, 16, ()), Completeness(8, 16, ())]) == pytest.approx(0.75)
    assert average(iter([Completeness(15, 15, ()), Completeness(0, 16, ())])) == 0.5


@given(
    st.builds(
        CustomerData,
        name=st.text(max_size=5),
        address=st.text(max_size=3),
        nature=st.sampled_from(["enterprise", "individual", "government", ""]),
        product_lines=st.lists(st.sampled_from(["letters", "express"]), max_size=2),
        contacts=st.lists(
            st.builds(
                ContactData,
                name=st.text(max_size=3),
                role=st.sampled_from(["contact", "key_person", "leader"]),
                phone=st.text(max_size=3),
            ),
            max_size=3,
        ),
    )
)
def test_counts_add_up(data: CustomerData) -> None:
    result = completeness(data)
    assert result.filled + len(result.missing) == result.total
    assert 0.0 <= result.ratio <= 1.0
    assert 0 <= result.percent <= 100
    assert set(result.missing) <= set(KEYS)
    assert list(result.missing) == [k for k in KEYS if k in result.missing]
