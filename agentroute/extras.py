"""Optional extras: which `pip install 'agentroute[EXTRA]'` provides a module a command needs."""

from __future__ import annotations

import importlib

# top-level module → (extra that installs it, the feature that needs it)
EXTRA_OF_MODULE = {"matplotlib": ("plot", "--plot")}


def missing_extra(error: ModuleNotFoundError) -> str | None:
    """One line saying which extra to install for a missing optional module, or None if the
    module is not one of agentroute's optional extras."""
    top = (error.name or "").split(".")[0]
    if top not in EXTRA_OF_MODULE:
        return None
    extra, feature = EXTRA_OF_MODULE[top]
    return f"{feature} needs {top}, which is optional: pip install 'agentroute[{extra}]'"


def require_extra(module: str) -> None:
    """Import an optional module now, so that a command that will need it fails before doing any
    work: a missing one raises ModuleNotFoundError, which the CLI reports with `missing_extra`."""
    importlib.import_module(module)
