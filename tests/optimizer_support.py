"""Benches for the optimizer's tests, on the seeded demo and the fake server.

The fake models know Northwind's handbook but use it only when a prompt says to answer "from the
company handbook" (``tests.fakes.replies.HANDBOOK_EDIT``, one of the fake proposer's edits), so
the one instruction that fixes a bench of handbook questions is known in advance:

- ``partial_handbook``: the HR prompt with only some handbook lines in its system message, so the
  cases about those lines pass and the others fail until the instruction is added;
- ``canteen_bench``: questions nothing in the handbook answers, which no edit can fix;
- ``mixed_bench``: handbook questions where the seeded split puts training cases, canteen
  questions where it puts held-out cases: a candidate can only win on training.
"""

from __future__ import annotations

from sqlalchemy import Engine

from tests.fakes.replies import handbook_lines
from tests.fakes.server import FakeLLMServer
from workbench.evals import cases
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.store.tables import Prompt, PromptVersion

WEAK_SYSTEM = "You answer employees' questions about company policy."
CANTEEN = [
    ("What soup is served on Mondays?", "Lentil soup.", "lentil"),
    ("Which day is pizza day in the canteen?", "Thursday.", "Thursday"),
    ("Until what time is the canteen open?", "Until 3 pm.", "3 pm"),
    ("How much does a canteen coffee cost?", "1.20 dollars.", "1.20"),
    ("Is there a vegan dish every day?", "Yes, one vegan dish daily.", "vegan dish daily"),
]


def wire(engine: Engine, fake: FakeLLMServer) -> dict[str, int]:
    """Point the demo's "Local fake server" at ``fake`` (no SDK retries, so every call the
    workbench makes is one request there); model ids by model name."""
    local = endpoints.find_endpoint(engine, "Local fake server")
    assert local is not None
    endpoints.update_endpoint(engine, local.id, actor="t", base_url=fake.openai_base_url, max_retries=0)  # type: ignore[arg-type]
    return {m.model: m.id for m in endpoints.list_models(engine, local.id)}  # type: ignore[misc]


def hr_prompt(engine: Engine) -> Prompt:
    return next(p for p in versions.list_prompts(engine) if p.name == "HR policy answer")


def hr_version(engine: Engine, number: int) -> PromptVersion:
    return next(v for v in versions.list_versions(engine, hr_prompt(engine).id) if v.number == number)  # type: ignore[arg-type]


def partial_handbook(engine: Engine, lines: tuple[int, ...] = (0, 1, 2, 3)) -> PromptVersion:
    """A new HR version that quotes only some handbook lines (the seeded bench's cases 0-9 ask
    about lines 0-9 in order)."""
    excerpt = "\n".join(handbook_lines()[i] for i in lines)
    prompt_id = hr_prompt(engine).id
    with session_scope(engine) as session:
        return versions.save_version(
            session,
            prompt_id=prompt_id,  # type: ignore[arg-type]
            system_template=f"{WEAK_SYSTEM}\n\nHandbook excerpt:\n{excerpt}",
            user_template="{{ question }}",
            author="t",
            change_note="Only part of the handbook.",
            params={"temperature": 0.0, "max_tokens": 200},
        )


def _bench_prompt(engine: Engine, name: str, rows: list[tuple[str, str, str]]) -> PromptVersion:
    project_id = hr_prompt(engine).project_id
    with session_scope(engine) as session:
        prompt = versions.create_prompt(session, project_id=project_id, name=name, actor="t")
        version = versions.save_version(
            session,
            prompt_id=prompt.id,  # type: ignore[arg-type]
            system_template=WEAK_SYSTEM,
            user_template="{{ question }}",
            author="t",
            params={"max_tokens": 200},
        )
        for i, (question, expected, needle) in enumerate(rows):
            cases.add_case(
                session,
                prompt_id=prompt.id,  # type: ignore[arg-type]
                actor="t",
                name=f"Q{i + 1}",
                variables={"question": question},
                expected=expected,
                assertions=[{"type": "contains", "value": needle}],
            )
    return version


def canteen_bench(engine: Engine) -> PromptVersion:
    return _bench_prompt(engine, "Canteen answer", CANTEEN)


def handbook_rows() -> list[tuple[str, str, str]]:
    """The seeded HR bench as (question, expected, text the answer must contain)."""
    return [
        ("How much paid time off does an employee get each year?", "25 days.", "25 days"),
        ("Can unused PTO carry over to next year?", "Up to 5 days.", "5 days"),
        ("How many days of paid sick leave do employees get?", "10 days.", "10 days"),
        ("How long is parental leave for the primary caregiver?", "16 weeks.", "16 weeks"),
        ("How many days per week may employees work remotely?", "2 days.", "2 days"),
    ]


def mixed_bench(engine: Engine, train: tuple[int, ...]) -> PromptVersion:
    """Handbook questions at the ``train`` positions, canteen questions elsewhere."""
    handbook, canteen = iter(handbook_rows()), iter(CANTEEN)
    rows = [next(handbook) if i in train else next(canteen) for i in range(10)]
    return _bench_prompt(engine, "Mixed answer", rows)
