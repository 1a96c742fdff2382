from __future__ import annotations

from datetime import date

import pytest

from kac_desktop.rules.date_input import DateInputError, format_date, parse_date


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-15",
        "2024-3-15",
        "20240315",
        "2024/3/15",
        "2024/03/15",
        "2024.3.15",
        "2024年3月15日",
        "2024年03月15日",
        "2024年3月15",
        " 2024-03-15 ",
        "２０２４／３／１５",  # full-width, as a Chinese input method types it
        "２０２４年３月１５日",
        "2024 年 3 月 15 日",
    ],
)
def test_the_ways_users_type_a_date(text):
    assert parse_date(text) == date(2024, 3, 15)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_is_not_filled_in(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2024-02-30", "2024-02-30"),
        ("20231301", "2023-13-01"),
        ("2024/3-15", "2024/3-15"),
        ("15.3.2024", "15.3.2024"),
        ("明天", "明天"),
        ("2024031", "2024031"),
        ("未填写20240315", "未填写20240315"),
        ("18990101", "1899"),
    ],
)
def test_what_is_no_date_says_why(text, words):
    with pytest.raises(DateInputError) as error:
        parse_date(text)
    assert words in error.value.message


def test_leap_day():
    assert parse_date("20240229") == date(2024, 2, 29)
    with pytest.raises(DateInputError):
        parse_date("20230229")


def test_format():
    assert format_date(date(2024, 3, 5)) == "2024-03-05"
    assert format_date(None) == ""
