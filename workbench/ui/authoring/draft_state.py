"""The draft being edited: its texts, example values and where it came from, in session state.

Widget values vanish from session state when their page is not shown, so each editor widget is
bound to a plain "store" key that survives page switches (Draft -> Versions -> Draft keeps the
unsaved text). Loading a version, a gallery item, a builder result or an accepted rewrite sets
the store and drops the widget keys, so the widgets come back with the new content.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import streamlit as st

from workbench.documents.context import settings_of, with_settings
from workbench.models.settings import CallSettings
from workbench.store.tables import PromptVersion
from workbench.ui.shell import state, typing_commit

SYSTEM = "draft_system"
USER = "draft_user"
VALUES = "draft_values"
NOTE = "draft_note"
NAME = "draft_new_name"
PARAMS = "draft_params"
ORIGIN = "draft_origin"
FLASH = "draft_flash"
PROPOSAL = "draft_proposal"  # an improver rewrite waiting for accept / edit / discard
VAR_PREFIX = "w_var_"
NEW = -1  # the prompt picker's "new prompt" option


@dataclass(frozen=True)
class Origin:
    """Which prompt the draft belongs to (None: a new prompt) and the version it started from."""

    prompt_id: int | None = None
    version_id: int | None = None
    version_number: int | None = None
    system: str = ""
    user: str = ""
    values: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=lambda: CallSettings().to_dict())

    @classmethod
    def of(cls, version: PromptVersion) -> Origin:
        return cls(
            prompt_id=version.prompt_id,
            version_id=version.id,
            version_number=version.number,
            system=version.system_template,
            user=version.user_template,
            values={k: str(v) for k, v in (version.sample_variables or {}).items()},
            params=CallSettings.from_dict(version.params).to_dict(),
        )


def origin() -> Origin:
    raw = st.session_state.get(ORIGIN)
    return Origin(**raw) if raw is not None else Origin()


def origin_data() -> dict[str, Any]:
    """The origin as plain data (what a kept draft stores)."""
    return dict(st.session_state.get(ORIGIN) or asdict(Origin()))


def is_loaded() -> bool:
    return ORIGIN in st.session_state


def _widget_key(store_key: str) -> str:
    return f"w_{store_key}"


def load(
    system: str,
    user: str,
    values: Mapping[str, Any] | None = None,
    *,
    origin: Origin,
    name: str = "",
    note: str = "",
    params: Mapping[str, Any] | None = None,
) -> None:
    """Replace the draft (call before widgets render, or follow with ``st.rerun()``)."""
    st.session_state[SYSTEM] = system
    st.session_state[USER] = user
    st.session_state[VALUES] = {k: str(v) for k, v in (values or {}).items()}
    st.session_state[NOTE] = note
    st.session_state[NAME] = name
    st.session_state[PARAMS] = stored_params(params)
    st.session_state[ORIGIN] = asdict(origin)
    st.session_state.pop(PROPOSAL, None)  # a rewrite belongs to the draft it was made for
    for key in list(st.session_state.keys()):
        if str(key).startswith(("w_draft_", VAR_PREFIX)):
            del st.session_state[key]
    if origin.prompt_id is not None:
        state.set_active_prompt(origin.prompt_id)


def load_version(version: PromptVersion, note: str = "") -> None:
    load(
        version.system_template,
        version.user_template,
        version.sample_variables,
        origin=Origin.of(version),
        note=note,
        params=version.params,
    )


def replace_texts(system: str, user: str, note: str) -> None:
    """New texts for the same draft: same prompt, same base version, same values and name."""
    load(system, user, values(), origin=origin(), name=text(NAME), note=note, params=params())


def text(store_key: str) -> str:
    return str(st.session_state.get(store_key, ""))


def bound(widget: Any, label: str, store_key: str, **kwargs: Any) -> str:
    """Render ``widget`` (st.text_area / st.text_input) bound to a persistent store key."""
    key = _widget_key(store_key)
    if key not in st.session_state:
        st.session_state[key] = text(store_key)
    value = widget(label, key=key, **kwargs)
    st.session_state[store_key] = value
    return str(value or "")


def keep_while_typing() -> None:
    """The draft's boxes reach the server (and so the private draft) when typing pauses, so a
    reload with the cursor still in a box does not lose what was typed."""
    typing_commit.commit_while_typing(
        [_widget_key(k) for k in (SYSTEM, USER, NAME, NOTE)], key_prefixes=[VAR_PREFIX]
    )


def values() -> dict[str, str]:
    return dict(st.session_state.get(VALUES) or {})


def variable_input(name: str, **kwargs: Any) -> str:
    """A text box for one variable; its value is kept in the draft's values."""
    key = f"{VAR_PREFIX}{name}"
    if key not in st.session_state:
        st.session_state[key] = values().get(name, "")
    value = str(st.text_input(name, key=key, **kwargs) or "")
    stored = values()
    stored[name] = value
    st.session_state[VALUES] = stored
    return value


def forget_values(names: list[str]) -> None:
    st.session_state[VALUES] = {k: v for k, v in values().items() if k not in names}


def stored_params(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Call settings as ``CallSettings`` stores them, plus the retrieval settings, if any."""
    return with_settings(CallSettings.from_dict(raw).to_dict(), settings_of(raw))


def params() -> dict[str, Any]:
    """The call settings (and retrieval settings) saved with the draft's next version."""
    return stored_params(st.session_state.get(PARAMS))


def has_retrieval() -> bool:
    return settings_of(st.session_state.get(PARAMS)) is not None


def set_params(values: Mapping[str, Any]) -> None:
    st.session_state[PARAMS] = stored_params(values)


def flash(message: str) -> None:
    """A message shown once, after the rerun that follows an action."""
    st.session_state[FLASH] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")
