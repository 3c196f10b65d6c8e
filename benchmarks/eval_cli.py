"""How long ``workbench eval`` takes as a whole process, next to the physical limit.

The job is issue 18's, the one promptfoo was timed on: a 50-case bench on 3 models of one
OpenAI-compatible server (the local fake server in its own process, 200 ms per answer), one
``contains`` check each. The mixed job runs the same bench on one model each of an OpenAI, an
Anthropic and an OpenAI-compatible endpoint, so both official SDKs load. Each is run the way CI
runs it: ``python -m workbench eval ... --junit ... --json ...`` in a subprocess,
timed from spawn to exit. So the figure includes the interpreter's start, the imports, opening
the database, the 150 calls, scoring, storing and writing the reports. With ``c`` calls in
flight at most, ``n`` calls cannot finish faster than ceil(n / c) × latency.

Targets (issue 18): at concurrency 16 the whole process within 3.0 s, and within 3.5 s on the
mixed endpoints; at the default concurrency within 0.4 × promptfoo's default-concurrency time on
the same job (14.8 s, measured side by side in the issue; promptfoo is not installed here); the
fixed cost, the same command against a 0 ms server with one case, within 0.8 s. The startup alone (a fresh
interpreter importing what the command imports) is printed for information. The settings run
interleaved after a warm-up, three rounds, and the median is judged (every run is printed).
Usage: ``python benchmarks/eval_cli.py`` (exits 1 when a target is missed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from run_matrix import (  # the same server and figures
    KEY_ENV,
    KINDS,
    QUESTION,
    ROOT,
    SYSTEM,
    Result,
    Server,
    fake_server,
)
from summary import interleaved, machine_load, median, record

from workbench.evals import cases
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import open_database, session_scope

CASES = 50
ROUNDS = 3
PER_ENDPOINT = 16
WHOLE_AT_16_S = 3.0
MIXED_AT_16_S = 3.5
COMPATIBLE = "openai_compatible"
JOB_MODELS = ("fake-large", "fake-small", "fake-lazy")
PROMPTFOO_DEFAULT_S = 14.8  # promptfoo 0.121 at its default concurrency, issue 18
DEFAULT_SHARE = 0.4
FIXED_COST_S = 0.8
STARTUP_IMPORTS = (
    "import workbench.cli.eval_command, workbench.evals.matrix, workbench.evals.ci, openai, anthropic"
)


@dataclass
class Timing:
    """A timed CLI run: run_matrix's figures (``ok`` = answers that came back) and the exit code."""

    figures: Result
    code: int

    def line(self, label: str) -> str:
        return self.figures.line(label).replace("wall=", "whole_process=") + f" exit={self.code}"


def setup(database: str, server: Server, cases_count: int = CASES, *, mixed: bool = False) -> list[str]:
    """A prompt with ``cases_count`` cases and three models, on one OpenAI-compatible endpoint
    (issue 18's job) or ``mixed`` on three endpoints of three kinds; returns the models' CLI names."""
    engine = open_database(database)
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="bench", name="Benchmark")
        prompt = versions.create_prompt(session, project_id=project.id, name="Bench", actor="bench")  # type: ignore[arg-type]
        versions.save_version(
            session,
            prompt_id=prompt.id,  # type: ignore[arg-type]
            system_template=SYSTEM,
            user_template="Question {{ n }}: {{ question }}",
            author="bench",
        )
    for n in range(cases_count):
        with session_scope(engine) as session:
            cases.add_case(
                session,
                prompt_id=prompt.id,  # type: ignore[arg-type]
                actor="bench",
                name=f"Case {n + 1}",
                variables={"n": str(n), "question": QUESTION},
                expected="25 days of paid time off per year.",
                assertions=[{"type": "contains", "value": "25 days"}, {"type": "length", "max": 60}],
            )
    names = []
    groups = [(kind, (model,)) for kind, model in KINDS] if mixed else [(COMPATIBLE, JOB_MODELS)]
    for kind, models in groups:
        endpoint = endpoints.add_endpoint(
            engine,
            actor="bench",
            name=f"{kind} bench",
            provider=kind,
            base_url=server.url if kind == "anthropic" else f"{server.url}/v1",
            api_key_env=KEY_ENV,
            max_concurrency=PER_ENDPOINT * len(models),
        )
        for model in models:
            endpoints.add_model(engine, actor="bench", endpoint_id=endpoint.id, model=model)  # type: ignore[arg-type]
            names.append(f"{endpoint.name}/{model}")
    engine.dispose()
    return names


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env[KEY_ENV] = "bench-key-0123456789"
    return env


