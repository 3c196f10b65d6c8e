"""Any server speaking OpenAI's chat-completions API: Ollama, vLLM, LM Studio, OpenRouter..."""

from __future__ import annotations

from typing import ClassVar

from workbench.models.providers.interface import EndpointConfig
from workbench.models.providers.openai_provider import OpenAIProvider


class OpenAICompatibleProvider(OpenAIProvider):
    name = "openai_compatible"
    label = "OpenAI-compatible (Ollama, vLLM, LM Studio, OpenRouter...)"
    # Local servers usually need no key; when api_key_env is set, the key is required.
    needs_key = False
    default_key_env = None
    default_base_url = "http://localhost:11434/v1"
    base_url_editable = True
    base_url_hint = "OpenAI-compatible servers usually end in /v1, e.g. http://localhost:11434/v1"
    fallback_models: ClassVar[tuple[str, ...]] = ("llama3.1", "qwen2.5", "mistral")
    max_tokens_param: ClassVar[str] = "max_tokens"

    @classmethod
    def requires_key(cls, config: EndpointConfig) -> bool:
        # An endpoint that names a key variable requires that key to be set.
        return bool(config.api_key_env)
