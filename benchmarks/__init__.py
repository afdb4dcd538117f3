"""Ratio benchmarks: each candidate is timed against a baseline in the same run.

Run them all with ``python -m benchmarks`` (``make bench``) or one with
``python -m benchmarks.bench_money``. Figures are ratios (candidate time / baseline time), so
they compare across machines; bare times are printed only for context.
"""
