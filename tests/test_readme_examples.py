"""Every code example of README.md and docs/*.md runs as written (see doc_examples.py for the rules).

Each document's blocks run in order, in a scratch copy of the checkout (symlinks to the repository's
files; fresh `.agentroute/` and `memory/`), as the reader runs them: `python` blocks as
`python FILE`, `bash` blocks with `bash -e`, with an `agentroute` first on PATH. Both run forked
from the test's fork server (tests/cli.py: start_script, Launcher), so the heavy imports are paid
once; the `agentroute` command is the installed script's `main`. The model is the scripted
OpenAI-compatible server (tests/fakellm.py): `$AGENTROUTE_POOL` points the pool used when none is
given at it, and so does `my-pool.toml`, the name the docs use for a reader's own pool file. It
solves the local SWE suite's tasks (tests/scripted_solver.py) and answers anything else with a
short final message. Blocks marked `<!-- example: skip — reason -->` are listed in a warning.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli import CliProcess, Launcher
from conftest import POOL_TOML
from doc_examples import CONFIG, LANGUAGES, ROOT, Block, blocks, documents
from fakellm import FakeLLM, Reply
from scripted_solver import ScriptedSolver

from agentroute.pool import load_pool
from agentroute.swe.task import load_tasks

# Repository entries a scratch copy must not share: state a run writes, and the VCS.
PRIVATE = {".git", ".venv", ".agentroute", "memory", "out", "__pycache__", ".pytest_cache"}
SCRIPTED_POOL = "my-pool.toml"
KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


class DocModel:
    """Solves the suite's tasks like an agent would; says it is done to anything else."""

    def __init__(self) -> None:
        self.solver = ScriptedSolver(load_tasks(ROOT / "evals" / "swe"))

    def __call__(self, request: dict[str, Any]) -> Reply:
        try:
            return self.solver(request)
        except StopIteration:  # not one of the suite's tasks
            return Reply(content="Done: nothing left to change.", completion_tokens=12)


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with FakeLLM(responder=DocModel()) as server:
        yield server


@pytest.fixture(scope="module")
def launcher() -> Iterator[Launcher]:
    launcher = Launcher()
    yield launcher
    launcher.close()


def scratch_checkout(where: Path, base_url: str) -> Path:
    """A directory that looks like a fresh clone: the repository's files, no run state."""
    where.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in PRIVATE:
            (where / entry.name).symlink_to(entry)
    (where / "memory").mkdir()
    (where / SCRIPTED_POOL).write_text(POOL_TOML.format(base_url=base_url))
    return where


def reader_env(checkout: Path, launcher: Launcher) -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "200", "AGENTROUTE_POOL": str(checkout / SCRIPTED_POOL),
           "PATH": os.pathsep.join([str(launcher.bin), str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    for name in ("AGENTROUTE_HOME", "AGENTROUTE_MEMORY", "AGENTROUTE_MEMORY_URL", *KEYS):
        env.pop(name, None)
    return env


def run_block(block: Block, checkout: Path, env: dict[str, str]) -> None:
    """Run (or load) one block in the checkout; fail with its output if it does not succeed."""
    if block.language in CONFIG:
        if "tiers" in block.code:
            file = checkout / f"example-{block.line}.{block.language}"
            file.write_text(block.code)
            load_pool(file)
        return
    if block.language == "python":
        file = checkout / f"example_{block.line}.py"
        file.write_text(block.code)
        done = CliProcess([], env, checkout, script=file).result(timeout=600)  # `python FILE`, forked
    elif block.language == "bash":
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.code], cwd=checkout, env=env,
                              capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    else:
        return
    reasons = [line for results in checkout.glob(".agentroute/swe/*/results.jsonl")
               for line in results.read_text().splitlines() if '"error":null' not in line]
    assert done.returncode == 0, f"{block.name} failed ({done.returncode}):\n{block.code}\n{done.stdout}\n{done.stderr}\n{reasons}"
    assert "Traceback" not in done.stderr, f"{block.name}:\n{done.stderr}"


def test_every_block_names_its_language_and_every_skip_says_why() -> None:
    every = [block for doc in documents() for block in blocks(doc)]
    assert len(every) > 10
    unlabeled = [f"{block.name} ({block.language or 'no language'})" for block in every if block.language not in LANGUAGES]
    assert not unlabeled, f"label each block as one of {sorted(LANGUAGES)}: {unlabeled}"
    assert all(block.skip != "no reason given" for block in every)
    skipped = [block for block in every if block.skip]
    assert len(skipped) <= len(every) // 2, "most examples must run offline"


@pytest.mark.parametrize("doc", [str(path.relative_to(ROOT)) for path in documents()])
def test_the_examples_of_a_document_run_as_written(doc: str, llm: FakeLLM, launcher: Launcher, tmp_path: Path) -> None:
    checkout = scratch_checkout(tmp_path / "clone", llm.base_url)
    env = reader_env(checkout, launcher)
    skipped = []
    calls_before = len(llm.requests)
    ran_python = False
    for block in blocks(ROOT / doc):
        if block.skip:
            skipped.append(f"{block.name} ({block.skip})")
            continue
        run_block(block, checkout, env)
        ran_python |= block.language == "python" and "AgentRoute(" in block.code
    if ran_python:  # the Python API examples reached the scripted model, not a provider
        assert len(llm.requests) > calls_before
    if skipped:
        warnings.warn(f"{doc}: examples not run offline: {'; '.join(skipped)}", stacklevel=1)
