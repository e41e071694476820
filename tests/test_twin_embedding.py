"""The offline hashing embedder, alone and as a Chroma embedding function."""

from __future__ import annotations

import subprocess
import sys
from hashlib import blake2b

import numpy as np
import pytest

from agentroute.embedding import DEFAULT_DIM, HashingEmbeddingFunction, embed


def test_a_single_word_lands_in_its_hashed_bucket():
    digest = int.from_bytes(blake2b(b"parser", digest_size=8).digest(), "little")
    vector = embed(["Parser"], dim=64)[0]  # lower-cased first
    expected = np.zeros(64, dtype=np.float32)
    expected[digest % 64] = 1.0 if digest >> 63 == 0 else -1.0
    assert np.array_equal(vector, expected)


def test_unigrams_and_bigrams_are_counted_then_normalised():
    dim = 4096
    words = ["fix", "the", "fix"]
    features = {"fix": 2, "the": 1, "fix the": 1, "the fix": 1}
    expected = np.zeros(dim)
    for feature, count in features.items():
        digest = int.from_bytes(blake2b(feature.encode(), digest_size=8).digest(), "little")
        expected[digest % dim] += count * (1.0 if digest >> 63 == 0 else -1.0)
    expected /= np.linalg.norm(expected)
    assert np.allclose(embed([" ".join(words)], dim=dim)[0], expected, atol=1e-6)


def test_shape_norm_empty_and_determinism_across_processes():
    vectors = embed(["fix the parser bug", "", "summarise the meeting"])
    assert vectors.shape == (3, DEFAULT_DIM) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-6)
    assert not vectors[1].any()
    code = "from agentroute.embedding import embed; print(embed(['fix the parser bug'])[0][:8].tolist())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123", "PATH": ""})
    assert other.stdout.strip() == str(vectors[0][:8].tolist())


def test_similar_texts_are_closer_than_unrelated_ones():
    first, near, far = embed(["fix the failing parser test", "fix the failing parser tests now", "weekly meeting summary"])
    assert float(first @ near) > float(first @ far)


def test_bad_dimensions_are_rejected():
    with pytest.raises(ValueError):
        embed(["x"], dim=0)
    with pytest.raises(ValueError):
        HashingEmbeddingFunction(dim=0)
    with pytest.raises(ValueError):
        HashingEmbeddingFunction.build_from_config({"dim": 8, "model": "x"})


def test_works_as_a_chroma_embedding_function_and_survives_a_reopen(tmp_path):
    chromadb = pytest.importorskip("chromadb")
    settings = chromadb.Settings(anonymized_telemetry=False)
    function = HashingEmbeddingFunction(dim=128)
    assert function(["a b"]) == embed(["a b"], dim=128).tolist()
    client = chromadb.PersistentClient(path=str(tmp_path), settings=settings)
    collection = client.create_collection("steps", embedding_function=function)
    collection.add(ids=["edit", "meeting"], documents=["apply the patch to parser.py", "summarise the weekly meeting"])
    assert collection.query(query_texts=["patch parser.py"], n_results=1)["ids"] == [["edit"]]
    assert collection.configuration["hnsw"]["space"] == "cosine"
    reopened = chromadb.PersistentClient(path=str(tmp_path), settings=settings)
    again = reopened.get_collection("steps", embedding_function=HashingEmbeddingFunction.build_from_config({"dim": 128}))
    assert again.query(query_texts=["weekly meeting"], n_results=1)["ids"] == [["meeting"]]
