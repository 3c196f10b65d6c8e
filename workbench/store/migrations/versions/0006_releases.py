"""releases (a version with its model and settings, pointed at by labels) and answers served in use

Revision ID: 0006_releases
Revises: 0005_optimization
Create Date: 2026-12-10 10:00:00

Until now a label pointed at a prompt version only. A label now points at a release: a version,
the model it runs on (none: the caller chooses) and the call settings. Every existing label and
label move becomes a release with no model and the version's own saved settings, so nothing is
lost and ``get_prompt`` answers exactly as before; the moves are given their kind (set, move,
rollback) the way the Versions page used to work it out (a move to an older version was a
rollback). ``served_answer`` is new: the answers applications report back.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_releases"
down_revision: str | None = "0005_optimization"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fingerprint(version_id: int, settings: dict[str, Any]) -> str:
    """The release identity of ``workbench.prompts.releases.fingerprint`` for a release with no
    model, frozen here as it was when this migration was written (migrations never import the
    code they migrate for)."""
    raw = json.dumps(
        [version_id, None, None, settings],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _create_release_table() -> None:
    op.create_table(
        "release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("model_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["prompt_id"], ["prompt.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["prompt_version.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prompt_id", "fingerprint", name="uq_release_prompt_fingerprint"),
    )
    with op.batch_alter_table("release") as batch:
        batch.create_index(batch.f("ix_release_prompt_id"), ["prompt_id"], unique=False)
        batch.create_index(batch.f("ix_release_version_id"), ["version_id"], unique=False)


def _migrate_labels_to_releases() -> None:
    """One release with no model per version a label or a move points at, then the labels'
    and moves' release columns and the moves' kinds."""
    bind = op.get_bind()
    meta = sa.MetaData()
    version = sa.Table("prompt_version", meta, autoload_with=bind)
    label = sa.Table("label", meta, autoload_with=bind)
    move = sa.Table("label_move", meta, autoload_with=bind)
    release = sa.Table("release", meta, autoload_with=bind)

    used: set[int] = set(bind.execute(sa.select(label.c.version_id)).scalars())
    for ends in bind.execute(sa.select(move.c.from_version_id, move.c.to_version_id)):
        used.update(v for v in ends if v is not None)
    release_of: dict[int, int] = {}
    number_of: dict[int, int] = {}
    now = datetime.now(UTC)
    for version_id in sorted(used):
        row = bind.execute(
            sa.select(version.c.prompt_id, version.c.number, version.c.params).where(
                version.c.id == version_id
            )
        ).one()
        settings = dict(row.params) if isinstance(row.params, dict) else {}
        inserted = bind.execute(
            release.insert().values(
                prompt_id=row.prompt_id,
                version_id=version_id,
                endpoint_name=None,
                model_name=None,
                settings=settings,
                fingerprint=_fingerprint(version_id, settings),
                created_by="migration",
                created_at=now,
            )
        )
        key = inserted.inserted_primary_key
        assert key is not None, "an INSERT of one row returns its primary key"
        release_of[version_id] = key[0]
        number_of[version_id] = row.number

    for label_row in bind.execute(sa.select(label.c.id, label.c.version_id)).all():
        bind.execute(
            label.update()
            .where(label.c.id == label_row.id)
            .values(release_id=release_of[label_row.version_id])
        )
    for move_row in bind.execute(sa.select(move.c.id, move.c.from_version_id, move.c.to_version_id)).all():
        before = move_row.from_version_id
        if before is None:
            kind = "set"
        elif number_of[move_row.to_version_id] < number_of[before]:
            kind = "rollback"
        else:
            kind = "move"
        bind.execute(
            move.update()
            .where(move.c.id == move_row.id)
            .values(
                to_release_id=release_of[move_row.to_version_id],
                from_release_id=release_of[before] if before is not None else None,
                kind=kind,
            )
        )


def _create_served_answer_table() -> None:
    op.create_table(
        "served_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("endpoint_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("model_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("error_kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("error_message", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("tokens_in", sa.Integer(), nullable=True),
        sa.Column("tokens_out", sa.Integer(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("personal_data", sa.JSON(), nullable=False),
        sa.Column("redacted", sa.Boolean(), nullable=False),
        sa.Column("served_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("thumbs", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("feedback_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("output_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["output_id"], ["output.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["prompt_id"], ["prompt.id"]),
        sa.ForeignKeyConstraint(["release_id"], ["release.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["prompt_version.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("served_answer") as batch:
        batch.create_index("ix_served_answer_prompt_time", ["prompt_id", "served_at"], unique=False)
        batch.create_index("ix_served_answer_release_time", ["release_id", "served_at"], unique=False)
        batch.create_index(batch.f("ix_served_answer_project_id"), ["project_id"], unique=False)
        batch.create_index(batch.f("ix_served_answer_uid"), ["uid"], unique=True)
        batch.create_index(batch.f("ix_served_answer_version_id"), ["version_id"], unique=False)


def upgrade() -> None:
    _create_release_table()
    with op.batch_alter_table("label") as batch:
        batch.add_column(sa.Column("release_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("label_move") as batch:
        batch.add_column(sa.Column("from_release_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("to_release_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))

    _migrate_labels_to_releases()

    with op.batch_alter_table("label") as batch:
        batch.alter_column("release_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key("fk_label_release_id_release", "release", ["release_id"], ["id"])
        batch.create_index(batch.f("ix_label_release_id"), ["release_id"], unique=False)
    with op.batch_alter_table("label_move") as batch:
        batch.alter_column("to_release_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("kind", existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False)
        batch.create_foreign_key(
            "fk_label_move_from_release_id_release", "release", ["from_release_id"], ["id"]
        )
        batch.create_foreign_key("fk_label_move_to_release_id_release", "release", ["to_release_id"], ["id"])
    _create_served_answer_table()


def downgrade() -> None:
    op.drop_table("served_answer")
    with op.batch_alter_table("label_move") as batch:
        batch.drop_constraint("fk_label_move_to_release_id_release", type_="foreignkey")
        batch.drop_constraint("fk_label_move_from_release_id_release", type_="foreignkey")
        batch.drop_column("kind")
        batch.drop_column("to_release_id")
        batch.drop_column("from_release_id")
    with op.batch_alter_table("label") as batch:
        batch.drop_index(batch.f("ix_label_release_id"))
        batch.drop_constraint("fk_label_release_id_release", type_="foreignkey")
        batch.drop_column("release_id")
    op.drop_table("release")
