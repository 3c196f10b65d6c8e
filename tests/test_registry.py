"""The provider registry: every kind resolves to its class, and no SDK is imported until a
provider of its kind is used (so ``workbench eval`` does not pay for SDKs it never calls)."""

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


def test_sdks_are_imported_only_when_their_provider_is_used() -> None:
    script = (
        "import sys\n"
        "import workbench.cli.entry, workbench.runs.runner, workbench.evals.matrix, workbench.models.catalog\n"
        "from workbench.models.providers.registry import provider_class\n"
        "assert not {'openai', 'anthropic'} & set(sys.modules), 'SDK imported up front'\n"
        "provider_class('echo')\n"
        "assert not {'openai', 'anthropic'} & set(sys.modules), 'SDK imported for echo'\n"
        "provider_class('openai_compatible')\n"
        "assert 'openai' in sys.modules and 'anthropic' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
