"""Token estimates of the static track, counted offline: cl100k exactly as tiktoken counts it,
the Anthropic tokenizer through litellm.

SPEC: prompt tokens = Σ over messages (tokens of the billable text + 4) + 2, where the billable
text is the content text and each tool call's name and arguments joined by newlines. Output
tokens of a row = Σ (tokens + 4) over the assistant messages that the next row PRESENT in the
trajectory adds after this row's messages (as the published scorer does: in a trajectory with
steps missing that delta spans the missing steps too); the last row present (or the only one)
gets the integer mean of the trajectory's positive estimates, or 500 when there are none.
Prompts are counted with the tokenizer of the tier that is billed; output estimates with the
tokenizer of the row's gold tier (as the published scorer does).

Tokenizers per tier, and where they can differ from the published numbers:

- high: the Anthropic tokenizer bundled with litellm (`claude-opus-4-6` selects it). The
  original ships an Anthropic tokenizer JSON too; litellm's counts agree token for token with
  `tokenizers.Tokenizer.encode` on litellm's file (checked on every distinct text of the real
  dev rows). If the two JSON files differ, high-tier counts drift, and high dominates every cost.
- mid_high: cl100k_base, counted with tiktoken itself (`encode`, the original's call) on the
  copy of the encoding litellm bundles, so no network. Not litellm's `token_counter`: that
  encodes long texts in 1,024-character chunks and adds about one token per chunk boundary.
- mid, low: the original uses the MiniMax-Text-01 and DeepSeek-V3 tokenizers from the model
  hub and falls back to cl100k_base offline. We are always offline, so these are cl100k_base
  (not measured against the hub tokenizers here: large byte-level BPE vocabularies usually
  land within about ±10% of cl100k on English and code, further apart on CJK text). low/mid
  rows cost 2–8% of the same row on high, so this moves COSTSAVE by under a point.
- Special-token text such as `<|endoftext|>` counts as ordinary text here; the original's
  tiktoken call would raise on it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentroute.twin.records import TIERS, Bank, Message, TwinRow, extends, part_texts

TOKENIZER_MODELS: dict[str, str] = {"anthropic": "claude-opus-4-6", "cl100k": "gpt-4"}
"""litellm model names whose token counter selects each tokenizer offline (cl100k is counted with tiktoken)."""

TOKENIZER_SOURCES: dict[str, str] = {
    "anthropic": "litellm claude-opus-4-6",
    "cl100k": "tiktoken",
}
"""What counts each tokenizer, as the report names it."""

TIER_TOKENIZER: tuple[str, ...] = ("cl100k", "cl100k", "cl100k", "anthropic")
"""The tokenizer of each tier, low → high."""

PER_MESSAGE = 4
PRIMING = 2
FALLBACK_OUTPUT = 500


def billable_text(message: Message) -> str:
    """The text a message is billed for: content text, then each tool call's name and arguments."""
    parts: list[str] = []
    if isinstance(message.content, str):
        parts.append(message.content)
    elif message.content:
        parts.extend(text for text in part_texts(message.content) if text)
    for call in message.tool_calls or []:
        parts.append(call.function.name)
        arguments = call.function.arguments
        if isinstance(arguments, dict):
            parts.append(json.dumps(arguments, ensure_ascii=False))
        elif arguments:
            parts.append(arguments)
    return "\n".join(parts)


def cl100k_encoding() -> Any:
    """tiktoken's cl100k_base, loaded offline from the copy litellm bundles.

    Importing litellm's `default_encoding` points tiktoken's cache at litellm's tokenizers folder
    (where cl100k_base.tiktoken is stored under tiktoken's cache key) and loads the encoding; a
    real `tiktoken.Encoding`, so counts are tiktoken's own.
    """
    from agentroute._litellm import load_litellm

    load_litellm()
    from litellm.litellm_core_utils.default_encoding import encoding

    return encoding


class TokenCounter:
    """Counts text offline (cl100k with tiktoken, Anthropic with litellm), remembering every text it has seen."""

    def __init__(self) -> None:
        from agentroute._litellm import load_litellm

        self._litellm: Any = load_litellm()
        self._cl100k: Any = cl100k_encoding()
        self._seen: dict[tuple[str, str], int] = {}

    def text(self, text: str, tokenizer: str) -> int:
        """Tokens of one text."""
        key = (tokenizer, text)
        count = self._seen.get(key)
        if count is None:
            if not text:
                count = 0
            elif tokenizer == "cl100k":
                count = len(self._cl100k.encode(text, disallowed_special=()))
            else:
                count = self._litellm.token_counter(model=TOKENIZER_MODELS[tokenizer], text=text)
            self._seen[key] = count
        return count

    def message(self, message: Message, tokenizer: str) -> int:
        """Tokens of one message, with its per-message overhead."""
        return self.text(billable_text(message), tokenizer) + PER_MESSAGE

    def prompt(self, messages: Sequence[Message], tokenizer: str) -> int:
        """Prompt tokens of a message list."""
        return sum(self.message(message, tokenizer) for message in messages) + PRIMING

    def output(self, current: TwinRow, following: TwinRow, tokenizer: str) -> int:
        """Output tokens of `current`: the assistant messages `following` adds after its prefix."""
        added = following.messages[len(current.messages):]
        return sum(self.message(message, tokenizer) for message in added if message.role == "assistant")


@dataclass(frozen=True, slots=True)
class RowTokens:
    """Token facts of one row that the cost model needs, per tier where tokenizers differ."""

    step: int
    prompt: tuple[int, ...]
    previous_prompt: tuple[int, ...] | None
    extends_previous: bool
    output: int


def count_bank(bank: Bank, counter: TokenCounter | None = None) -> tuple[RowTokens, ...]:
    """Token facts of every row, aligned with `bank.rows`."""
    counter = counter or TokenCounter()
    tokenizers = sorted(set(TIER_TOKENIZER))
    facts: list[RowTokens | None] = [None] * len(bank.rows)
    for trajectory in bank.trajectories:
        rows = [bank.rows[index] for index in trajectory]
        prompts = []
        for row in rows:
            by_tokenizer = {name: counter.prompt(row.messages, name) for name in tokenizers}
            prompts.append(tuple(by_tokenizer[TIER_TOKENIZER[tier]] for tier in range(len(TIERS))))
        outputs = [
            counter.output(row, following, TIER_TOKENIZER[row.gold]) for row, following in zip(rows, rows[1:])
        ]
        positive = [count for count in outputs if count]
        outputs.append(sum(positive) // len(positive) if positive else FALLBACK_OUTPUT)
        for position, index in enumerate(trajectory):
            facts[index] = RowTokens(
                step=rows[position].step_index,
                prompt=prompts[position],
                previous_prompt=prompts[position - 1] if position else None,
                extends_previous=position > 0 and extends(rows[position - 1], rows[position]),
                output=outputs[position],
            )
    return tuple(fact for fact in facts if fact is not None)

