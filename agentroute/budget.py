"""Per-task budget ledger with a hard USD cap.

Before a call the router reserves its worst case; the call happens only if the reserve fits in
what is left (cap − spent − open reserves). After the call the provider-reported cost replaces
the reserve, capped at the reserve: spent + reserved ≤ cap always holds. A reply without
trustworthy usage is billed at its full reserve; a reported cost above the reserve is charged at
the reserve, kept as `reported_cost_nanos` and flagged as an overrun (the router then stops).

The totals (spent, held) live in an `Account`: this process's memory by default, or a database
row shared by every process working on the task (agentroute/store/postgres_ledger.py), where
each reserve is one atomic check-and-hold so two workers never overspend together.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from typing import Protocol

from pydantic import BaseModel, Field

from agentroute.errors import BudgetError
from agentroute.money import nanos_down, nanos_up, usd
from agentroute.pool import Price
from agentroute.usage import Usage


class Reservation(BaseModel):
    """Money held for one call that has not been billed yet."""

    id: int
    nanos: int = Field(ge=0)
    step: int
    node: str | None
    model: str
    tier: int


class Charge(BaseModel):
    """What one call actually cost, attributed to its step, node and model."""

    step: int
    node: str | None
    model: str
    tier: int
    cost_nanos: int
    reserved_nanos: int
    usage: Usage
    reported_cost_nanos: int | None = None
    overrun: bool = False


class BudgetSnapshot(BaseModel):
    """A serialisable view of the ledger, carried in graph state and traces."""

    cap_usd: float
    spent_usd: float
    reserved_usd: float
    remaining_usd: float
    calls: int
    by_model: dict[str, float]
    by_node: dict[str, float]


def validate_cap(cap_usd: float) -> int:
    """The cap in nano-USD, or a BudgetError for a zero, negative or non-finite budget."""
    if not isinstance(cap_usd, (int, float)) or cap_usd != cap_usd or cap_usd in (float("inf"), float("-inf")):
        raise BudgetError(f"budget must be a finite number of USD, got {cap_usd!r}")
    if cap_usd <= 0:
        raise BudgetError(f"budget must be greater than 0 USD, got {cap_usd}")
    return nanos_down(cap_usd)


def parse_budget(text: str, source: str) -> float:
    """A budget written as text (an environment variable, a config value), validated."""
    try:
        cap_usd = float(text)
    except ValueError:
        raise BudgetError(f"{source}: budget must be a number of USD, got {text!r}") from None
    validate_cap(cap_usd)
    return cap_usd


def worst_case_nanos(price: Price, prompt_tokens: int, max_tokens: int) -> int:
    """Upper bound of a call's cost: every prompt token at the dearest input rate, full output."""
    return nanos_up((prompt_tokens * price.worst_input_rate + max_tokens * price.output) / 1e6)


class Account(Protocol):
    """Where a ledger's totals live. `reserve` checks and holds in one atomic step."""

    cap_nanos: int

    def reserve(self, nanos: int) -> int | None:
        """Hold `nanos` and return the reservation's id, or None if spent + held + nanos > cap."""

    def settle(self, reservation_id: int, nanos: int, cost_nanos: int) -> None:
        """Close an open reservation of `nanos`, charging `cost_nanos` (0 gives it back)."""

    def totals(self) -> tuple[int, int]:
        """(spent, held by open reservations), in nano-USD."""

    def restore(self, spent_nanos: int) -> None:
        """Take the spend a resumed run's trace records add up to (an account that keeps its
        own spend, like a shared database row, ignores it)."""


class LocalAccount:
    """Totals in this process's memory (the embedded default); a resumed run's spend comes back
    from its trace records through `restore`."""

    def __init__(self, cap_nanos: int) -> None:
        self.cap_nanos = cap_nanos
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._spent = 0
        self._held = 0

    def reserve(self, nanos: int) -> int | None:
        with self._lock:
            if self._spent + self._held + nanos > self.cap_nanos:
                return None
            self._held += nanos
            return next(self._ids)

    def settle(self, reservation_id: int, nanos: int, cost_nanos: int) -> None:
        with self._lock:
            self._held -= nanos
            self._spent += cost_nanos

    def totals(self) -> tuple[int, int]:
        with self._lock:
            return self._spent, self._held

    def restore(self, spent_nanos: int) -> None:
        with self._lock:
            self._spent = spent_nanos


