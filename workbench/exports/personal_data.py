"""Personal data in exports: redacted by default for confidential and restricted projects.

A CSV, a workbook or a fine-tuning file leaves the workbench and its data policy behind, so the
answers, values and comments of projects marked confidential or restricted leave with their
personal data replaced by ``[EMAIL_1]``-style placeholders (the detectors and names of
``governance.pii``), one set of placeholders per file. Whoever exports may switch it off; the
file (or its summary) says either way, and so does the audit event.

What a person redacted before sending is stored redacted (``runs.plan.with_messages``), so it
leaves redacted whatever is chosen here. A backup is a copy of the database to restore, and is
never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.exports.key_scrub import Scrubber
from workbench.exports.scope import Selection, prompt_ids_query
from workbench.governance import pii
from workbench.store.engine import session_scope
from workbench.store.tables import Project, Prompt

SENSITIVE_LEVELS = ("confidential", "restricted")


@dataclass(frozen=True)
class PersonalData:
    """The confidential or restricted projects an export covers, and whether it redacts them."""

    projects: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    redact: bool = True

    @property
    def redacted(self) -> tuple[str, ...]:
        return self.projects if self.redact else ()

    def scrubber(self, scrub: Scrubber) -> Scrubber:
        """``scrub`` that also redacts personal data, when this export must."""
        if not self.redacted:
            return scrub
        return replace(scrub, redactor=pii.Redactor(names=self.names))

    def note(self) -> str:
        """What the file's reader should know ("" when no sensitive project is in it)."""
        if not self.projects:
            return ""
        listed = ", ".join(self.projects)
        if self.redact:
            return (
                f"Personal data (e-mail addresses, phone numbers, card numbers, listed names...) is replaced "
                f"by placeholders such as [EMAIL_1]: confidential or restricted projects are included ({listed})."
            )
        return f"Personal data is NOT redacted, as chosen at export, although {listed} is confidential or restricted."

    def counts(self) -> dict[str, list[str]]:
        """For the export's counts and audit event."""
        if not self.projects:
            return {}
        key = "personal_data_redacted" if self.redact else "personal_data_kept"
        return {key: list(self.projects)}


def in_export(engine: Engine, selection: Selection, *, redact: bool = True) -> PersonalData:
    """The sensitive projects within ``selection`` (its prompts' projects)."""
    with session_scope(engine) as session:
        project_ids = select(Prompt.project_id).where(col(Prompt.id).in_(prompt_ids_query(selection)))
        rows = session.exec(
            select(Project)
            .where(col(Project.id).in_(project_ids), col(Project.sensitivity).in_(SENSITIVE_LEVELS))
            .order_by(col(Project.name))
        ).all()
    names = tuple(sorted({n for p in rows for n in (p.pii_names or []) if n}))
    return PersonalData(tuple(p.name for p in rows), names, redact)
