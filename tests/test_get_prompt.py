"""The Python API for applications: get_prompt(name, label) -> templates, params, number, render."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench
from workbench.errors import InvalidInput, NotFound, TemplateError
from workbench.prompts import label_history, versions
from workbench.store.engine import open_database, session_scope


def test_get_prompt_returns_the_labelled_version_with_params(seeded_db: Path) -> None:
    url = f"sqlite:///{seeded_db}"
    release = workbench.get_prompt("Late order reply", label="production", database_url=url)
    assert (release.name, release.version, release.label) == ("Late order reply", 2, "production")
    assert release.params == {"temperature": 0.3, "max_tokens": 300}
    assert release.system_template.startswith("You are a courteous")
    assert release.variables == ["order_id", "order_date", "status", "expected_delivery"]
    messages = release.render(order_id="9", order_date="June 2", status="shipped", expected_delivery="June 9")
    assert [m["role"] for m in messages] == ["system", "user"] and "#9, placed on June 2" in messages[1][
        "content"
    ]


def test_get_prompt_follows_a_rollback(seeded_db: Path) -> None:
    url = f"sqlite:///{seeded_db}"
    engine = open_database(url)
    prompt = workbench.get_prompt("Late order reply", database_url=url)
    v1 = workbench.get_prompt("Late order reply", version=1, database_url=url)
    with session_scope(engine) as session:
        label_history.roll_back(
            session, prompt_id=_prompt_id(engine), name="production", to_version_id=v1.version_id, actor="ops"
        )
    assert prompt.version == 2
    assert workbench.get_prompt("Late order reply", database_url=url).version == 1
    engine.dispose()


def _prompt_id(engine) -> int:  # type: ignore[no-untyped-def]
    return next(p.id for p in versions.list_prompts(engine) if p.name == "Late order reply")  # type: ignore[misc]


def test_unknown_names_labels_and_versions_raise_clear_errors(seeded_db: Path) -> None:
    url = f"sqlite:///{seeded_db}"
    with pytest.raises(NotFound, match="No prompt named 'Nope'"):
        workbench.get_prompt("Nope", database_url=url)
    with pytest.raises(NotFound, match=r"no label 'gold' \(labels: production, staging\)"):
        workbench.get_prompt("Late order reply", label="gold", database_url=url)
    with pytest.raises(NotFound, match="has no version 9"):
        workbench.get_prompt("Late order reply", version=9, database_url=url)
    with pytest.raises(InvalidInput, match="Give a label or a version"):
        workbench.get_prompt("Late order reply", label=None, database_url=url)
    with pytest.raises(TemplateError, match="'order_id' has no value"):
        workbench.get_prompt("Late order reply", database_url=url).render(order_date="x")
