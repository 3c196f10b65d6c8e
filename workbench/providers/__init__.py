"""Model providers behind one interface; see ``base.py`` and ``registry.py``."""

from workbench.providers.base import ChatRequest, Completion, EndpointConfig, Provider, TextDelta
from workbench.providers.registry import PROVIDERS, build_provider, is_configured, provider_class

__all__ = [
    "PROVIDERS",
    "ChatRequest",
    "Completion",
    "EndpointConfig",
    "Provider",
    "TextDelta",
    "build_provider",
    "is_configured",
    "provider_class",
]
