"""The benchmark registry and runner.

A case is one small function registered by name; it gets the scale's ``Context`` and
returns the seconds of one run (or a list of seconds: several samples, e.g. one per
keystroke).  An optional baseline function is measured in the same run the same way, and
the table shows the case's median as a ratio of the baseline's.  Cases of other features
register in their own ``benchmarks/cases_*.py`` module (imported by ``CASE_MODULES``)."""

from __future__ import annotations

import importlib
import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CASE_MODULES = (
    "benchmarks.cases_customers",
    "benchmarks.cases_import",
    "benchmarks.cases_report",
    "benchmarks.cases_visits",
    "benchmarks.cases_sync",
)
RESULTS = Path(__file__).resolve().parent / "results"

Measure = Callable[["Context"], "float | list[float]"]


@dataclass
class Case:
    name: str
    run: Measure
    baseline: Measure | None = None
    target: str = ""
    repeat: int = 5
    unit: str = "ms"  # or "MB": the function returns that number, not seconds


@dataclass
class Context:
    """What a case gets: the scale, its database path and a place for shared set-up."""

    scale: str
    db_path: Path
    quick: bool
    notes: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


CASES: dict[str, Case] = {}


def case(
    name: str,
    *,
    baseline: Measure | None = None,
    target: str = "",
    repeat: int = 5,
    unit: str = "ms",
) -> Callable[[Measure], Measure]:
    """Register ``fn`` as the case ``name`` (decorator)."""

    def register(fn: Measure) -> Measure:
        CASES[name] = Case(name, fn, baseline, target, repeat, unit)
        return fn

    return register


def load_cases() -> dict[str, Case]:
    for module in CASE_MODULES:
        importlib.import_module(module)
    return CASES


def _samples(fns: list[Measure], ctx: Context, repeat: int, unit: str) -> list[list[float]]:
    """The values of each of ``fns`` (a case and its baseline), after a warm-up of each,
    their repetitions taken in turn: a slower or faster spell of the machine then falls on
    both, not on one of them."""
    for fn in fns:
        fn(ctx)  # warm-up
    values: list[list[float]] = [[] for _fn in fns]
    for _ in range(repeat):
        for fn, into in zip(fns, values, strict=True):
            got = fn(ctx)
            got = got if isinstance(got, list) else [got]
            into.extend(v * 1000 if unit == "ms" else v for v in got)
    return values


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "samples": len(values),
    }


def run(ctx: Context, only: list[str] | None = None) -> dict[str, Any]:
    cases = load_cases()
    chosen = [c for n, c in cases.items() if not only or n in only]
    results: dict[str, Any] = {}
    for c in chosen:
        repeat = 2 if ctx.quick else c.repeat
        started = time.perf_counter()
        entry: dict[str, Any] = {"unit": c.unit, "target": c.target}
        measured = [c.run] if c.baseline is None else [c.run, c.baseline]
        values = _samples(measured, ctx, repeat, c.unit)
        entry.update(_stats(values[0]))
        if c.baseline is not None:
            base = _stats(values[1])
            entry["baseline"] = base
            entry["ratio"] = entry["median"] / base["median"] if base["median"] else None
            entry["ratio_max"] = entry["max"] / base["max"] if base["max"] else None
        else:
            entry["baseline"] = None
            entry["ratio"] = None
            entry["ratio_max"] = None
        entry["seconds"] = time.perf_counter() - started
        results[c.name] = entry
        print(f"  {c.name}: done in {entry['seconds']:.1f} s", flush=True)
    return results


def table(results: dict[str, Any], notes: list[str]) -> str:
    head = f"{'case':<22}{'median':>10}{'min':>10}{'max':>10}{'baseline':>11}{'ratio':>8}"
    lines = [head, "-" * len(head)]
    for name, r in results.items():
        unit = r["unit"]
        base = f"{r['baseline']['median']:.1f}" if r["baseline"] else "–"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "–"
        lines.append(
            f"{name:<22}{r['median']:>10.1f}{r['min']:>10.1f}{r['max']:>10.1f}{base:>11}"
            f"{ratio:>8}  {unit}  {r['target']}"
        )
    lines.append("ratio = the case's median / its baseline's median, measured in the same run")
    lines.extend(f"note: {n}" for n in notes)
    return "\n".join(lines)


def write_json(ctx: Context, results: dict[str, Any], path: Path | None = None) -> Path:
    path = path or RESULTS / "latest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "scale": ctx.scale,
        "quick": ctx.quick,
        "database": str(ctx.db_path),
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "notes": ctx.notes,
        "cases": results,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    return path
