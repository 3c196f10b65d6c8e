"""The provider registry: every kind resolves to its class; a provider's metadata is read
without its SDK, and the SDK is imported only when a client of that kind is first built (so
``workbench eval``, the sidebar and Settings do not pay for SDKs they never call)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from workbench.errors import ConfigError
from workbench.models.providers.registry import PROVIDERS, provider_class


def test_every_kind_resolves_to_the_class_of_that_name() -> None:
    assert sorted(PROVIDERS) == ["anthropic", "echo", "openai", "openai_compatible"]
    for kind in PROVIDERS:
        assert provider_class(kind).name == kind


def test_an_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="Known providers: anthropic, echo, openai, openai_compatible"):
        provider_class("nope")


def test_sdks_are_imported_only_when_a_client_is_built() -> None:
    script = (
        "import sys\n"
        "import workbench.cli.entry, workbench.runs.runner, workbench.evals.matrix, workbench.models.catalog\n"
        "from workbench.models.providers.interface import EndpointConfig\n"
        "from workbench.models.providers.registry import PROVIDERS, build_provider, is_configured\n"
        "assert not {'openai', 'anthropic', 'httpx2'} & set(sys.modules), 'SDK imported up front'\n"
        "for kind in PROVIDERS:\n"
        "    cls = PROVIDERS[kind]\n"
        "    assert cls.label and (cls.default_key_env or not cls.needs_key)\n"
        "    is_configured(EndpointConfig(name=kind, provider=kind), lambda name: 'k')\n"
        "assert not {'openai', 'anthropic', 'httpx2'} & set(sys.modules), 'SDK imported for metadata'\n"
        "provider = build_provider(EndpointConfig(name='c', provider='openai_compatible'), lambda n: None)\n"
        "assert 'openai' not in sys.modules, 'SDK imported before a client was needed'\n"
        "provider._client()\n"
        "assert 'openai' in sys.modules and 'anthropic' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
