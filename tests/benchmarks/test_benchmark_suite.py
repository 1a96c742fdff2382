"""The benchmark suite runs at scale S and writes every case with its figures (no timing is
asserted: timings stay out of the test suite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_suite_runs_at_scale_s(tmp_path):
    from benchmarks import suite

    out = tmp_path / "latest.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "run", "--scale", "S", "--quick", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["scale"] == "S"
    cases = payload["cases"]
    assert set(cases) == set(suite.load_cases())
    for name in (
        "search_as_you_type",
        "sort",
        "startup",
        "open_customer_file",
        "peak_memory",
    ):
        entry = cases[name]
        for key in ("median", "min", "max", "ratio"):
            assert key in entry, (name, key)
        assert entry["min"] <= entry["median"] <= entry["max"]
    for name in ("search_as_you_type", "sort", "startup"):
        assert cases[name]["ratio"] > 0
    assert "median" in done.stdout and "ratio" in done.stdout
