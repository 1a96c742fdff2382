"""Every business setting says what it means: `settings list` and the settings page show it."""

from kac_desktop.i18n import gettext_in
from kac_desktop.rules.defaults import DEFAULTS, SETTING_INFO


def test_every_setting_has_a_meaning_in_chinese():
    assert set(SETTING_INFO) == set(DEFAULTS)
    for key, (meaning, unit) in SETTING_INFO.items():
        assert meaning, key
        assert gettext_in("zh_CN", meaning) != meaning, key
        if unit and unit not in ("hh:mm",):
            assert gettext_in("zh_CN", unit) != unit, (key, unit)
