"""The shipped seed's training examples and the step model fitted on them, stored beside the seed: a
process reads them instead of computing them.

Computing them cost a fresh process about 3 s of CPU before its first routed call (importing
scikit-learn, reading the seed's 125 rows as features, the fit); reading them costs 15–30 ms, and a
process that fits on the seed and its memory reads the examples instead of the rows. What is stored
is used only while it belongs to the files it was made from — the seed and the code that reads it,
turns steps into features and fits them (their SHA-256 is stored with it); after any change to them
both are computed again, as before. scikit-learn is pinned exactly (pyproject.toml), so the same files give
the same fit. Regenerate with `python -m agentroute.policies.shipped_fit`;
tests/test_learned_policy.py checks that the stored fit is current and equal to a fresh one.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ValidationError

from agentroute.policies.seed import SEED_FILE
from agentroute.policies.sufficiency import LabeledStep, SufficiencyModel

FIT_FILE = SEED_FILE.with_name("dev125.fit.json")
_PACKAGE = Path(__file__).resolve().parents[1]
SOURCES = (SEED_FILE, _PACKAGE / "twin" / "records.py", _PACKAGE / "signals.py", _PACKAGE / "policies" / "features.py",
           _PACKAGE / "policies" / "seed.py", _PACKAGE / "policies" / "sufficiency.py")


class StoredFit(BaseModel):
    """The seed's examples, the SufficiencyModel fitted on them, and the digest of the files they came from."""

    sources_sha256: str
    steps: list[LabeledStep]
    weights: list[float]
    intercepts: list[float]
    examples: int


def sources_digest() -> str:
    """SHA-256 over SOURCES (each file's package-relative name and bytes)."""
    digest = hashlib.sha256()
    for path in SOURCES:
        digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def stored_fit(path: Path = FIT_FILE) -> StoredFit | None:
    """What is stored at `path` if it was made from the current SOURCES; None otherwise (read and
    checked once per process: `shipped_model` and `seed_steps` both ask)."""
    try:
        fit = StoredFit.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None
    return fit if fit.sources_sha256 == sources_digest() else None


def stored_model(path: Path = FIT_FILE) -> SufficiencyModel | None:
    """The model stored at `path` if it was fitted from the current SOURCES; None otherwise."""
    fit = stored_fit(path)
    return None if fit is None else SufficiencyModel(np.array(fit.weights), np.array(fit.intercepts), fit.examples)


def write_fit(steps: tuple[LabeledStep, ...], path: Path = FIT_FILE) -> None:
    """Fit on `steps` (the seed's, read from its rows) and store both as made from the current SOURCES."""
    model = SufficiencyModel.fit(steps)
    if model is None:
        raise ValueError("the seed holds a single outcome: nothing to fit")
    fit = StoredFit(sources_sha256=sources_digest(), steps=list(steps), weights=[float(w) for w in model.weights],
                    intercepts=[float(b) for b in model.intercepts], examples=model.examples)
    path.write_text(fit.model_dump_json() + "\n")


if __name__ == "__main__":
    from agentroute.policies.seed import bank_steps

    write_fit(bank_steps())
    print(f"wrote {FIT_FILE}")
