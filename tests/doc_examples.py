"""The code blocks of README.md and docs/*.md, as a reader sees them, and how each one is checked.

Every fenced block names its language. `python` and `bash` blocks are run as written; `toml` and
`yaml` blocks that hold a pool (`[[tiers]]`) are loaded as pool files; `text` blocks (command
synopses, sample output) are shown, not run. A block that cannot run offline says so on the line
before its fence, with the reason:

    <!-- example: skip — needs Docker and the swebench package -->

and the test lists it with that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = {"python", "bash"}
CONFIG = {"toml", "yaml"}
SHOWN = {"text"}
LANGUAGES = RUN | CONFIG | SHOWN

_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_SKIP = re.compile(r"<!--\s*example:\s*skip\s*[—:-]*\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: where it is, its language, its text and why it is skipped, if it is."""

    doc: str
    line: int
    language: str
    code: str
    skip: str | None

    @property
    def name(self) -> str:
        """`README.md:85`: the file and the line of the opening fence."""
        return f"{self.doc}:{self.line}"


def documents() -> list[Path]:
    """README.md, then docs/*.md in name order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of one Markdown file, in order."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = _SKIP.search(before)
        found.append(Block(
            doc=str(path.relative_to(ROOT)), line=text.count("\n", 0, match.start()) + 1,
            language=match.group(1).strip().split(" ")[0].lower(), code=match.group(2),
            skip=(skip.group(1) or "no reason given") if skip else None,
        ))
    return found
