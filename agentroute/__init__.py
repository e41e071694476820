"""agentroute: route every LLM call of an agent to the cheapest tier that will still do the job.

Importing this package is cheap; litellm, langgraph and chromadb are imported only by the
modules that need them. The offline cost map is forced before anything can import litellm.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

__version__ = "0.1.0"

_LAZY = {
    "AgentRoute": "agentroute.app",
    "Router": "agentroute.router",
    "BudgetLedger": "agentroute.budget",
    "BudgetExhausted": "agentroute.errors",
    "AgentRouteError": "agentroute.errors",
    "ConfigError": "agentroute.errors",
    "Pool": "agentroute.pool",
    "load_pool": "agentroute.pool",
    "StepContext": "agentroute.context",
    "Decision": "agentroute.policies.base",
    "Feedback": "agentroute.policies.base",
    "Policy": "agentroute.policies.base",
    "make_policy": "agentroute.policies",
    "RoutedChatModel": "agentroute.integrations.chat_model",
    "AgentRouteMiddleware": "agentroute.integrations.middleware",
    "supervise": "agentroute.integrations.supervisor",
    "TraceStore": "agentroute.trace",
}

if TYPE_CHECKING:  # pragma: no cover
    from agentroute.app import AgentRoute
    from agentroute.budget import BudgetLedger
    from agentroute.context import StepContext
    from agentroute.errors import AgentRouteError, BudgetExhausted, ConfigError
    from agentroute.integrations.chat_model import RoutedChatModel
    from agentroute.integrations.middleware import AgentRouteMiddleware
    from agentroute.integrations.supervisor import supervise
    from agentroute.policies import make_policy
    from agentroute.policies.base import Decision, Feedback, Policy
    from agentroute.pool import Pool, load_pool
    from agentroute.router import Router
    from agentroute.trace import TraceStore

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    """Import public names on first use so `import agentroute` stays fast."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'agentroute' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
