"""The offline Echo model: answers with the rendered prompt, so templates can be checked for free.

It streams word by word like a real model and reports token counts from the same rough
tokenizer the fake server uses, so every figure in the grid is populated.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import ClassVar

from workbench.models.providers.interface import ChatRequest, Completion, Provider, StreamEvent, TextDelta


def rough_tokens(text: str) -> int:
    return max(1, len(re.findall(r"\w+|[^\w\s]", text)))


def echo_text(request: ChatRequest) -> str:
    blocks = [f"[{m['role']}]\n{m['content']}" for m in request.messages]
    return "\n\n".join(blocks)


class EchoProvider(Provider):
    name = "echo"
    label = "Echo (offline)"
    needs_key = False
    fallback_models: ClassVar[tuple[str, ...]] = ("echo",)
    supports_seed = True  # Echo ignores sampling: any setting is fine
    supports_json_mode = True
    # A short pause between words makes streaming visible without slowing tests noticeably.
    word_delay_s: ClassVar[float] = 0.002

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        text = echo_text(request)
        words = re.findall(r"\S+\s*|\s+", text)
        budget = request.settings.max_tokens
        emitted: list[str] = []
        finish = "stop"
        for word in words:
            if rough_tokens("".join([*emitted, word])) > budget:
                finish = "length"
                break
            emitted.append(word)
            yield TextDelta(word)
            await asyncio.sleep(self.word_delay_s)
        out = "".join(emitted)
        yield Completion(
            text=out,
            tokens_in=sum(rough_tokens(m["content"]) for m in request.messages),
            tokens_out=rough_tokens(out) if out else 0,
            finish_reason=finish,
            model="echo",
        )

    async def list_models(self) -> list[str]:
        return ["echo"]
