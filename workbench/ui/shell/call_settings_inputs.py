"""The inputs for a model call's settings, shared by Draft, Compare and Evaluate.

Every input takes its range, step, label and help from ``workbench.models.settings.RANGES``, so
a slider can never offer a value the core refuses; the temperature's top is the provider's own
(Anthropic's models accept 0 to 1). Temperature, top p and seed may be left empty: the model's
own default then applies and nothing is sent for them.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench.models.providers.interface import Provider
from workbench.models.settings import RANGES, RESPONSE_FORMATS, CallSettings

RESPONSE_FORMAT_LABELS = {"text": "Text", "json": "A JSON object"}


def _number(name: str, value: float | None, key: str, *, high: float | None = None) -> float | None:
    spec = RANGES[name]
    integer = name in ("max_tokens", "seed")
    top = high if high is not None else spec.high
    shown = None if value is None else min(value, top)
    # Streamlit types ints and floats, a value and none, as separate overloads; which one applies
    # is known only here, at run time.
    bounds: dict[str, Any] = (
        {
            "min_value": int(spec.low),
            "max_value": int(top),
            "value": int(shown) if shown is not None else None,
            "step": int(spec.step),
        }
        if integer
        else {"min_value": spec.low, "max_value": top, "value": shown, "step": spec.step}
    )
    return st.number_input(
        spec.label,
        **bounds,
        placeholder="model default" if name != "max_tokens" else None,
        help=spec.help,
        key=key,
    )


def call_settings_inputs(
    defaults: CallSettings,
    key: str,
    *,
    provider: type[Provider] | None = None,
    more: str = "expander",
) -> CallSettings:
    """Temperature and max tokens in view, the rest under "More settings" (an ``expander`` or a
    ``popover``); returns the settings as entered (``system_override`` is kept from ``defaults``)."""
    high = provider.max_temperature if provider is not None else None
    temperature = _number("temperature", defaults.temperature, f"{key}_temperature", high=high)
    max_tokens = _number("max_tokens", defaults.max_tokens, f"{key}_max_tokens")
    box = (
        st.popover("More settings", icon=":material/tune:", width="stretch")
        if more == "popover"
        else st.expander("More settings", icon=":material/tune:")
    )
    with box:
        top_p = _number("top_p", defaults.top_p, f"{key}_top_p")
        seed = _number("seed", defaults.seed, f"{key}_seed")
        stop = st.text_input(
            "Stop sequences",
            value=" | ".join(defaults.stop),
            help="The model stops writing when it writes one of these. Separate several with ' | '.",
            key=f"{key}_stop",
        )
        response_format = st.radio(
            "Answer format",
            RESPONSE_FORMATS,
            index=RESPONSE_FORMATS.index(defaults.response_format),
            format_func=RESPONSE_FORMAT_LABELS.__getitem__,
            horizontal=True,
            help="'A JSON object' switches on the provider's JSON mode where it has one.",
            key=f"{key}_format",
        )
    return _entered(defaults, temperature, top_p, max_tokens, seed, stop, response_format)


def _entered(
    defaults: CallSettings,
    temperature: float | None,
    top_p: float | None,
    max_tokens: float | None,
    seed: float | None,
    stop: str,
    response_format: str,
) -> CallSettings:
    return CallSettings.from_dict(
        {
            "temperature": temperature,
            "top_p": top_p,
            "max_tokens": max_tokens or defaults.max_tokens,
            "seed": seed,
            "stop": [s.strip() for s in stop.split("|") if s.strip()],
            "response_format": response_format,
            "system_override": defaults.system_override,
        }
    )


def settings_in_state(defaults: CallSettings, key: str) -> CallSettings:
    """What ``call_settings_inputs(defaults, key)`` holds now, read from session state: for a
    button's callback, which runs before the inputs are drawn again. An input not drawn yet
    counts as its default."""

    def value(name: str, default: Any) -> Any:
        return st.session_state.get(f"{key}_{name}", default)

    return _entered(
        defaults,
        value("temperature", defaults.temperature),
        value("top_p", defaults.top_p),
        value("max_tokens", defaults.max_tokens),
        value("seed", defaults.seed),
        value("stop", " | ".join(defaults.stop)),
        value("format", defaults.response_format),
    )
