"""``make bench``: run every benchmark in ``benchmarks/``, then print one summary table.

A benchmark is a script there with a ``__main__`` block (``scale_data.py`` and ``summary.py``
are helpers). Each one runs in its own interpreter, one after the other so they do not
compete for the cores, and prints its own figures as it goes; its headline figures come back
through ``benchmarks/summary.py``'s ``record`` and end up in the table: figure, target or
physical limit, ratio, pass or fail. A benchmark that exits non-zero without recording a
failed figure (it crashed, or judged something it did not record) gets its own failed line.

    python scripts/bench.py [name ...]      # e.g. export_scale run_matrix; default: all

Exit code 0 when every figure passed and every benchmark exited 0, else 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from summary import SUMMARY_ENV, Figure, read  # noqa: E402  (benchmarks/ is not a package)


def benchmarks(names: list[str]) -> list[Path]:
    found = sorted(p for p in BENCHMARKS.glob("*.py") if '__name__ == "__main__"' in p.read_text("utf-8"))
    if not names:
        return found
    wanted = {Path(n).stem for n in names}
    unknown = wanted - {p.stem for p in found}
    if unknown:
        raise SystemExit(
            f"No benchmark named {', '.join(sorted(unknown))}; there are {[p.stem for p in found]}."
        )
    return [p for p in found if p.stem in wanted]


def bound_text(figure: Figure) -> str:
    if figure.bound_kind == "limit":
        return f"limit {figure.bound:.3g} {figure.unit} (≤ {figure.max_ratio:g}×)"
    return f"target ≤ {figure.bound:.3g} {figure.unit}"


def table(figures: list[Figure], exits: dict[str, tuple[int, float]]) -> list[str]:
    header = ("benchmark", "figure", "value", "target or physical limit", "ratio", "result")
    rows = [
        (
            f.benchmark,
            f.name,
            f"{f.value:.3g} {f.unit}",
            bound_text(f),
            f"{f.ratio:.2f}",
            "pass" if f.passed else "FAIL",
        )
        for f in figures
    ]
    failed_by_figure = {f.benchmark for f in figures if not f.passed}
    for name, (code, _seconds) in exits.items():
        if code != 0 and name not in failed_by_figure:
            rows.append((name, f"exit code {code} (see its output above)", "", "", "", "FAIL"))
        elif not any(f.benchmark == name for f in figures):
            rows.append((name, "no figure recorded", "", "", "", "pass" if code == 0 else "FAIL"))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        " | ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)) for row in [header, *rows]
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return lines


def main(argv: list[str]) -> int:
    chosen = benchmarks(argv)
    exits: dict[str, tuple[int, float]] = {}
    with tempfile.TemporaryDirectory(prefix="wb-bench-") as folder:
        summary = Path(folder) / "summary.jsonl"
        env = {**os.environ, SUMMARY_ENV: str(summary)}
        load_before = os.getloadavg()
        for script in chosen:
            print(f"== {script.relative_to(ROOT)}", flush=True)
            began = time.perf_counter()
            code = subprocess.call([sys.executable, str(script)], cwd=ROOT, env=env)
            exits[script.stem] = (code, time.perf_counter() - began)
            print(f"== {script.stem}: exit {code} after {exits[script.stem][1]:.0f} s\n", flush=True)
        figures = read(summary)
    load_after = os.getloadavg()
    print("Summary (medians of interleaved runs where a benchmark repeats):")
    for line in table(figures, exits):
        print("  " + line)
    print(
        f"Machine load: {load_before[0]:.1f} before, {load_after[0]:.1f} after (1-minute average) "
        f"on {os.cpu_count()} cores."
    )
    failed_figures = [f for f in figures if not f.passed]
    crashed = [n for n, (c, _) in exits.items() if c and n not in {f.benchmark for f in failed_figures}]
    if failed_figures or crashed:
        print(
            f"Result: {len(failed_figures)} figure(s) missed their target, {len(crashed)} other failure(s)."
        )
        return 1
    print("Result: every figure met its target.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
