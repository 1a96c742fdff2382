"""The three-way merge of a record changed on two PCs (rules/sync_merge.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kac_desktop.rules.sync_merge import merge

BASE = {"name": "华闽", "address": "一号", "notes": "", "version": 1}


def test_fields_changed_on_one_side_each_merge():
    mine = {**BASE, "address": "二号", "version": 2}
    theirs = {**BASE, "notes": "新", "version": 2}
    outcome = merge(BASE, mine, theirs, ignored=["version"])
    assert outcome.result["address"] == "二号" and outcome.result["notes"] == "新"
    assert outcome.conflicts == ()


def test_a_field_changed_on_both_sides_is_a_conflict_and_mine_stays():
    outcome = merge(BASE, {**BASE, "address": "二号"}, {**BASE, "address": "三号"})
    assert outcome.conflicts == ("address",)
    assert outcome.result["address"] == "二号"


def test_the_same_change_on_both_sides_is_no_conflict():
    outcome = merge(BASE, {**BASE, "address": "二号"}, {**BASE, "address": "二号"})
    assert outcome.conflicts == () and not outcome.changed


values = st.sampled_from(["a", "b", "c"])
rows = st.fixed_dictionaries({"x": values, "y": values, "z": values})


@given(rows, rows, rows)
def test_nothing_is_lost(base, mine, theirs):
    """Every field ends with a value one side had, and a field either side changed alone
    keeps that change; a field both changed differently is named as a conflict."""
    outcome = merge(base, mine, theirs)
    for name in base:
        value = outcome.result[name]
        assert value in (mine[name], theirs[name])
        if mine[name] != base[name] and theirs[name] != base[name] and mine[name] != theirs[name]:
            assert name in outcome.conflicts
        elif theirs[name] != base[name]:
            assert value == theirs[name]
        elif mine[name] != base[name]:
            assert value == mine[name]


@given(rows, rows, rows)
def test_both_sides_merge_to_the_same_unless_in_conflict(base, mine, theirs):
    here = merge(base, mine, theirs)
    there = merge(base, theirs, mine)
    assert set(here.conflicts) == set(there.conflicts)
    for name in base:
        if name not in here.conflicts:
            assert here.result[name] == there.result[name]
