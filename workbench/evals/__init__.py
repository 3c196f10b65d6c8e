"""Bench tests: test cases with known answers, assertions on model answers, an LLM judge,
and the scoring behind evaluations (pass rates, per-case grid, regressions)."""
