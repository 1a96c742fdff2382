"""Issue 20 item 11: the audit log's 详情 in sentences, not internal English."""

from __future__ import annotations

from kac_desktop.views.audit_words import describe_details


def test_a_status_change_is_said_in_words():
    text = describe_details(
        {"from": "received", "to": "in_progress", "at": "2026-11-23T02:30:00+00:00", "note": ""}
    )
    assert text == "状态：由“已受理”改为“处理中”；时间：2026-11-23 10:30。"


def test_a_report_and_a_customer_change_name_their_fields_and_values():
    report = describe_details({"month": "2026-11", "scope": "city", "branch": "市局"})
    assert "scope" not in report and "city" not in report
    assert "全市" in report and "2026-11" in report
    change = describe_details({"tier": ["ordinary", "gold"], "contacts.added": ["李明"]})
    assert change == "客户等级：由“普通”改为“黄金”；新增联系人：李明。"


def test_nothing_internal_is_left_in_english():
    text = describe_details({"active": [True, False], "temporary": True, "role": "supervisor"})
    assert all(not ("a" <= ch <= "z") for ch in text), text


def test_a_list_of_two_files_is_a_list_not_a_change():
    text = describe_details({"files": ["a.xlsx", "a.pdf"], "seed": 1, "visits": 30})
    assert text == "文件：a.xlsx、a.pdf；随机种子：1；走访：30。"
