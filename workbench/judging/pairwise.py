"""Pairwise preferences ("A is better / B is better / tie / both bad") and the leaderboard.

Judging which of two answers is better is easier and more consistent than scoring one answer
alone, but only when both answer the same input. Two outputs share an input when they are the
same row of the same run, answer the same bench test case, or were produced by one prompt from
identical variable values; anything else is refused.

The leaderboard ranks models (pairs from the same prompt version) or prompt versions (pairs from
the same model) by win rate and by a Bradley–Terry rating, each with the number of comparisons
behind it. "Tie" and "both bad" both mean neither answer was preferred, so each counts as half a
win for either side (they are still counted apart). A figure resting on fewer than
``MIN_COMPARISONS`` comparisons is flagged as too few to trust.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Engine, Text, cast, func, or_
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput
from workbench.judging.blind import shuffled
from workbench.judging.ranking import bradley_terry, elo_scale, wilson_interval
from workbench.judging.ratings import clean_rater, lock_output, project_of_output, write_with_retries
from workbench.judging.review import QueueItem, model_label
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import select_columns, without_index
from workbench.store.tables import (
    PAIRWISE_CHOICES,
    Output,
    PairwisePreference,
    Prompt,
    PromptVersion,
    Run,
    TestCase,
)

if TYPE_CHECKING:  # pandas loads with the first frame: seeding and the first page go without it
    import pandas as pd

By = Literal["model", "version"]
CHOICE_LABELS = {"a": "A is better", "b": "B is better", "tie": "Tie", "both_bad": "Both bad"}
MIN_COMPARISONS = 10
FLIPPED = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}
LEADERBOARD_COLUMNS = [
    "contender",
    "bt_rating",
    "win_rate",
    "win_rate_low",
    "win_rate_high",
    "wins",
    "losses",
    "ties",
    "both_bad",
    "comparisons",
    "too_few",
]


def _prompt_of(session: Session, output: Output) -> int | None:
    version = session.get(PromptVersion, output.prompt_version_id) if output.prompt_version_id else None
    return version.prompt_id if version else None


def share_input(session: Session, a: Output, b: Output) -> bool:
    if a.run_id == b.run_id and a.row_index == b.row_index:
        return True
    if a.test_case_id is not None and a.test_case_id == b.test_case_id:
        return True
    prompt = _prompt_of(session, a)
    return (
        prompt is not None
        and prompt == _prompt_of(session, b)
        and bool(a.variables)
        and json.dumps(a.variables, sort_keys=True) == json.dumps(b.variables, sort_keys=True)
    )


def record_preference(
    engine: Engine, *, output_a_id: int, output_b_id: int, choice: str, rater: str, blind: bool = False
) -> PairwisePreference:
    """Store ``rater``'s verdict on two answers to one input; voting again on the same pair
    replaces their earlier verdict, so repeated clicks cannot stuff the ballot. Runs in a
    transaction of its own, retried after a lock timeout (like ``ratings.rate_output``)."""
    rater = clean_rater(rater)
    if choice not in PAIRWISE_CHOICES:
        raise InvalidInput(
            f"A preference is one of {', '.join(PAIRWISE_CHOICES)}, not '{choice}'.", field="choice"
        )
    if output_a_id == output_b_id:
        raise InvalidInput("Pick two different answers to compare.", field="output_b_id")

    def vote(session: Session) -> PairwisePreference:
        first, second = sorted((output_a_id, output_b_id))
        locked = {first: lock_output(session, first), second: lock_output(session, second)}
        a, b = locked[output_a_id], locked[output_b_id]
        failed = [o.id for o in (a, b) if o.status == "error"]
        if failed:
            raise InvalidInput(f"Output {failed[0]} is a failed call with no answer to compare.")
        project = project_of_output(session, a)
        if project.id != project_of_output(session, b).id or not share_input(session, a, b):
            raise InvalidInput(
                f"Outputs {a.id} and {b.id} answer different inputs; compare two answers to the same "
                "input (the same row of a run, the same test case, or the same variable values)."
            )
        row = session.exec(
            select(PairwisePreference).where(
                PairwisePreference.rater == rater,
                or_(
                    (col(PairwisePreference.output_a_id) == a.id)
                    & (col(PairwisePreference.output_b_id) == b.id),
                    (col(PairwisePreference.output_a_id) == b.id)
                    & (col(PairwisePreference.output_b_id) == a.id),
                ),
            )
        ).first()
        before = {"choice": row.choice} if row else None
        if row is None:
            row = PairwisePreference(output_a_id=a.id, output_b_id=b.id, choice=choice, rater=rater)  # type: ignore[arg-type]
        row.choice = choice if row.output_a_id == a.id else FLIPPED[choice]
        row.blind = blind
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=rater,
            action="pairwise.update" if before else "pairwise.create",
            entity_type="pairwise_preference",
            entity_id=row.id,
            project_id=project.id,
            before=before,
            after={"output_a_id": row.output_a_id, "output_b_id": row.output_b_id, "choice": row.choice},
        )
        return row

    return write_with_retries(engine, vote, what="the preference")


# ---- what to vote on next -------------------------------------------------------------------------


@dataclass(frozen=True)
class PairToJudge:
    a: QueueItem
    b: QueueItem
    version_a: str
    version_b: str


@dataclass(frozen=True)
class _Contender:
    """An answer that can be one side of a pair: the columns a pair needs, not the whole row."""

    output_id: int
    endpoint_name: str
    model_name: str
    variables: dict[str, Any]
    variables_key: str  # the variables as JSON with sorted keys: answers to one input share it
    text: str
    test_case_id: int | None
    row_index: int
    version: str
    prompt_id: int
    model: str  # as the leaderboard names it


def _contenders(session: Session, project_id: int, only: set[int] | None = None) -> list[_Contender]:
    """The project's answers with text, read as plain rows: a big project has 20,000 of them, and
    building ORM rows and decoding the same variables JSON for each was most of the Leaderboard's
    time. Each distinct variables text is decoded once."""
    query = (
        select_columns(
            Output.id,
            Output.endpoint_name,
            Output.model_name,
            cast(Output.variables, Text),
            Output.text,
            Output.test_case_id,
            Output.row_index,
            PromptVersion.number,
            Prompt.name,
            PromptVersion.prompt_id,
        )
        .join(Run, col(Run.id) == Output.run_id)
        .join(PromptVersion, col(PromptVersion.id) == Output.prompt_version_id)
        .join(Prompt, col(Prompt.id) == PromptVersion.prompt_id)
        .where(Run.project_id == project_id, without_index(col(Output.status)) == "ok")
        .order_by(col(Output.created_at), col(Output.id))
    )
    if only is not None:
        query = query.where(col(Output.id).in_(only))
    decoded: dict[str | None, tuple[dict[str, Any], str]] = {}
    found = []
    for (
        output_id,
        endpoint,
        model,
        raw,
        text,
        case_id,
        row,
        number,
        name,
        prompt_id,
    ) in session.connection().execute(query):
        if not text.strip():
            continue
        if raw not in decoded:
            variables = (json.loads(raw) if raw else None) or {}
            decoded[raw] = (variables, json.dumps(variables, sort_keys=True, default=str))
        variables, key = decoded[raw]
        found.append(
            _Contender(
                output_id, endpoint, model, variables, key, text, case_id, row,
                f"{name} · v{number}", prompt_id, model_label(endpoint, model),
            )
        )  # fmt: skip
    return found


@dataclass(frozen=True)
class PairQueue:
    """How many pairs the rater has left, and the first few of them, built in full."""

    left: int
    first: list[PairToJudge]


Pair = tuple[_Contender, _Contender]


def answers_stamp(engine: Engine, project_id: int) -> tuple[int, int | None]:
    """What ``pair_pool`` depends on, read in milliseconds: the count and the newest id of the
    project's answers that succeeded (answers are never edited once they have). A page keeps a
    pool while this stays the same."""
    with session_scope(engine) as session:
        count, newest = session.exec(
            select(func.count(col(Output.id)), func.max(Output.id))
            .join(Run, col(Run.id) == Output.run_id)
            .where(Run.project_id == project_id, without_index(col(Output.status)) == "ok")
        ).one()
    return int(count), newest


def pair_pool(engine: Engine, *, project_id: int, by: By = "model", seed: str = "") -> tuple[Pair, ...]:
    """Every pair that can be judged: two models on one version and input (``by="model"``) or two
    versions with one model and input (``by="version"``), in ``seed``'s order; whoever voted."""
    with session_scope(engine) as session:
        contenders = _contenders(session, project_id)
    # Answers to one input share their variables, so within a group an answer is the same
    # answer (``answer_key``) when its model and text are.
    groups: dict[tuple[int, str], dict[tuple[str, str, str], _Contender]] = {}
    for c in contenders:
        groups.setdefault((c.prompt_id, c.variables_key), {}).setdefault(
            (c.endpoint_name, c.model_name, c.text.strip()), c
        )
    pairs: list[Pair] = []
    for group in groups.values():
        for x, y in combinations(group.values(), 2):
            same, differ = (x.version, x.model) if by == "model" else (x.model, x.version)
            other_same, other_differ = (y.version, y.model) if by == "model" else (y.model, y.version)
            if same == other_same and differ != other_differ:
                pairs.append((x, y))
    return tuple(shuffled(seed, ("pairs", project_id, by), pairs) if seed else pairs)


