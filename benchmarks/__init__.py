"""Speed at scale: ``python -m benchmarks run --scale S|M|L [--only NAME] [--quick]``
(README.md)."""
