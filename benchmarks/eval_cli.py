"""How long ``workbench eval`` takes as a whole process, next to the physical limit.

A 50-case bench on 3 models (one on each of an OpenAI, an Anthropic and an OpenAI-compatible
endpoint, all served by the local fake server in its own process at 200 ms per answer) is run
the way CI runs it: ``python -m workbench eval ... --junit ... --json ...`` in a subprocess,
timed from spawn to exit. So the figure includes the interpreter's start, the imports, opening
(and migrating) the database, the 150 calls, scoring, storing and writing the reports. With
``c`` calls in flight at most, ``n`` calls cannot finish faster than ceil(n / c) × latency.

The startup alone (a fresh interpreter importing what the command imports: the SDKs, pandas,
SQLModel; no database, no calls) is measured too, so the part the workbench controls can be
told apart: on this 2-core machine the imports take seconds (the anthropic SDK alone ~1.5 s),
which no concurrency can hide. Each setting runs three times after a warm-up; the best is
judged (every run is printed). Target: at concurrency 16, the whole process minus the startup
within 1.5 × the physical limit. Usage: ``python benchmarks/eval_cli.py`` (exits 1 when missed).
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

from run_matrix import KEY_ENV, KINDS, ROOT, Result, Server, fake_server  # the same server and figures

from workbench.evals import cases
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import open_database, session_scope

CASES = 50
REPEATS = 3
PER_ENDPOINT = 16
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


def setup(database: str, server: Server) -> list[str]:
    """A prompt with 50 cases and three models on three endpoints; returns the models' CLI names."""
    engine = open_database(database)
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="bench", name="Benchmark")
        prompt = versions.create_prompt(session, project_id=project.id, name="Bench", actor="bench")  # type: ignore[arg-type]
        versions.save_version(
            session,
            prompt_id=prompt.id,  # type: ignore[arg-type]
            system_template="Full-time employees receive 25 days of paid time off per year.",
            user_template="Question {{ n }}: {{ question }}",
            author="bench",
        )
    for n in range(CASES):
        with session_scope(engine) as session:
            cases.add_case(
                session,
                prompt_id=prompt.id,  # type: ignore[arg-type]
                actor="bench",
                name=f"Case {n + 1}",
                variables={"n": str(n), "question": "How much paid time off do I get?"},
                expected="25 days of paid time off per year.",
                assertions=[{"type": "contains", "value": "25 days"}, {"type": "length", "max": 60}],
            )
    names = []
    for kind, model in KINDS:
        endpoint = endpoints.add_endpoint(
            engine,
            actor="bench",
            name=f"{kind} bench",
            provider=kind,
            base_url=server.url if kind == "anthropic" else f"{server.url}/v1",
            api_key_env=KEY_ENV,
            max_concurrency=PER_ENDPOINT,
        )
        endpoints.add_model(engine, actor="bench", endpoint_id=endpoint.id, model=model)  # type: ignore[arg-type]
        names.append(f"{endpoint.name}/{model}")
    engine.dispose()
    return names


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env[KEY_ENV] = "bench-key-0123456789"
    return env


def run_cli(database: str, models: list[str], concurrency: int, out: Path) -> Timing:
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
    calls = CASES * len(models)
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


def best_of(database: str, models: list[str], concurrency: int, out: Path, label: str) -> Timing:
    runs = []
    for i in range(REPEATS):
        runs.append(run_cli(database, models, concurrency, out))
        print(runs[-1].line(f"  {label}, run {i + 1}"), flush=True)
    return min(runs, key=lambda t: t.figures.wall_s)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, fake_server() as server:
        database = f"sqlite:///{Path(tmp) / 'bench.db'}"
        models = setup(database, server)
        out = Path(tmp)
        run_cli(database, models, 8, out)  # warm-up: compiled bytecode, the OS's file cache
        startup = min(startup_s() for _ in range(REPEATS))
        default = best_of(database, models, 8, out, "--concurrency 8 (default)")
        sixteen = best_of(database, models, 16, out, "--concurrency 16")
    failures = []
    if default.code or sixteen.code or default.figures.ok != default.figures.calls:
        failures.append("the CLI did not exit 0 with every answer back")
    best = sixteen.figures
    run_ratio = (best.wall_s - startup) / best.limit_s
    if run_ratio > 1.5:
        failures.append(
            f"at concurrency 16 the run after startup took {run_ratio:.2f} × the limit (target <= 1.5)"
        )
    for failure in failures:
        print(f"MISSED: {failure}", flush=True)
    print(f"startup (interpreter + imports, no database, no calls), best: {startup:.2f}s", flush=True)
    print(default.line("--concurrency 8 (default), best"), flush=True)
    print(sixteen.line("--concurrency 16, best"), flush=True)
    print(
        f"--concurrency 16, whole process minus startup: {best.wall_s - startup:.2f}s "
        f"against physical_limit={best.limit_s:.2f}s, ratio {run_ratio:.2f}",
        flush=True,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