class BudgetLedger:
    """Reserve → settle/release accounting under a hard cap. Thread-safe.

    `account` holds the totals (default: a LocalAccount for `cap_usd`); a shared account's cap
    is the one stored with it."""

    def __init__(self, cap_usd: float, charges: list[Charge] | None = None, *, account: Account | None = None) -> None:
        self.account = account or LocalAccount(validate_cap(cap_usd))
        self.cap_nanos = self.account.cap_nanos
        self._lock = threading.Lock()
        self._open: dict[int, Reservation] = {}
        self.charges: list[Charge] = []
        if charges:
            self.restore(charges)

    def restore(self, charges: list[Charge]) -> None:
        """Add the charges of a resumed run (from its trace) and restore its spend from them."""
        with self._lock:
            self.charges.extend(charges)
            self.account.restore(sum(charge.cost_nanos for charge in self.charges))

    @property
    def spent_nanos(self) -> int:
        """Money billed so far."""
        return self.account.totals()[0]

    @property
    def reserved_nanos(self) -> int:
        """Money held by calls in flight."""
        return self.account.totals()[1]

    @property
    def remaining_nanos(self) -> int:
        """What a new reserve may use: cap − spent − open reserves (never below 0)."""
        spent, held = self.account.totals()
        return max(0, self.cap_nanos - spent - held)

    def fits(self, nanos: int) -> bool:
        """Whether a reserve of this size would be granted now."""
        return nanos <= self.remaining_nanos

    def reserve(self, nanos: int, *, step: int, node: str | None, model: str, tier: int) -> Reservation | None:
        """Hold `nanos` for a call, or return None when it does not fit."""
        reservation_id = self.account.reserve(nanos)
        if reservation_id is None:
            return None
        reservation = Reservation(id=reservation_id, nanos=nanos, step=step, node=node, model=model, tier=tier)
        with self._lock:
            self._open[reservation.id] = reservation
        return reservation

    def settle(self, reservation: Reservation, usage: Usage, price: Price) -> Charge:
        """Replace the reserve by the billed cost, at most the reserve; untrusted usage is billed
        at the reserve. Raises ValueError if the reservation was already settled or released."""
        reported = usage.cost_nanos(price) if usage.reported else None
        cost = reservation.nanos if reported is None else min(reported, reservation.nanos)
        charge = Charge(
            step=reservation.step,
            node=reservation.node,
            model=reservation.model,
            tier=reservation.tier,
            cost_nanos=cost,
            reserved_nanos=reservation.nanos,
            usage=usage,
            reported_cost_nanos=reported,
            overrun=reported is not None and reported > reservation.nanos,
        )
        with self._lock:
            if self._open.pop(reservation.id, None) is None:
                raise ValueError(f"reservation {reservation.id} is not open")
            self.account.settle(reservation.id, reservation.nanos, cost)
            self.charges.append(charge)
        return charge

    def release(self, reservation: Reservation) -> None:
        """Give a reserve back: the provider refused the call, so it was not billed."""
        with self._lock:
            if self._open.pop(reservation.id, None) is not None:
                self.account.settle(reservation.id, reservation.nanos, 0)

    def is_open(self, reservation: Reservation) -> bool:
        """Whether the reservation still holds money (neither settled nor released)."""
        with self._lock:
            return reservation.id in self._open

    def snapshot(self) -> BudgetSnapshot:
        """Totals for display and for graph state (the spend by model and node counts the
        charges this process saw: its own and those restored from the trace)."""
        by_model: dict[str, int] = defaultdict(int)
        by_node: dict[str, int] = defaultdict(int)
        with self._lock:
            charges = list(self.charges)
        spent, held = self.account.totals()
        for charge in charges:
            by_model[charge.model] += charge.cost_nanos
            by_node[charge.node or "-"] += charge.cost_nanos
        return BudgetSnapshot(
            cap_usd=usd(self.cap_nanos),
            spent_usd=usd(spent),
            reserved_usd=usd(held),
            remaining_usd=usd(max(0, self.cap_nanos - spent - held)),
            calls=len(charges),
            by_model={model: usd(n) for model, n in by_model.items()},
            by_node={node: usd(n) for node, n in by_node.items()},
        )
