"""Exports at scale: the 200,000-output library to CSV, fine-tuning JSONL and a full JSON backup.

Targets (issue 18, on this 2-core machine): CSV and JSONL each at most 2.5 s, the backup at most
8 s, memory bounded. A temp SQLite file is seeded in a child process (``scale_data.py``: 10,000
versions, 200,000 rated outputs), so this process holds only what the exports hold. Each export
runs as the CLI runs it (query, format, secrets scrub, written to a file, audit event); the
three are interleaved (CSV, JSONL, backup, CSV, ...) so a burst of load from elsewhere hits
them alike, and the median of the rounds is judged. Each run prints its peak resident memory
(the high-water mark is reset before it) next to the memory before it, and every file is read
back by its consumer once.

Run from the repository root: ``.venv/bin/python benchmarks/export_scale.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from summary import interleaved, machine_load, median, record

TARGETS_S = {"CSV": 2.5, "JSONL": 2.5, "backup": 8.0}
ROUNDS = 3
HERE = Path(__file__).resolve().parent


def rss_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak since the last reset) in MB; Linux only."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Restart the peak-memory mark (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def seed(path: Path) -> dict[str, int]:
    """The scale database, seeded by a child process (its memory is not ours)."""
    script = (
        "import json, sys; from scale_data import seed; from workbench.store.engine import open_database; "
        f"e = open_database('sqlite:///{path}'); print(json.dumps(seed(e))); e.dispose()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=HERE, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def main() -> int:
    from workbench.exports import backup, csv_xlsx, finetune
    from workbench.exports.key_scrub import scrubber
    from workbench.exports.scope import Selection
    from workbench.store.engine import make_engine

    with tempfile.TemporaryDirectory(prefix="wb-scale-") as folder:
        out = Path(folder)
        started = time.perf_counter()
        counts = seed(out / "scale.db")
        print(
            f"Seeded {counts['prompt_version']:,} versions, {counts['output']:,} outputs, "
            f"{counts['rating']:,} ratings in {time.perf_counter() - started:.1f} s (temp SQLite file)."
        )
        engine = make_engine(f"sqlite:///{out / 'scale.db'}")
        scrub = scrubber(engine)
        everything = Selection()
        options = finetune.FineTuneOptions(min_score=4.0)

        def to_csv() -> dict[str, Any]:
            with (out / "library.csv").open("wb") as f:
                return csv_xlsx.write_table(engine, everything, "csv", f, actor="bench", scrub=scrub)[0]

        def to_jsonl() -> dict[str, Any]:
            made = finetune.prepare_finetune(engine, everything, options, actor="bench", scrub=scrub)
            for name, kept in (("train", made.kept_train), ("validation", made.kept_validation)):
                with (out / f"{name}.jsonl").open("wb") as f:
                    finetune.write_jsonl(kept, f, made.scrub)
            return made.summary["counts"]

        def to_backup() -> dict[str, Any]:
            with (out / "backup.json").open("wb") as f:
                return backup.write_backup(engine, f, actor="bench", scrub=scrub)

        exports: dict[str, Callable[[], dict[str, Any]]] = {
            "CSV": to_csv,
            "JSONL": to_jsonl,
            "backup": to_backup,
        }
        machine_load("before")
        print(
            f"Targets: CSV and JSONL <= {TARGETS_S['CSV']} s, backup <= {TARGETS_S['backup']} s; "
            f"median of {ROUNDS} interleaved rounds."
        )
        peaks: dict[str, float] = {}

        def run(name: str, round_number: int) -> float:
            before = rss_mb("VmRSS")
            reset_peak()
            began = time.perf_counter()
            exports[name]()
            seconds = time.perf_counter() - began
            peak = rss_mb("VmHWM")
            peaks[name] = max(peaks.get(name, 0.0), peak)
            print(
                f"  round {round_number + 1}  {name:<6} {seconds:6.2f} s   peak RSS {peak:6.0f} MB "
                f"(before {before:.0f} MB)",
                flush=True,
            )
            return seconds

        times = interleaved(list(exports), ROUNDS, run)
        machine_load("after")
        check_files(out, counts)
        failed = False
        for name, seconds in times.items():
            figure = record(f"{name} export, median", median(seconds), TARGETS_S[name])
            failed |= not figure.passed
            print(
                f"Result: {name} {figure.value:.2f} s = {figure.ratio:.0%} of its {figure.bound:.1f} s target "
                f"({'MET' if figure.passed else 'NOT MET'}); peak RSS {peaks[name]:.0f} MB."
            )
        engine.dispose()
        return 1 if failed else 0


def check_files(out: Path, counts: dict[str, int]) -> None:
    """Each file read back by its consumer: every output in the CSV, valid JSON lines, the backup."""
    import pandas as pd

    rows = len(pd.read_csv(out / "library.csv", encoding="utf-8-sig", usecols=["output_id"]))
    assert rows == counts["output"], rows
    lines = 0
    for name in ("train", "validation"):
        with (out / f"{name}.jsonl").open(encoding="utf-8") as f:
            for line in f:
                assert json.loads(line)["messages"][-1]["role"] == "assistant"
                lines += 1
    with (out / "backup.json").open("rb") as f:
        dump = json.load(io.TextIOWrapper(f, encoding="utf-8"))
    assert len(dump["tables"]["output"]["rows"]) == counts["output"]
    size = sum(
        (out / n).stat().st_size for n in ("library.csv", "train.jsonl", "validation.jsonl", "backup.json")
    )
    print(
        f"Read back: {rows:,} CSV rows, {lines:,} JSONL examples, the backup's {counts['output']:,} outputs ({size / 1e6:.0f} MB in all)."
    )


if __name__ == "__main__":
    sys.exit(main())
