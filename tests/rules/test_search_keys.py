"""Search by name also answers pinyin initials (zgyz → 中国邮政…) and pinyin; the
list sorts in pinyin order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kac_desktop.rules.search_keys import SEPARATOR, name_sort_key, normalise_query, search_text

# the assertions read the English source messages, whatever language the suite set
pytestmark = pytest.mark.usefixtures("english")


def _matches(query: str, text: str) -> bool:
    """What the SQL does: LIKE '%query%' on the stored text."""
    return normalise_query(query) in text


def test_pinyin_and_initials() -> None:
    text = search_text("中国邮政")
    assert text.split(SEPARATOR) == ["中国邮政", "zhongguoyouzheng", "zgyz", ""]


def test_queries_that_find_china_post() -> None:
    text = search_text("中国邮政集团有限公司福州市分公司")
    for query in [
        "中国邮政",
        "邮政",
        "zgyz",
        "ZGYZ",
        "youzheng",
        "you zheng",
        "fuzhou",
        "fzs",
        "福州",
    ]:
        assert _matches(query, text), query
    assert not _matches("xiamen", text)


def test_latin_and_digits_are_kept_whole() -> None:
    text = search_text("中国邮政EMS 3M（福州）")
    parts = text.split(SEPARATOR)
    assert parts[0] == "中国邮政ems3m福州"
    assert parts[1] == "zhongguoyouzhengems3mfuzhou"
    assert parts[2] == "zgyzems3mfz"


def test_polyphonic_characters_follow_their_phrase() -> None:
    assert "chongqing" in search_text("重庆邮政")
    assert "yinhang" in search_text("农业银行")
    assert "lv" in search_text("绿色")  # ü is typed v


def test_full_width_is_folded() -> None:
    assert search_text("ＡＢＣ物流").startswith("abc物流")
    assert _matches("ａｂｃ", search_text("ABC物流"))


def test_extras_are_searchable() -> None:
    text = search_text("华闽", "91350100M000100Y43", "张三", "0591-8888 1234", "", "13800138000")
    assert _matches("91350100m000100y43", text)
    assert _matches("张三", text)
    for query in ["88881234", "0591-8888 1234", "0591 8888", "059188881234", "138 0013 8000"]:
        assert _matches(query, text), query
    assert SEPARATOR * 2 not in text  # the empty extra is left out


def test_brackets_and_punctuation_do_not_matter() -> None:
    assert _matches("华闽集团", search_text("福州华闽（集团）有限公司"))
    assert _matches("华闽(集团)", search_text("福州华闽（集团）有限公司"))


def test_a_query_never_matches_across_parts() -> None:
    text = search_text("华闽", "0591")
    assert not _matches("华闽0591", text)
    assert not _matches("hm0591", text)


def test_normalise_query() -> None:
    assert normalise_query("  Zhong  Guo ") == "zhongguo"
    assert normalise_query("０５９１－８８８８ １２３４") == "059188881234"
    assert normalise_query("") == ""
    assert normalise_query("  ") == ""


def test_normalised_query_has_no_like_wildcards_or_separator() -> None:
    assert normalise_query("50%_off\\" + SEPARATOR) == "50off"


def test_name_sort_key() -> None:
    assert name_sort_key("中国邮政") == "zhong guo you zheng"
    assert name_sort_key("ＡＢＣ 物流") == "abc wu liu"
    assert name_sort_key("华闽（集团）") == "hua min ji tuan"
    assert name_sort_key("") == ""


def test_sort_key_orders_by_pinyin() -> None:
    names = ["中国邮政", "阿里巴巴", "北京银行", "福州华闽", "3M中国"]
    assert sorted(names, key=name_sort_key) == [
        "3M中国",
        "阿里巴巴",
        "北京银行",
        "福州华闽",
        "中国邮政",
    ]


hanzi = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=8
)


@given(hanzi)
def test_search_text_contains_name_pinyin_and_initials(name: str) -> None:
    """Invariant: a Chinese name is found by itself, its pinyin and its initials."""
    text = search_text(name)
    name_part, full, initials, end = text.split(SEPARATOR)
    assert end == ""  # every part ends with the separator
    assert name_part == name
    assert len(initials) == len(name)
    assert full.startswith(initials[0])
    assert _matches(name, text) and _matches(initials, text) and _matches(full, text)


@given(st.text(max_size=20), st.lists(st.text(max_size=10), max_size=3))
def test_search_text_is_lowercase_and_never_raises(name: str, extra: list[str]) -> None:
    text = search_text(name, *extra)
    assert text == text.lower() or not text.isascii()
    assert " " not in text


@given(st.text(max_size=20))
def test_query_never_contains_separator_or_spaces(query: str) -> None:
    folded = normalise_query(query)
    assert SEPARATOR not in folded
    assert not any(char.isspace() for char in folded)
    assert normalise_query(folded) == folded
