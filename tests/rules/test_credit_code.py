"""docs/DOMAIN.md §2: the unified social credit code has 18 characters with the GB 32100-2015
check character; positions 9–17 are a GB 11714-1997 organisation code with its own check."""

from __future__ import annotations

import gettext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kac_desktop import i18n
from kac_desktop.rules.credit_code import (
    ALPHABET,
    credit_code_check_char,
    credit_code_error,
    make_credit_code,
    normalise_credit_code,
    org_code_check_char,
    org_code_error,
)

# the assertions read the English source messages, whatever language the suite set
pytestmark = pytest.mark.usefixtures("english")


# Published codes; every one passes both the GB 11714 and the GB 32100 check.
REAL_CODES = [
    "91350100M000100Y43",  # the standard's sample code (Fuzhou)
    "91110000600037341L",
    "91440300708461136T",  # Tencent (Shenzhen)
    "914403001922038216",  # Huawei Technologies
    "91110000802100433B",  # Baidu Online
    "91110108551385082Q",  # Xiaomi
    "911000000000192465",  # China Post Group
    "121200004013590816",  # an institution (type 12)
    "91310000MA1FW1BXX2",  # org code MA1FW1BX-X: letters valued A=10 … Z=35
    "91310000MA1K32MN7F",
    "91310115MA1K3BTP2B",
    "91340600MA2PBM9HXD",
    "92340603MA2PBQUC3U",  # an individual business (type 92)
    "92340602MA2UK33127",
    "9144030071526726XG",  # organisation check character X
    "9162010567592034XQ",
    "91620105750935948X",
    "911522010783762860",
]

codes = st.text(alphabet=ALPHABET, min_size=2, max_size=2).flatmap(
    lambda head: st.tuples(
        st.just(head),
        st.text(alphabet="0123456789", min_size=6, max_size=6),
        st.text(alphabet=ALPHABET, min_size=8, max_size=8),
    )
)


def _bodies() -> st.SearchStrategy[str]:
    return codes.map(lambda parts: "".join(parts))


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_published_codes_are_valid(code: str) -> None:
    """Real codes pass both check characters."""
    assert credit_code_error(code) is None


def test_check_characters_by_hand() -> None:
    """GB 11714 for M000100Y: 22·3 + 1·5 + 34·2 = 139; 139 mod 11 = 7; 11 − 7 = 4.
    GB 11714 for 60003734: 6·3 + 3·5 + 7·8 + 3·4 + 4·2 = 109; 11 − 10 = 1."""
    assert org_code_check_char("M000100Y") == "4"
    assert org_code_check_char("60003734") == "1"
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert credit_code_check_char("91110000600037341") == "L"


def test_org_check_ten_is_x_and_eleven_is_zero() -> None:
    """GB 11714: a check value of 10 is written X, of 11 written 0."""
    assert org_code_check_char("MA1FW1BX") == "X"
    assert org_code_check_char("00000000") == "0"  # sum 0 → 11 → "0"


def test_credit_check_thirty_one_is_zero() -> None:
    """GB 32100: a check value of 31 (sum divisible by 31) is written 0."""
    assert credit_code_check_char("0" * 17) == "0"
    assert credit_code_check_char("91152201078376286") == "0"


def test_check_char_functions_reject_bad_input() -> None:
    with pytest.raises(ValueError):
        credit_code_check_char("9135010")
    with pytest.raises(ValueError):
        credit_code_check_char("9135010OM000100Y4")
    with pytest.raises(ValueError):
        org_code_check_char("M000100")
    with pytest.raises(ValueError):
        org_code_check_char("m000100y")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("91350100M000100Y43", "91350100M000100Y43"),
        ("  91350100m000100y43 ", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
        ("913501 00M000 100Y43", "91350100M000100Y43"),
        ("91350100-M000100Y4-3", "91350100M000100Y43"),
        ("91350100－M000100Y4－3", "91350100M000100Y43"),
        ("91350100\u3000M000100Y43", "91350100M000100Y43"),
        ("", ""),
    ],
)
def test_normalise_credit_code(text: str, expected: str) -> None:
    """Full-width, lower case, spaces and hyphens are how people type codes, not errors."""
    assert normalise_credit_code(text) == expected


def test_error_accepts_untidy_input() -> None:
    assert credit_code_error(" 91350100-m000100y4-3 ") is None
    assert credit_code_error("９１３５０１００Ｍ０００１００Ｙ４３") is None


