"""Optional extras: a command that needs one that is not installed says which to install, in one line."""

from __future__ import annotations

import json
from pathlib import Path

from cli import assert_one_line_error, run_python

BANK = Path(__file__).parent / "data" / "twin_bank.jsonl"
# The CLI in a process where matplotlib cannot be imported, as after `pip install agentroute`.
WITHOUT_MATPLOTLIB = ("import sys; sys.modules['matplotlib'] = None; from agentroute.cli.app import main; "
                      "sys.argv[0] = 'agentroute'; main()")


def test_plot_without_matplotlib_names_the_extra_and_keeps_the_json(tmp_path: Path) -> None:
    out, plot = tmp_path / "metrics.json", tmp_path / "plot.png"
    done = run_python(WITHOUT_MATPLOTLIB, "bench", "twin", "--data", str(BANK), "--json", str(out), "--plot", str(plot))
    assert_one_line_error(done, "--plot needs matplotlib, which is optional: pip install 'agentroute[plot]'")
    assert json.loads(out.read_text())["rows"] > 0  # what was computed before the plot is kept
    assert not plot.exists()


def test_replay_plot_without_matplotlib_fails_before_the_replay(tmp_path: Path) -> None:
    out, plot = tmp_path / "results.json", tmp_path / "plot.png"
    missing_data = tmp_path / "no-such-data"  # read first thing by the replay: its error would come instead
    done = run_python(WITHOUT_MATPLOTLIB, "bench", "replay", "--suite", "swe", "--orders", "1", "--data", str(missing_data),
                      "--json", str(out), "--plot", str(plot))
    assert_one_line_error(done, "--plot needs matplotlib, which is optional: pip install 'agentroute[plot]'")
    assert not out.exists() and not plot.exists()