def pairs_queue(
    engine: Engine,
    *,
    project_id: int,
    rater: str,
    by: By = "model",
    seed: str = "",
    limit: int | None = 1,
    pool: Sequence[Pair] | None = None,
) -> PairQueue:
    """The pairs of ``pair_pool`` the rater has not judged yet; sides from ``seed``.

    Every pair is counted, but only the first ``limit`` (all, when ``None``) are built: a big
    project has tens of thousands of pairs and the page shows one. A page passes the ``pool``
    it keeps (``answers_stamp`` says when it is stale): building it is most of the time."""
    rater = (rater or "").strip()
    if pool is None:
        pool = pair_pool(engine, project_id=project_id, by=by, seed=seed)
    with session_scope(engine) as session:
        voted = set()
        if rater:
            for a, b in session.exec(
                select(PairwisePreference.output_a_id, PairwisePreference.output_b_id).where(
                    PairwisePreference.rater == rater
                )
            ):
                voted.add(frozenset((a, b)))
        candidates = [pair for pair in pool if frozenset((pair[0].output_id, pair[1].output_id)) not in voted]
        chosen = candidates if limit is None else candidates[:limit]
        case_ids = {c.test_case_id for pair in chosen for c in pair if c.test_case_id}
        case_names = {
            case_id: name
            for case_id, name in session.exec(
                select(TestCase.id, TestCase.name).where(col(TestCase.id).in_(case_ids))
            )
            if case_id is not None  # stored rows always have one
        }
    first = []
    for x, y in chosen:
        one, other = shuffled(seed, (x.output_id, y.output_id), [x, y])
        first.append(
            PairToJudge(
                a=_queue_item(one, case_names),
                b=_queue_item(other, case_names),
                version_a=one.version,
                version_b=other.version,
            )
        )
    return PairQueue(left=len(candidates), first=first)


