"""Every action the services write to the audit log reads as words in the audit viewer, not
as its code (docs/DOMAIN.md §7: the log is read by supervisors)."""

from __future__ import annotations

import re
from pathlib import Path

from kac_desktop.i18n import set_language
from kac_desktop.services import audit

PACKAGE = Path(audit.__file__).resolve().parent.parent
# audit.record(session, actor, "action", …): the action is the third argument
RECORDED = re.compile(r"audit\.record\(\s*[^,]+,\s*[^,]+,\s*\"([a-z_.]+)\"", re.S)


def _recorded_actions() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        found |= set(RECORDED.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_recorded_action_has_a_label_in_chinese():
    actions = _recorded_actions()
    assert {"customer.tier", "revenue.edit", "signin.failed", "import.revenue"} <= actions
    set_language("zh_CN")
    for action in sorted(actions):
        label = audit.action_label(action)
        assert label != action, action
        assert re.search(r"[\u4e00-\u9fff]", label), (action, label)
