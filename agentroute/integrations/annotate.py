"""Stamp the routing decision onto the message a door returns."""

from __future__ import annotations

from langchain_core.messages import BaseMessage

from agentroute.router import Router


def stamp(message: BaseMessage, router: Router) -> None:
    """Add `response_metadata["agentroute"]`: which tier and model served the step, why, and the cost."""
    record = router.billed_here()
    assert record is not None, "a door stamps a reply only after the router billed it"
    message.response_metadata["agentroute"] = {
        "run_id": router.run_id,
        "step": record.step,
        "node": record.node,
        "tier": record.tier_name,
        "model": record.model,
        "reason": record.reason,
        "cost_usd": record.cost_usd,
        "spent_usd": router.ledger.snapshot().spent_usd,
    }
