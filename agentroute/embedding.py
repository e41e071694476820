"""A deterministic, offline text embedder: hashed word unigrams and bigrams (numpy only).

Each text is lower-cased and split into words (`\\w+`); every unigram and bigram is hashed with
blake2b into one of `dim` buckets with a sign (+1/−1) from another hash bit, counts are summed
into the buckets, and the vector is L2-normalised (an empty text stays all zeros). The same text
gives the same vector in every process and on every machine; nothing is downloaded.

Use `embed(texts)` for a numpy matrix, or `HashingEmbeddingFunction` wherever Chroma wants an
embedding function (Chroma's own default downloads a model and fails offline)::

    collection = client.get_or_create_collection("memory", embedding_function=HashingEmbeddingFunction())

The class implements the methods Chroma 1.x calls on an embedding function without importing
chromadb: `__call__`, `embed_query`, `name`, `get_config`, `build_from_config`, `validate_config`,
`is_legacy`, `default_space` and `supported_spaces`.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from hashlib import blake2b
from typing import Any

import numpy as np

DEFAULT_DIM = 512
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1 << 20)
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    digest = int.from_bytes(blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
    return digest % dim, (1.0 if digest >> 63 == 0 else -1.0)


def _vector(text: str, dim: int) -> np.ndarray:
    words = _WORD.findall(text.lower())
    features = Counter(words)
    features.update(f"{first} {second}" for first, second in zip(words, words[1:]))
    vector = np.zeros(dim, dtype=np.float32)
    if not features:
        return vector
    buckets = [_bucket(feature, dim) for feature in features]
    index = np.fromiter((bucket for bucket, _ in buckets), dtype=np.int64, count=len(buckets))
    weight = np.fromiter(
        (sign * count for (_, sign), count in zip(buckets, features.values())), dtype=np.float64, count=len(buckets)
    )
    vector = np.bincount(index, weights=weight, minlength=dim).astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def embed(texts: list[str], dim: int = DEFAULT_DIM) -> np.ndarray:
    """Embed texts as a (len(texts), dim) float32 matrix of unit (or zero) rows."""
    if dim < 1:
        raise ValueError(f"embedding dim must be at least 1, got {dim}")
    matrix = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        matrix[row] = _vector(text, dim)
    return matrix


class HashingEmbeddingFunction:
    """`embed` as a Chroma embedding function (cosine space by default)."""

    def __init__(self, dim: int = DEFAULT_DIM) -> None:
        self.validate_config({"dim": dim})
        self.dim = dim

    def __call__(self, input: list[str]) -> list[list[float]]:  # noqa: A002 - Chroma's parameter name
        """Embed documents."""
        return embed(list(input), self.dim).tolist()

    def embed_query(self, input: list[str]) -> list[list[float]]:  # noqa: A002 - Chroma's parameter name
        """Embed queries (the same way as documents)."""
        return self(input)

    @staticmethod
    def name() -> str:
        """The name Chroma stores in a collection's configuration."""
        return "agentroute-hashing"

    def get_config(self) -> dict[str, Any]:
        """What Chroma persists to rebuild this function."""
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbeddingFunction:
        """Rebuild from `get_config()`."""
        HashingEmbeddingFunction.validate_config(config)
        return HashingEmbeddingFunction(dim=config["dim"])

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        """Reject a config this function cannot be built from."""
        dim = config.get("dim")
        if set(config) != {"dim"} or isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(f"expected config {{'dim': positive int}}, got {config!r}")

    def is_legacy(self) -> bool:
        """Not a legacy (config-less) embedding function."""
        return False

    def default_space(self) -> str:
        """Vectors are unit length, so cosine distance."""
        return "cosine"

    def supported_spaces(self) -> list[str]:
        """Distance spaces that make sense for these vectors."""
        return ["cosine", "l2", "ip"]
