"""Shared fixtures: the fake OpenAI-compatible server, pools that point at it, fast settings, a
throwaway Postgres cluster (postgres_fixture.py)."""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

import cli  # noqa: E402
from fakellm import FakeLLM  # noqa: E402
from postgres_fixture import postgres_url  # noqa: E402, F401 - the session's Postgres cluster

from agentroute.pool import Pool, parse_pool_text, resolve_pool  # noqa: E402
from agentroute.router_settings import RouterSettings  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """In the pytest controller (or a run without workers), start the fork server of tests/cli.py at
    once, one for every worker (its preload costs about 16 s of CPU)."""
    if not hasattr(config, "workerinput"):
        cli.share_server()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Take what collection imported (litellm, Chroma, LangGraph, the tests: about 700,000 objects
    that live as long as the process) out of the cyclic garbage collector's reach. Each of its full
    collections walked them all: about 0.5 s of CPU each, some 19 times per worker in a run, and once
    more at the end, when pytest collects garbage before it exits."""
    gc.freeze()


# Three tiers on the fake server; the middle tier has a fallback model. Prices per 1M tokens.
POOL_TOML = """
[defaults]
api_base = "{base_url}"

[[tiers]]
name = "low"
models = [{{ id = "openai/tiny", price = {{ input = 0.5, output = 1.0, cache_read = 0.05 }} }}]

[[tiers]]
name = "mid"
models = [
  {{ id = "openai/mid-a", price = {{ input = 2.0, output = 8.0 }} }},
  {{ id = "openai/mid-b", price = {{ input = 2.0, output = 8.0 }} }},
]

[[tiers]]
name = "high"
models = [{{ id = "openai/big", price = {{ input = 10.0, output = 40.0, cache_read = 1.0, cache_write = 12.5 }} }}]
"""


def priced_pool_toml(scale: float) -> str:
    """POOL_TOML with every price multiplied by `scale` (the fake's prompts are far shorter than a
    real agent's; scaling the prices gives its attempts a real attempt's cost)."""
    return re.sub(r"(input|output|cache_read|cache_write) = ([0-9.]+)",
                  lambda match: f"{match[1]} = {float(match[2]) * scale:g}", POOL_TOML)


def make_pool(base_url: str) -> Pool:
    """The three-tier test pool served by the fake server at base_url."""
    return resolve_pool(parse_pool_text(POOL_TOML.format(base_url=base_url), "test-pool", yaml_syntax=False), "test-pool")


FAST = RouterSettings(max_tokens=200, min_max_tokens=16, backoff_initial=0, backoff_max=0, timeout=2, attempts_per_model=2)


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    """A running fake server whose hanging replies give up after 5 s."""
    with FakeLLM(hang_seconds=5) as server:
        yield server


@pytest.fixture
def pool(llm: FakeLLM) -> Pool:
    """The test pool pointing at the running fake server."""
    return make_pool(llm.base_url)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private AGENTROUTE_HOME for the test (trace store and checkpoints land here)."""
    monkeypatch.setenv("AGENTROUTE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"