def run_cli(
    database: str, models: list[str], concurrency: int, out: Path, cases_count: int = CASES
) -> Timing:
    command = [
        sys.executable, "-m", "workbench", "eval", "--prompt", "Bench", "--version", "1",
        "--models", ",".join(models), "--concurrency", str(concurrency), "--min-pass-rate", "0",
        "--database", database, "--junit", str(out / "bench.xml"), "--json", str(out / "bench.json"),
    ]  # fmt: skip
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=environment(), capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        print(done.stdout, done.stderr, sep="\n", file=sys.stderr)
    calls = cases_count * len(models)
    answered = 0
    if done.returncode == 0:
        report = json.loads((out / "bench.json").read_text())
        tests = ET.parse(out / "bench.xml").getroot().get("tests")
        if report["total"] != calls or tests != str(calls):
            raise RuntimeError(f"expected {calls} results, the reports hold {report['total']} and {tests}")
        answered = sum(case["status"] == "ok" for case in report["cases"])
    concurrency = min(concurrency, PER_ENDPOINT * len(models))
    return Timing(Result(calls=calls, concurrency=concurrency, wall_s=wall, ok=answered), done.returncode)


def startup_s() -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", STARTUP_IMPORTS], cwd=ROOT, check=True)
    return time.perf_counter() - began


def main() -> int:
    machine_load("before")
    with tempfile.TemporaryDirectory() as tmp, fake_server() as server, fake_server(0.0) as instant:
        out = Path(tmp)
        database = f"sqlite:///{out / 'bench.db'}"
        models = setup(database, server)
        mixed = f"sqlite:///{out / 'mixed.db'}"
        mixed_models = setup(mixed, server, mixed=True)
        quick = f"sqlite:///{out / 'quick.db'}"
        quick_models = setup(quick, instant, cases_count=1)
        run_cli(mixed, mixed_models, 8, out)  # warm-up: compiled bytecode, the OS's file cache
        settings = {  # label: (database, models, concurrency, cases)
            "--concurrency 8 (default)": (database, models, 8, CASES),
            "--concurrency 16": (database, models, 16, CASES),
            "--concurrency 16, mixed endpoints": (mixed, mixed_models, 16, CASES),
            "fixed cost (0 ms server, 1 case)": (quick, quick_models, 16, 1),
        }

        def run(label: str, round_number: int) -> Timing:
            where, names, concurrency, count = settings[label]
            timing = run_cli(where, names, concurrency, out, count)
            print(timing.line(f"  {label}, round {round_number + 1}"), flush=True)
            return timing

        runs = interleaved(list(settings), ROUNDS, run)
        startup = median([startup_s() for _ in range(ROUNDS)])
    machine_load("after")
    failed = any(t.code or t.figures.ok != t.figures.calls for timings in runs.values() for t in timings)
    if failed:
        print("MISSED: the CLI did not exit 0 with every answer back", flush=True)
    whole = {label: median([t.figures.wall_s for t in timings]) for label, timings in runs.items()}
    for label, seconds in whole.items():
        limit = runs[label][0].figures.limit_s
        print(
            f"{label}, median of {ROUNDS}: whole_process={seconds:.2f}s physical_limit={limit:.2f}s",
            flush=True,
        )
    print(f"startup (interpreter + the command's imports, no database, no calls), median: {startup:.2f}s")
    default_s, sixteen_s, mixed_s, fixed_s = whole.values()
    figures = [
        record("whole process at concurrency 16", sixteen_s, WHOLE_AT_16_S),
        record("whole process at concurrency 16 (mixed endpoints)", mixed_s, MIXED_AT_16_S),
        record(
            f"whole process at default concurrency (target {DEFAULT_SHARE} x promptfoo's {PROMPTFOO_DEFAULT_S} s)",
            default_s,
            DEFAULT_SHARE * PROMPTFOO_DEFAULT_S,
        ),
        record("fixed cost (0 ms server, one case)", fixed_s, FIXED_COST_S),
    ]
    return 1 if failed or not all(f.passed for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
