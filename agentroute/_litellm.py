"""The single place agentroute imports litellm from: offline cost map, no telemetry."""

from __future__ import annotations

import os
from types import ModuleType


def load_litellm() -> ModuleType:
    """Import litellm with its offline price map and quiet logging (≈3 s on first call)."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm
