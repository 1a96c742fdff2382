from __future__ import annotations

import pytest

from kac_desktop.rules import colours
from kac_desktop.rules.colours import AA_TEXT, contrast_ratio, text_pairs


def test_contrast_ratio_matches_wcag_examples():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#fff", "#000") == contrast_ratio("#000000", "#ffffff")


@pytest.mark.parametrize("scheme", [colours.LIGHT, colours.DARK], ids=lambda s: s.name)
def test_every_text_keeps_aa_contrast(scheme):
    weak = [
        (what, fg, bg, round(contrast_ratio(fg, bg), 2))
        for what, fg, bg in text_pairs(scheme)
        if contrast_ratio(fg, bg) < AA_TEXT
    ]
    assert weak == []


def test_both_schemes_colour_the_same_things():
    light, dark = colours.LIGHT, colours.DARK
    assert light.tiers.keys() == dark.tiers.keys()
    assert light.service.keys() == dark.service.keys()
    assert light.quota.keys() == dark.quota.keys() == light.quota_backgrounds.keys()
    assert [p[0] for p in text_pairs(light)] == [p[0] for p in text_pairs(dark)]


def test_the_dark_scheme_is_dark():
    assert colours.is_dark(colours.DARK.window, colours.DARK.text)
    assert not colours.is_dark(colours.LIGHT.window, colours.LIGHT.text)