def test_empty_code() -> None:
    assert credit_code_error("") == "The unified social credit code is empty."
    assert credit_code_error("  - ") == "The unified social credit code is empty."


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", "9135"])
def test_wrong_length_gives_count(code: str) -> None:
    message = credit_code_error(code)
    assert message is not None
    assert "18 characters" in message
    assert f"has {len(code)}" in message


def test_forbidden_letter_gives_position_and_hint() -> None:
    message = credit_code_error("91350100M0001O0Y43")
    assert message is not None
    assert "Character 14" in message
    assert "“O”" in message
    assert "I, O, Z, S and V" in message
    assert "perhaps it should be 0" in message


def test_other_illegal_character_gives_position() -> None:
    message = credit_code_error("9135010*M000100Y43")
    assert message is not None
    assert "Character 8" in message
    assert "“*”" in message
    assert "only digits and capital letters" in message


def test_division_must_be_digits() -> None:
    code = "91AB0100M000100Y4"
    code += credit_code_check_char(code)
    message = credit_code_error(code)
    assert message is not None
    assert "Characters 3 to 8" in message
    assert "AB0100" in message


def test_wrong_final_check_says_what_it_should_be() -> None:
    message = credit_code_error("91350100M000100Y44")
    assert message is not None
    assert "should be 3, not 4" in message
    assert "last" in message


def test_wrong_org_check_says_what_position_17_should_be() -> None:
    # valid final check over a wrong 17th character: only the GB 11714 check catches it
    first17 = "91350100M000100Y5"
    code = first17 + credit_code_check_char(first17)
    message = credit_code_error(code)
    assert message is not None
    assert "17th character should be 4, not 5" in message
    assert org_code_error(code) == message


def test_org_error_is_reported_before_final_check() -> None:
    """A typo inside 9–17 breaks both checks; the message points at 9–17."""
    message = credit_code_error("91350100M000200Y43")
    assert message is not None
    assert "Characters 9 to 17" in message


def test_org_code_error_none_for_valid() -> None:
    assert org_code_error("91350100M000100Y43") is None


def test_make_credit_code_from_16_and_17() -> None:
    assert make_credit_code("91350100M000100Y") == "91350100M000100Y43"
    assert make_credit_code("91350100M000100Y4") == "91350100M000100Y43"
    assert make_credit_code("91110000-60003734") == "91110000600037341L"


@pytest.mark.parametrize(
    "body",
    [
        "91350100M000100",
        "91350100M000100Y43",
        "91350100M000I00Y",
        "91AB0100M000100Y",
        "91350100M000100Y5",
    ],
)
def test_make_credit_code_rejects_bad_bodies(body: str) -> None:
    with pytest.raises(ValueError):
        make_credit_code(body)


@given(_bodies())
def test_made_codes_are_valid(body: str) -> None:
    """Invariant: make_credit_code always yields a code credit_code_error accepts."""
    code = make_credit_code(body)
    assert len(code) == 18
    assert code.startswith(body)
    assert credit_code_error(code) is None


@given(_bodies(), st.integers(min_value=0, max_value=17), st.sampled_from(ALPHABET))
def test_any_single_change_is_detected(body: str, position: int, char: str) -> None:
    """Invariant: changing any one character of a valid code makes it invalid (mod 31 with
    weights prime to 31 catches every single substitution)."""
    code = make_credit_code(body)
    if code[position] == char:
        char = ALPHABET[(ALPHABET.index(char) + 1) % len(ALPHABET)]
    changed = code[:position] + char + code[position + 1 :]
    assert credit_code_error(changed) is not None


@given(_bodies(), st.integers(min_value=0, max_value=16))
def test_adjacent_swaps_are_detected(body: str, position: int) -> None:
    """Swapping two different neighbouring characters is caught too."""
    code = make_credit_code(body)
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    assert credit_code_error(swapped) is not None


@given(st.text(max_size=30))
def test_error_never_raises(text: str) -> None:
    """Any user input yields None or a message, never an exception."""
    result = credit_code_error(text)
    assert result is None or isinstance(result, str)


class _Marked(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return "译:" + message


def test_messages_are_translated_when_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages go through the catalogue at call time, so switching language takes effect
    without re-importing the rules."""
    monkeypatch.setattr(i18n, "_translations", _Marked())
    message = credit_code_error("91350100M000100Y44")
    assert message is not None and message.startswith("译:")
    assert "should be 3, not 4" in message
