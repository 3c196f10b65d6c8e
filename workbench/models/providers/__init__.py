"""Model providers behind one interface; see ``interface.py`` and ``registry.py``."""

from workbench.models.providers.interface import ChatRequest, Completion, EndpointConfig, Provider, TextDelta
from workbench.models.providers.registry import PROVIDERS, build_provider, is_configured, provider_class

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