def pairs_to_judge(
    engine: Engine, *, project_id: int, rater: str, by: By = "model", seed: str = ""
) -> list[PairToJudge]:
    """Every pair the rater has left, built (``pairs_queue`` with no limit)."""
    return pairs_queue(engine, project_id=project_id, rater=rater, by=by, seed=seed, limit=None).first


def _queue_item(c: _Contender, case_names: dict[int, str]) -> QueueItem:
    return QueueItem(
        output_id=c.output_id,
        model=c.model,
        variables=dict(c.variables),
        text=c.text,
        test_case=case_names.get(c.test_case_id, "") if c.test_case_id else "",
        row_index=c.row_index,
    )


# ---- the leaderboard ------------------------------------------------------------------------------


def votes_frame(engine: Engine, project_id: int) -> pd.DataFrame:
    """One row per recorded preference with both sides' model and version (pandas, for charts)."""
    with session_scope(engine) as session:
        prefs = list(
            session.exec(
                select(PairwisePreference)
                .join(Output, col(Output.id) == PairwisePreference.output_a_id)
                .join(Run, col(Run.id) == Output.run_id)
                .where(Run.project_id == project_id)
                .order_by(col(PairwisePreference.id))
            )
        )
        ids = {p.output_a_id for p in prefs} | {p.output_b_id for p in prefs}
        sides = {c.output_id: c for c in _contenders(session, project_id, ids)} if ids else {}
    rows = [
        {
            "id": p.id,
            "rater": p.rater,
            "choice": p.choice,
            "blind": p.blind,
            "created_at": p.created_at,
            "model_a": sides[p.output_a_id].model,
            "model_b": sides[p.output_b_id].model,
            "version_a": sides[p.output_a_id].version,
            "version_b": sides[p.output_b_id].version,
        }
        for p in prefs
        if p.output_a_id in sides and p.output_b_id in sides
    ]
    columns = ["id", "rater", "choice", "blind", "created_at", "model_a", "model_b", "version_a", "version_b"]
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def leaderboard_from_votes(
    votes: Iterable[tuple[str, str, str]], min_comparisons: int = MIN_COMPARISONS
) -> pd.DataFrame:
    """Rank contenders from ``(contender_a, contender_b, choice)`` votes; best first."""
    tally: dict[str, dict[str, float]] = {}
    games = []
    for a, b, choice in votes:
        if a == b:
            continue
        score = {"a": 1.0, "b": 0.0}.get(choice, 0.5)
        games.append((a, b, score))
        for me, mine in ((a, choice), (b, FLIPPED[choice])):
            row = tally.setdefault(me, {"wins": 0, "losses": 0, "ties": 0, "both_bad": 0})
            key = {"a": "wins", "b": "losses", "tie": "ties", "both_bad": "both_bad"}[mine]
            row[key] += 1
    strengths = bradley_terry(games)
    rows = []
    for name, t in tally.items():
        comparisons = int(t["wins"] + t["losses"] + t["ties"] + t["both_bad"])
        points = t["wins"] + 0.5 * (t["ties"] + t["both_bad"])
        low, high = wilson_interval(points, comparisons)
        rows.append(
            {
                "contender": name,
                "bt_rating": round(elo_scale(strengths[name]), 1),
                "win_rate": points / comparisons,
                "win_rate_low": low,
                "win_rate_high": high,
                **{k: int(v) for k, v in t.items()},
                "comparisons": comparisons,
                "too_few": comparisons < min_comparisons,
            }
        )
    import pandas as pd

    frame = pd.DataFrame(rows, columns=LEADERBOARD_COLUMNS)
    return frame.sort_values(["bt_rating", "comparisons"], ascending=[False, False], ignore_index=True)


