"""Exceptions raised by agentroute. Each carries a one-line message meant for the user."""

from __future__ import annotations


class AgentRouteError(Exception):
    """Base class: a problem the CLI reports as one line and a non-zero exit."""


class ConfigError(AgentRouteError):
    """A pool or router configuration is malformed, names an unknown model or lacks a price."""


class BudgetError(AgentRouteError):
    """A budget value is invalid (zero, negative, not a number)."""


class BudgetExhausted(AgentRouteError):
    """No tier fits the remaining budget: the task stops here instead of overspending."""

    def __init__(self, message: str, *, spent_usd: float, cap_usd: float) -> None:
        super().__init__(message)
        self.spent_usd = spent_usd
        self.cap_usd = cap_usd


class AllModelsFailed(AgentRouteError):
    """Every model the router was allowed to try failed for this call."""


class UnknownRun(AgentRouteError):
    """A run id that the trace store has never seen."""


class BudgetOverrun(BudgetExhausted):
    """A provider billed more than the call's reserve: charged at the reserve, flagged, run stopped."""


class CallerError(AgentRouteError, TypeError):
    """The caller's arguments are wrong (a keyword the router sets itself, a connection setting that
    contradicts the pool): raised before any model is called, never counted as a model failure."""


class BadReply(AgentRouteError):
    """A provider answered with a reply that cannot be used (no choices, no chunks)."""


class DeadlineExceeded(AllModelsFailed, TimeoutError):
    """A call (all its retries and fallbacks) ran past its wall-clock deadline."""
