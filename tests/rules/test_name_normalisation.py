"""docs/DOMAIN.md §2 "No double development": the same name once normalised (full-width /
half-width, spaces, brackets, and suffixes such as 有限公司, 有限责任公司, 股份, 集团 removed)
is the same customer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kac_desktop.rules.names import LEGAL_SUFFIXES, normalise_name

# the assertions read the English source messages, whatever language the suite set
pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize(
    "variant",
    [
        "福州华闽集团",
        "福州华闽（集团）有限公司",
        "福州 华闽（集团）有限公司",
        "福州华闽(集团)有限公司",
        "福州华闽【集团】有限公司",
        "福州华闽集团有限公司",
        "福州华闽有限责任公司",
        "福州华闽股份有限公司",
        "福州华闽股份公司",
        "福州华闽集团公司",
        "福州华闽公司",
        "福州华闽股份",
        "  福州华闽  ",
        "福州华闽集团股份有限公司",
    ],
)
def test_legal_forms_and_brackets_do_not_matter(variant: str) -> None:
    assert normalise_name(variant) == "福州华闽"


def test_width_case_and_spaces_do_not_matter() -> None:
    assert normalise_name("ＡＢＣ 物流") == normalise_name("abc物流") == "abc物流"
    assert normalise_name("福州\u3000华闽\t有限公司") == "福州华闽"
    assert normalise_name("福州\u200b华闽") == "福州华闽"  # zero-width space pasted from a page


def test_punctuation_is_removed() -> None:
    """· , . 、 and the like separate words but do not make another customer."""
    assert normalise_name("福州·华闽、贸易,有限公司.") == "福州华闽贸易"
    assert normalise_name("Apple Inc.") == "appleinc"


def test_symbols_are_kept() -> None:
    assert normalise_name("C++培训") != normalise_name("C培训")


def test_suffix_only_removed_at_the_end() -> None:
    assert normalise_name("集团大厦物业有限公司") == "集团大厦物业"
    assert normalise_name("公司路小学") == "公司路小学"


def test_never_empty() -> None:
    """A name that is nothing but a legal form is kept rather than reduced to nothing."""
    assert normalise_name("集团公司") == "集团"
    assert normalise_name("有限公司") == "有限"  # 公司 goes, 有限 stays
    assert normalise_name("公司") == "公司"
    assert normalise_name("（集团）有限公司") == "集团"
    assert normalise_name("") == ""
    assert normalise_name("  （）") == ""


def test_a_branch_is_not_its_parent() -> None:
    """分公司 is a customer of its own: it does not match the parent company."""
    assert normalise_name("福州华闽分公司") == "福州华闽分公司"
    assert normalise_name("福州华闽分公司") != normalise_name("福州华闽公司")


def test_branch_names_match_with_or_without_the_parents_legal_form() -> None:
    assert (
        normalise_name("中国邮政集团有限公司 福州市分公司")
        == normalise_name("中国邮政集团福州市分公司")
        == "中国邮政集团福州市分公司"
    )
    assert normalise_name("福建省邮政速递物流有限责任公司福州市分公司") == normalise_name(
        "福建省邮政速递物流福州市分公司"
    )


def test_different_customers_stay_different() -> None:
    assert normalise_name("福州华闽") != normalise_name("厦门华闽")
    assert normalise_name("中国邮政集团福州市分公司") != normalise_name("中国邮政集团厦门市分公司")


def test_suffixes_are_longest_first() -> None:
    assert list(LEGAL_SUFFIXES) == sorted(LEGAL_SUFFIXES, key=len, reverse=True)


names = st.text(
    alphabet=st.sampled_from(
        list("福州华闽中国邮政集团有限责任股份公司分（）() 　·,.、ＡＢabc1２")
    ),
    max_size=20,
)

_FULL = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@given(names)
def test_idempotent(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once


@given(st.text(max_size=20))
def test_idempotent_on_any_text(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once


@given(names)
def test_width_insensitive(name: str) -> None:
    full = "".join(_FULL.get(char, char) for char in name).replace(" ", "\u3000")
    assert normalise_name(full) == normalise_name(name)


@given(names)
def test_never_reduced_to_empty_by_suffixes(name: str) -> None:
    """Only blank or punctuation-only names normalise to empty."""
    if any(char.isalnum() for char in name):
        assert normalise_name(name) != ""


@given(names, st.sampled_from(LEGAL_SUFFIXES))
def test_adding_a_legal_suffix_does_not_change_the_match(name: str, suffix: str) -> None:
    base = normalise_name(name)
    if not base or base.endswith("分公司") or any(base.endswith(s) for s in LEGAL_SUFFIXES):
        return
    if (base + suffix).endswith("分公司"):
        return  # "分" + "公司" makes a branch office, which is protected on purpose
    assert normalise_name(name + suffix) == base
