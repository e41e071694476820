"""Bad input through the real command line: one `error:` line, a non-zero exit, no traceback, and
nothing already written lost.

Each case runs in process through typer's CliRunner (the same `RootGroup.main` the installed
script runs). The cases are the table in docs/bad-input.md: the test checks that the document
lists every case with its command, exit code and an error line containing what the case expects;
`python tests/test_bad_input.py` rewrites the document from the live output.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from agentroute.cli.app import app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "bad-input.md"
SUITE = ROOT / "evals" / "swe"
TASK = SUITE / "local__semver-1"
SPEC = ROOT / "tools" / "customer_support.yaml"
KEYS = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-test", "GEMINI_API_KEY": "sk-test"}
ENV_NAMES = ("AGENTROUTE_HOME", "AGENTROUTE_BUDGET", "AGENTROUTE_POOL", "AGENTROUTE_POLICY", "AGENTROUTE_MEMORY",
             "AGENTROUTE_MEMORY_URL", "AGENTROUTE_SANDBOX", *KEYS)

POOL = """
[defaults]
api_base = "http://127.0.0.1:9"

[[tiers]]
name = "low"
models = [{ id = "openai/tiny", price = { input = 0.5, output = 1.0 } }]

[[tiers]]
name = "high"
models = [{ id = "openai/big", price = { input = 10.0, output = 40.0 } }]
"""
EXPERIENCE = {"id": "e1", "run_id": "r1", "step": 0, "created": 1_700_000_000.0, "text": "step 0", "group": "g",
              "model": "openai/tiny", "tier": 0, "success": 1.0}
FILES: dict[str, str | bytes] = {
    "pool.toml": POOL,
    "pool-malformed.toml": "[[tiers]\nname = \n",
    "pool-malformed.yaml": "tiers: [\n  - name: low\n",
    "pool-unknown-key.toml": '[[tiers]]\nname = "x"\nmodels = ["gpt-4o-mini"]\nweight = 3\n',
    "pool-unknown-model.toml": '[[tiers]]\nname = "x"\nmodels = ["openai/unknown-model-id"]\n',
    "pool-no-price.toml": '[[tiers]]\nname = "x"\nmodels = [{ id = "openai/my-finetune", api_base = "http://127.0.0.1:9" }]\n',
    "pool-negative-price.toml": '[[tiers]]\nname = "x"\nmodels = [{ id = "openai/tiny", price = { input = -1, output = 1 } }]\n',
    "pool-no-models.toml": '[[tiers]]\nname = "x"\nmodels = []\n',
    "pool-empty.toml": "",
    "pool-binary.toml": b"\xff\xfe\x00garbage",
    "task-bad-json/task.json": '{"instance_id": "t-1",',
    "task-bad-json/repo/README": "x\n",
    "task-no-repo/task.json": json.dumps({"instance_id": "t-1", "problem_statement": "x", "FAIL_TO_PASS": ["t"]}),
    "task-no-tests/task.json": json.dumps({"instance_id": "t-1", "problem_statement": "x", "FAIL_TO_PASS": []}),
    "task-no-tests/repo/README": "x\n",
    "empty-dir/.keep": "",
    "dataset.jsonl": json.dumps({"instance_id": "o__r-1", "repo": "o/r", "problem_statement": "x",
                                 "FAIL_TO_PASS": '["t"]', "PASS_TO_PASS": "[]"}) + "\n",
    "dataset-corrupt.jsonl": '{"instance_id": "o__r-1", "repo": \n',
    "predictions-corrupt.jsonl": '{"instance_id": "a", "model_patch": ""}\nnot json\n',
    "predictions-empty.jsonl": "\n\n",
    "store-corrupt.sqlite": b"this is not a database" * 100,
    "memory-corrupt.jsonl": json.dumps(EXPERIENCE) + "\n{not json\n",
    "memory-wrong-fields.jsonl": json.dumps({**EXPERIENCE, "tier": "high"}) + "\n",
    "labeled-bad.jsonl": json.dumps({"id": "x", "messages": [{"role": "user", "content": "hi"}], "target_tier": "ultra"}) + "\n",
    "twin-corrupt.jsonl": '{"id": "a", "messages": [\n',
    "predictions.jsonl": json.dumps({"instance_id": "a", "model_patch": ""}) + "\n",
    "memory-good.jsonl": json.dumps(EXPERIENCE) + "\n",
    "out-corrupt/results.jsonl": "not json\n{}\n",
    "spec-malformed.yaml": "name: x\nstates: [\n",
    "home-file": "I am a file, not a directory\n",
    "out-existing/results.jsonl": "",
}


@dataclass
class Case:
    """One bad input: the arguments ({tmp} is the prepared folder), the words its error line must
    contain, its exit code, extra environment, and files it must leave byte for byte."""

    name: str
    args: list[str]
    expect: str
    code: int = 2
    env: dict[str, str] = field(default_factory=dict)
    keep: tuple[str, ...] = ()


def case(name: str, command: str, expect: str, *, code: int = 2, env: dict[str, str] | None = None,
         keep: tuple[str, ...] = ()) -> Case:
    return Case(name, command.split(), expect, code, env or {}, keep)


RUN = f"run {TASK} --pool {{tmp}}/pool.toml --out {{tmp}}/out-existing --no-memory"
CASES = [
    # the command line itself
    case("unknown command", "frobnicate", "No such command 'frobnicate'"),
    case("unknown option", f"{RUN} --budgte 1", "No such option: --budgte"),
    case("missing argument", "run", "Missing argument 'task_or_dir'"),
    case("option without its value", "memory stats --path", "'--path' requires an argument"),
    case("unknown subcommand", "pool list", "No such command 'list'"),
    case("trace without a run id", "trace", "give a RUN_ID"),
    # budgets, from the flag and from AGENTROUTE_BUDGET
    case("negative budget", f"{RUN} --budget -1", "budget must be greater than 0", keep=("out-existing/results.jsonl",)),
    case("zero budget", f"{RUN} --budget 0", "budget must be greater than 0"),
    case("NaN budget", f"{RUN} --budget nan", "budget must be a finite number"),
    case("infinite budget", f"{RUN} --budget inf", "budget must be a finite number"),
    case("budget not a number", f"{RUN} --budget cheap", "valid number"),
    case("negative AGENTROUTE_BUDGET", RUN, "AGENTROUTE_BUDGET", env={"AGENTROUTE_BUDGET": "-1"}),
    case("AGENTROUTE_BUDGET not a number", RUN, "AGENTROUTE_BUDGET", env={"AGENTROUTE_BUDGET": "lots"}),
    case("NaN AGENTROUTE_BUDGET for demo", "demo", "budget must be a finite number", env={"AGENTROUTE_BUDGET": "nan"}),
    case("zero demo budget", "demo --budget 0", "budget must be greater than 0"),
    case("negative replay budget", "bench replay --budget -1", "budget must be greater than 0"),
    case("zero twin budget", "bench twin --data {tmp}/twin-corrupt.jsonl --budget 0", "budget must be greater than 0"),
    case("negative healing budget", "bench healing --budget -2", "budget must be greater than 0"),
    case("negative serve budget", "serve --budget -1", "budget must be greater than 0"),
    # counts and limits
    case("serve port out of range", "serve --port 70000", "'--port'"),
    case("zero workers", f"{RUN} --workers 0", "'--workers'"),
    case("workers not a number", f"{RUN} --workers many", "valid integer"),
    case("zero max steps", f"{RUN} --max-steps 0", "'--max-steps'"),
    case("negative max steps", f"{RUN} --max-steps -5", "'--max-steps'"),
    case("zero command timeout", f"{RUN} --command-timeout 0", "'--command-timeout'"),
    case("negative replay workers", "bench replay --workers -1", "--workers must be 0"),
    case("zero replay orders", "bench replay --orders 0", "--orders must be at least 1"),
    case("unknown replay suite", "bench replay --suite nope", "--suite must be swe, id or all"),
    case("unknown replay mode", "bench replay --mode nope", "--mode must be resolved, apply-only or both"),
    case("one cross-validation fold", "bench twin --data {tmp}/twin-corrupt.jsonl --cv 1", "'--cv'"),
    # policies
    case("unknown policy", f"{RUN} --policy smartest", "unknown policy 'smartest'"),
    case("unknown AGENTROUTE_POLICY", RUN, "unknown policy 'smartest'", env={"AGENTROUTE_POLICY": "smartest"}),
    case("cascade with a word", f"{RUN} --policy cascade:two", "cascade takes a whole number"),
    case("always with an unknown tier", f"{RUN} --policy always:ultra", "ultra"),
    case("always without a tier", f"{RUN} --policy always:", "unknown policy 'always:'"),
    # pools
    case("missing pool file", "pool show --pool {tmp}/nope.toml", "nope.toml"),
    case("malformed TOML pool", "pool show --pool {tmp}/pool-malformed.toml", "pool-malformed.toml"),
    case("malformed YAML pool", "pool show --pool {tmp}/pool-malformed.yaml", "pool-malformed.yaml"),
    case("unknown key in a pool", "pool show --pool {tmp}/pool-unknown-key.toml", "unknown key"),
    case("unknown model", "pool show --pool {tmp}/pool-unknown-model.toml", "openai/unknown-model-id"),
    case("model without a price", "pool show --pool {tmp}/pool-no-price.toml", "openai/my-finetune"),
    case("negative price", "pool show --pool {tmp}/pool-negative-price.toml", "pool-negative-price.toml"),
    case("tier without models", "pool show --pool {tmp}/pool-no-models.toml", "pool-no-models.toml"),
    case("empty pool file", "pool show --pool {tmp}/pool-empty.toml", "pool-empty.toml"),
    case("binary pool file", "pool show --pool {tmp}/pool-binary.toml", "pool-binary.toml"),
    case("pool is a directory", "pool show --pool {tmp}/empty-dir", "is a directory"),
    case("AGENTROUTE_POOL missing", "pool show", "nope.toml", env={"AGENTROUTE_POOL": "{tmp}/nope.toml"}),
    case("deprecated --config, malformed", "pool show --config {tmp}/pool-malformed.toml", "pool-malformed.toml"),
    case("bad pool for run", f"run {TASK} --pool {{tmp}}/pool-unknown-key.toml", "unknown key"),
    case("bad pool for demo", "demo --pool {tmp}/pool-malformed.yaml", "pool-malformed.yaml"),
    # tasks and task repositories
    case("task path that does not exist", "run {tmp}/no-such-task --pool {tmp}/pool.toml", "does not exist"),
    case("directory without tasks", "run {tmp}/empty-dir --pool {tmp}/pool.toml", "no tasks under"),
    case("task.json not JSON", "run {tmp}/task-bad-json --pool {tmp}/pool.toml", "not valid JSON"),
    case("task repository that does not exist", "run {tmp}/task-no-repo --pool {tmp}/pool.toml", "repository snapshot"),
    case("task without FAIL_TO_PASS", "validate {tmp}/task-no-tests", "FAIL_TO_PASS"),
    case("dataset without --checkout", "run {tmp}/dataset.jsonl --pool {tmp}/pool.toml", "--checkout"),
    case("dataset checkout that does not exist", "run {tmp}/dataset.jsonl --checkout {tmp}/no-checkouts --pool {tmp}/pool.toml",
         "no-checkouts"),
    case("corrupt dataset row", "run {tmp}/dataset-corrupt.jsonl --checkout {tmp}/empty-dir --pool {tmp}/pool.toml",
         "dataset-corrupt.jsonl"),
    case("unknown instance", f"run {SUITE} --instance nope --pool {{tmp}}/pool.toml", "nope"),
    case("validate a missing task", "validate {tmp}/no-such-task", "does not exist"),
    case("no API keys for the built-in pool", f"run {TASK} --no-memory", "API_KEY"),
    case("unknown sandbox layer", RUN, "AGENTROUTE_SANDBOX", env={"AGENTROUTE_SANDBOX": "chroot", **KEYS}),
    case("output directory is a file", f"run {TASK} --pool {{tmp}}/pool.toml --no-memory --out {{tmp}}/home-file", "home-file",
         env=KEYS, keep=("home-file",)),
    # predictions
    case("missing predictions file", "eval {tmp}/nope.jsonl", "nope.jsonl"),
    case("corrupt predictions", f"eval {{tmp}}/predictions-corrupt.jsonl --tasks {SUITE}", "not a SWE-bench prediction"),
    case("empty predictions", f"eval {{tmp}}/predictions-empty.jsonl --tasks {SUITE}", "no predictions"),
    case("eval against missing tasks", "eval {tmp}/predictions.jsonl --tasks {tmp}/nope", "does not exist"),
    # AGENTROUTE_HOME and the trace store
    case("AGENTROUTE_HOME is a file: runs", "runs", "is a file, not a directory", env={"AGENTROUTE_HOME": "{tmp}/home-file"},
         keep=("home-file",)),
    case("AGENTROUTE_HOME is a file: trace", "trace r1", "is a file, not a directory", env={"AGENTROUTE_HOME": "{tmp}/home-file"}),
    case("AGENTROUTE_HOME is a file: demo", "demo", "is a file, not a directory", env={"AGENTROUTE_HOME": "{tmp}/home-file"}),
    case("AGENTROUTE_HOME is a file: run", f"run {TASK} --pool {{tmp}}/pool.toml --no-memory", "is a file, not a directory",
         env={"AGENTROUTE_HOME": "{tmp}/home-file", **KEYS}),
    case("no trace store", "runs --store {tmp}/nope.sqlite", "no trace store"),
    case("corrupt trace store", "trace r1 --store {tmp}/store-corrupt.sqlite", "not readable", keep=("store-corrupt.sqlite",)),
    case("corrupt trace store for run", f"{RUN} --store {{tmp}}/store-corrupt.sqlite", "not readable",
         env=KEYS, keep=("store-corrupt.sqlite", "out-existing/results.jsonl")),
    case("trace store under a file", f"{RUN} --store {{tmp}}/home-file/runs.sqlite", "a file is in the way", env=KEYS, keep=("home-file",)),
    case("corrupt results of an earlier run", f"run {TASK} --pool {{tmp}}/pool.toml --no-memory --out {{tmp}}/out-corrupt",
         "results.jsonl", env=KEYS, keep=("out-corrupt/results.jsonl",)),
    case("trace store is a directory", "runs --store {tmp}/empty-dir", "no trace store"),
    case("unknown run id", "trace nope --store {tmp}/home/runs.sqlite", "no run 'nope'", keep=("home/runs.sqlite",)),
    case("trace export into a missing folder", "trace r1 --store {tmp}/home/runs.sqlite --jsonl {tmp}/nope/t.jsonl", "nope/t.jsonl"),
    # the experience memory
    case("import a missing file", "memory import {tmp}/nope.jsonl --path {tmp}/memory", "nope.jsonl"),
    case("import a corrupt line", "memory import {tmp}/memory-corrupt.jsonl --path {tmp}/memory", "memory-corrupt.jsonl:2",
         keep=("memory",)),
    case("import wrong field types", "memory import {tmp}/memory-wrong-fields.jsonl --path {tmp}/memory", "memory-wrong-fields.jsonl:1",
         keep=("memory",)),
    case("import labeled rows missing fields", "memory import {tmp}/labeled-bad.jsonl --path {tmp}/memory", "labeled-bad.jsonl",
         keep=("memory",)),
    case("corrupt import creates no store", "memory import {tmp}/memory-corrupt.jsonl --path {tmp}/new-memory", "memory-corrupt.jsonl"),
    case("stats of a missing store", "memory stats --path {tmp}/no-memory", "no experience memory at"),
    case("export from a missing store", "memory export {tmp}/x.jsonl --path {tmp}/no-memory", "no experience memory at"),
    case("stats of a missing collection", "memory stats --path {tmp}/memory --collection nosuch", "no collection 'nosuch'",
         keep=("memory",)),
    case("clear without --yes", "memory clear --path {tmp}/memory", "refusing to delete 1 experiences", keep=("memory",)),
    case("AGENTROUTE_MEMORY is a file", "memory stats", "home-file", env={"AGENTROUTE_MEMORY": "{tmp}/home-file"}),
    case("import into a file", "memory import {tmp}/memory-good.jsonl", "home-file", env={"AGENTROUTE_MEMORY": "{tmp}/home-file"},
         keep=("home-file",)),
    case("run with a memory that is a file", f"run {TASK} --pool {{tmp}}/pool.toml --memory {{tmp}}/home-file --out {{tmp}}/out-new",
         "home-file", env=KEYS, keep=("home-file",)),
    # benchmarks and tool graphs
    case("twin without --data", "bench twin", "no --data given"),
    case("twin data missing", "bench twin --data {tmp}/nope.jsonl", "nope.jsonl"),
    case("twin data corrupt", "bench twin --data {tmp}/twin-corrupt.jsonl", "twin-corrupt.jsonl"),
    case("replay data folder missing", "bench replay --data {tmp}/nope --suite swe --orders 1", "nope"),
    case("missing tool spec", "tools plan {tmp}/nope.yaml", "nope.yaml"),
    case("malformed tool spec", "tools plan {tmp}/spec-malformed.yaml", "spec-malformed.yaml"),
    case("plan to an unknown state", f"tools plan {SPEC} --goal nowhere", "unknown state 'nowhere'"),
    case("simulate an unknown tool", f"tools simulate {SPEC} --fail no_such_tool", "no_such_tool"),
]


def prepare(root: Path) -> None:
    """The files the cases read: bad pools, tasks, data files, a store with run r1, a memory."""
    for name, content in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    from agentroute.memory.records import Experience
    from agentroute.memory.store import ExperienceMemory
    from agentroute.trace import RunInfo, TraceStore

    ExperienceMemory(root / "memory").add_many([Experience(**EXPERIENCE)])
    store = TraceStore(root / "home" / "runs.sqlite")
    store.start_run(RunInfo(run_id="r1", created=0, cap_usd=0.5, pool="p", policy="learned"))
    store.close()


def fingerprint(path: Path) -> str:
    """The bytes of a file, or every record of an experience memory (a directory)."""
    if path.is_dir():
        from agentroute.memory.store import ExperienceMemory

        return "\n".join(record.model_dump_json() for record in ExperienceMemory(path, read_only=True).experiences())
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_case(bad: Case, root: Path) -> tuple[int, str]:
    """The exit code and the whole output (stdout and stderr) of one case."""
    fill = lambda text: text.replace("{tmp}", str(root))  # noqa: E731
    env = {name: None for name in ENV_NAMES}
    env.update({"AGENTROUTE_HOME": str(root / "home"), **{name: fill(value) for name, value in bad.env.items()}})
    before = {name: fingerprint(root / name) for name in bad.keep}
    result = CliRunner().invoke(app, [fill(arg) for arg in bad.args], env=env, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{bad.name}: {type(result.exception).__name__} escaped: {result.exception}")
    for name, print_ in before.items():
        assert fingerprint(root / name) == print_, f"{bad.name}: {name} changed"
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad-input")
    prepare(folder)
    return folder


@pytest.mark.parametrize("bad", CASES, ids=[bad.name for bad in CASES])
def test_bad_input_is_one_error_line_and_a_nonzero_exit(bad: Case, root: Path) -> None:
    code, output = run_case(bad, root)
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    assert "Traceback" not in output
    assert code == bad.code, (code, output)
    assert bad.expect in lines[0], lines[0]


def test_the_memory_and_new_store_are_untouched_by_bad_imports(root: Path) -> None:
    from agentroute.memory.store import ExperienceMemory

    run_case(next(bad for bad in CASES if bad.name == "corrupt import creates no store"), root)
    assert not (root / "new-memory").exists()
    assert ExperienceMemory(root / "memory", read_only=True).count() == 1


def doc_rows() -> dict[str, tuple[str, str, str]]:
    """docs/bad-input.md as case name → (command, error line, exit code)."""
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 4 and cells[0] not in ("case", "---"):
            rows[cells[0]] = (cells[1], cells[2], cells[3])
    return rows


def _command(bad: Case) -> str:
    words = [f"{name}={value}" for name, value in bad.env.items() if name not in KEYS] + ["agentroute", *bad.args]
    return f"`{' '.join(words)}`".replace(str(ROOT) + "/", "").replace("{tmp}/", "").replace("|", "\\|")


def test_the_document_lists_every_case() -> None:
    rows = doc_rows()
    assert len(CASES) >= 60 and len(rows) == len(CASES)
    for bad in CASES:
        command, error, code = rows[bad.name]
        assert command == _command(bad) and code == str(bad.code), bad.name
        assert bad.expect.replace("|", "\\|") in error, (bad.name, error)


def write_doc(root: Path) -> None:
    """Rewrite docs/bad-input.md from the live output of every case."""
    lines = [
        "# Bad input: one error line, a non-zero exit, nothing lost",
        "",
        f"{len(CASES)} cases, each run through the real command line by tests/test_bad_input.py, which checks",
        "that the output is exactly this one `error:` line (no traceback), the exit code, and that files",
        "already written (a results file, a trace store, the experience memory) are unchanged. Paths are",
        "relative to the test's scratch folder; usage errors (click's) exit 2 like every other bad input.",
        "Regenerate with `python tests/test_bad_input.py`.",
        "",
        "| case | command | error line | exit |",
        "|---|---|---|---|",
    ]
    for bad in CASES:
        code, output = run_case(bad, root)
        error = " ".join(output.split()).replace(str(root) + "/", "").replace(str(ROOT) + "/", "").replace("|", "\\|")
        lines.append(f"| {bad.name} | {_command(bad)} | {error} | {code} |")
    DOC.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        prepare(Path(scratch))
        write_doc(Path(scratch))
    print(f"wrote {DOC}", file=sys.stderr)
