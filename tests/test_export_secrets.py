"""No export carries a key: a sentinel key in the environment (and one only in secrets.toml),
named by an endpoint and leaked into answers, prompts, comments and test cases, is found in no
format, while the variable's *name* is kept."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, update

from tests.library_support import add_evaluation, demo
from workbench.evals import cases
from workbench.exports import backup, csv_xlsx, finetune, promptfoo, prompts_csv
from workbench.exports.key_scrub import REMOVED, scrubber
from workbench.exports.scope import Selection
from workbench.judging import ratings
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.store.tables import Output
from workbench.ui.shell import key_lookup

SENTINEL = "sk-SENTINEL-9f8e7d6c5b4a-do-not-export"
TOML_ONLY = "sk-ant-TOML-ONLY-1234567890"
ENV = "WB_SENTINEL_API_KEY"


def unpacked(data: bytes) -> bytes:
    """Every byte a person would get: zip members (xlsx is a zip too) and gzip contents."""
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return b"\n".join(unpacked(archive.read(name)) for name in archive.namelist())
    return data


def leak_everywhere(engine: Engine) -> None:
    ids = demo(engine)
    add_evaluation(engine, ids.hr)
    endpoints.add_endpoint(engine, actor="t", name="Leaky", provider="openai_compatible",
                           base_url="https://leaky.example/v1", api_key_env=ENV)  # fmt: skip
    with session_scope(engine) as session:
        session.execute(
            update(Output).where(Output.id == 1).values(error_message=f"Incorrect API key: {SENTINEL}")
        )
        session.execute(
            update(Output).where(Output.id == 2).values(text=f"My key is {SENTINEL} and {TOML_ONLY}")
        )
    ratings.rate_output(engine, output_id=2, rater="Ana", value=5, comment=f"leaks {SENTINEL}")
    with session_scope(engine) as session:
        versions.save_version(session, prompt_id=ids.hr, system_template=f"Use {SENTINEL}", user_template="{{ question }}",
                              author="t")  # fmt: skip
        cases.add_case(session, prompt_id=ids.hr, actor="t", variables={"question": f"Is {SENTINEL} valid?"},
                       assertions=[{"type": "contains", "value": SENTINEL}])  # fmt: skip


def toml_only(name: str) -> str | None:
    return TOML_ONLY if name == "ANTHROPIC_API_KEY" else None


def every_export(engine: Engine, lookup: Callable[[str], str | None] = toml_only) -> dict[str, bytes]:
    scrub = scrubber(engine, lookup)
    everything, hr = Selection(), Selection(prompt_ids=(demo(engine).hr,))
    tuned = finetune.export_finetune(
        engine, everything, finetune.FineTuneOptions(min_score=1.0), actor="a", scrub=scrub
    )
    return {
        "csv": csv_xlsx.export_table(engine, everything, "csv", actor="a", scrub=scrub).data,
        "xlsx": csv_xlsx.export_table(engine, everything, "xlsx", actor="a", scrub=scrub).data,
        "backup": backup.export_backup(engine, actor="a", scrub=scrub).data,
        "backup.gz": backup.export_backup(engine, actor="a", scrub=scrub, compress=True).data,
        "train": tuned.train,
        "validation": tuned.validation,
        "finetune.zip": tuned.as_zip().data,
        "promptfoo.yaml": promptfoo.export_promptfoo(engine, hr, actor="a", scrub=scrub).data,
        "promptfoo.zip": promptfoo.export_promptfoo(engine, everything, actor="a", scrub=scrub).data,
        "prompts.csv": prompts_csv.export_prompts(engine, everything, actor="a", scrub=scrub).data,
    }


def test_the_sentinel_key_is_in_no_export(seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, SENTINEL)
    leak_everywhere(seeded_engine)
    for name, data in every_export(seeded_engine).items():
        content = unpacked(data)
        assert content, name
        assert SENTINEL.encode() not in content, f"the key leaked into {name}"
        assert TOML_ONLY.encode() not in content, f"the secrets.toml key leaked into {name}"
    text = unpacked(every_export(seeded_engine)["backup"]).decode()
    assert ENV in text  # the variable's name is configuration, kept
    assert REMOVED in text


def test_a_key_pasted_in_settings_is_in_no_export(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Export page scrubs with the app's own lookup, which knows the keys pasted in Settings
    (kept only in the server's memory)."""
    monkeypatch.delenv(ENV, raising=False)
    key_lookup.remember_key(ENV, SENTINEL)
    try:
        leak_everywhere(seeded_engine)
        for name, data in every_export(seeded_engine, key_lookup.lookup_key).items():
            assert SENTINEL.encode() not in unpacked(data), f"the pasted key leaked into {name}"
    finally:
        key_lookup.forget_key(ENV)


def test_short_values_and_unrelated_variables_are_not_scrubbed(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHORT_TOKEN", "abc")
    monkeypatch.setenv("HOME_DIRECTORY", "/home/someone-long")
    scrub = scrubber(seeded_engine)
    assert scrub("abc /home/someone-long") == "abc /home/someone-long"
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-1234567890")
    assert scrubber(seeded_engine)("x tok-1234567890 y") == f"x {REMOVED} y"


def test_every_providers_default_key_variable_is_known() -> None:
    from workbench.exports.key_scrub import DEFAULT_KEY_ENVS
    from workbench.models.providers.registry import PROVIDERS

    defaults = {cls.default_key_env for cls in PROVIDERS.values() if cls.default_key_env}
    assert defaults <= set(DEFAULT_KEY_ENVS)