def _counted(votes: pd.DataFrame, by: By) -> list[dict[str, Any]]:
    """The votes a leaderboard ``by`` counts: two contenders, the other side the same."""
    other = "version" if by == "model" else "model"
    return [
        r
        for r in votes.to_dict("records")
        if r[f"{by}_a"] != r[f"{by}_b"] and r[f"{other}_a"] == r[f"{other}_b"]
    ]


def rank_votes(votes: pd.DataFrame, by: By = "model", min_comparisons: int = MIN_COMPARISONS) -> pd.DataFrame:
    """The leaderboard of models or of prompt versions from ``votes_frame`` rows."""
    return leaderboard_from_votes(
        [(r[f"{by}_a"], r[f"{by}_b"], r["choice"]) for r in _counted(votes, by)], min_comparisons
    )


def vote_sources(votes: pd.DataFrame, by: By = "model") -> dict[str, int]:
    """What the counted votes were about, with how many each, most first: the prompt version
    (models ranked on it), or the prompt and model (versions ranked with it)."""
    found: dict[str, int] = {}
    for r in _counted(votes, by):
        what = (
            r["version_a"] if by == "model" else f"{r['version_a'].rsplit(' · v', 1)[0]} with {r['model_a']}"
        )
        found[what] = found.get(what, 0) + 1
    return dict(sorted(found.items(), key=lambda item: -item[1]))


def leaderboard(
    engine: Engine, project_id: int, by: By = "model", min_comparisons: int = MIN_COMPARISONS
) -> pd.DataFrame:
    """The project's leaderboard of models or of prompt versions (see the module docstring)."""
    return rank_votes(votes_frame(engine, project_id), by, min_comparisons)
