"""Migration 0006_releases: every label and label move of an older database becomes a release with
no model ("the caller chooses") and its version's own settings; nothing is lost, moves keep the
kind the history showed, and ``get_prompt`` answers as it did."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from workbench.prompts import label_history, releases, versions
from workbench.store.engine import make_engine, migrate, session_scope

BEFORE = "0003_model_call"
PARAMS = {1: {"temperature": 0.7, "max_tokens": 300}, 2: {"temperature": 0.3, "max_tokens": 300}, 3: {}}


def _fill_older_database(engine: sa.Engine) -> dict[str, int]:
    """A prompt with three versions; production set to v1, moved to v3, rolled back to v2;
    staging set to v3. Written with the schema as it was before releases."""
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    at = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        ids["project"] = conn.execute(
            t["project"].insert().values(
                name="Shop", description="", persona="", want="", so_that="", purpose="", people="",
                process="", platform="", performance="", success_criteria=[], sensitivity="internal",
                allowed_providers=[], tags=[], pii_names=[], created_at=at, updated_at=at,
            )
        ).inserted_primary_key[0]  # fmt: skip
        ids["prompt"] = conn.execute(
            t["prompt"]
            .insert()
            .values(
                project_id=ids["project"],
                name="Order update",
                description="",
                created_by="ann",
                created_at=at,
                archived=False,
            )
        ).inserted_primary_key[0]
        for number in (1, 2, 3):
            ids[f"v{number}"] = conn.execute(
                t["prompt_version"].insert().values(
                    prompt_id=ids["prompt"], number=number, system_template="Be kind.",
                    user_template=f"Answer {number} about {{{{ order_id }}}}", params=PARAMS[number],
                    sample_variables={}, change_note=f"v{number}", author="ann", parent_id=None, created_at=at,
                )
            ).inserted_primary_key[0]  # fmt: skip
        for name, version in (("production", "v2"), ("staging", "v3")):
            ids[name] = conn.execute(
                t["label"]
                .insert()
                .values(
                    prompt_id=ids["prompt"],
                    name=name,
                    version_id=ids[version],
                    updated_by="bob",
                    updated_at=at,
                )
            ).inserted_primary_key[0]
        moves = [
            ("production", None, "v1"),
            ("production", "v1", "v3"),
            ("production", "v3", "v2"),
            ("staging", None, "v3"),
        ]
        for step, (label, before, after) in enumerate(moves):
            conn.execute(
                t["label_move"].insert().values(
                    label_id=ids[label], from_version_id=ids[before] if before else None, to_version_id=ids[after],
                    moved_by="bob", moved_at=at + timedelta(minutes=step), note=f"step {step}",
                )
            )  # fmt: skip
    return ids


def test_labels_and_moves_become_releases_with_no_model(storage_url: str) -> None:
    engine = make_engine(storage_url)
    migrate(engine, BEFORE)
    ids = _fill_older_database(engine)
    migrate(engine)

    with engine.connect() as conn:
        release_rows = {r.id: r for r in conn.execute(sa.text("SELECT * FROM release"))}
        labels = {r.name: r for r in conn.execute(sa.text("SELECT * FROM label"))}
        moves = list(conn.execute(sa.text("SELECT * FROM label_move ORDER BY id")))
    by_version = {r.version_id: r for r in release_rows.values()}
    assert sorted(by_version) == sorted(ids[f"v{n}"] for n in (1, 2, 3))  # one per version used
    for number in (1, 2, 3):
        release = by_version[ids[f"v{number}"]]
        settings = release.settings if isinstance(release.settings, dict) else json.loads(release.settings)
        assert (release.endpoint_name, release.model_name, settings) == (None, None, PARAMS[number])
        assert release.fingerprint == releases.fingerprint(ids[f"v{number}"], None, None, PARAMS[number])
        assert release.prompt_id == ids["prompt"] and release.created_by == "migration"
    assert labels["production"].release_id == by_version[ids["v2"]].id
    assert labels["staging"].release_id == by_version[ids["v3"]].id
    assert [(m.kind, m.note) for m in moves] == [
        ("set", "step 0"),
        ("move", "step 1"),
        ("rollback", "step 2"),
        ("set", "step 3"),
    ]
    assert [release_rows[m.to_release_id].version_id for m in moves] == [
        ids[v] for v in ("v1", "v3", "v2", "v3")
    ]
    assert [m.from_release_id and release_rows[m.from_release_id].version_id for m in moves] == [
        None,
        ids["v1"],
        ids["v3"],
        None,
    ]

    found = releases.resolve_release(engine, "Order update", label="production")
    assert (found.version, found.params, found.model, found.release_id) == (
        2,
        PARAMS[2],
        None,
        labels["production"].release_id,
    )
    states = {s.name: s for s in label_history.label_states(engine, ids["prompt"])}
    assert (states["production"].model, states["production"].settings) == (
        "the caller chooses",
        "temperature 0.3 · max 300 tokens",
    )
    assert [m.kind for m in label_history.label_moves(engine, ids["prompt"])] == [
        "set",
        "rolled back",
        "moved",
        "set",
    ]

    with session_scope(engine) as session:  # pointing at v2 as it was finds the migrated release
        label = versions.set_label(session, version_id=ids["v2"], name="canary", actor="ann")
    assert label.release_id == labels["production"].release_id
    engine.dispose()
