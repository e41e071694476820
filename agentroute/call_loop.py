"""The call loop of a router: the plan of one routed call, as `Router.route` gives it.

Decide → fit the budget → reserve → attempt (retry transient errors, then the tier's next model,
then another tier) → settle or fail the attempt → trace it → tell the policy. `CallLoop` is mixed
into `Router` (agentroute/router.py), whose run state (ledger, records, step, costs) it works on;
a driver of agentroute.attempts carries each plan out.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from agentroute.attempts import Attempt, CallPlan, retried
from agentroute.budget import Reservation
from agentroute.caller_errors import is_caller_error
from agentroute.config_files import error_line
from agentroute.context import StepContext
from agentroute.errors import AllModelsFailed, BudgetExhausted, BudgetOverrun, DeadlineExceeded
from agentroute.money import usd
from agentroute.policies.base import Decision, Feedback
from agentroute.pool import Model, Tier
from agentroute.trace import TraceRecord
from agentroute.transient import is_transient, may_be_billed
from agentroute.usage import Usage

if TYPE_CHECKING:
    from agentroute.router import Router

_BILLED_HERE: ContextVar[TraceRecord | None] = ContextVar("agentroute_billed_here", default=None)


class _NoFit(Exception):
    """The reserve for this attempt no longer fits the budget."""


class CallLoop:
    """`Router.route` and the attempt accounting behind it (a mixin of `Router`)."""

    def route(
        self: Router,
        messages: Sequence[dict[str, Any]],
        usage_of: Callable[[Any], Usage],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        node: str | None = None,
        max_tokens: int | None = None,
    ) -> CallPlan[Any]:
        """The plan of one routed call, for a driver of agentroute.attempts to carry out.

        Transient errors are retried with backoff on the same model, then the tier's next
        model is tried, then (up to `tier_changes` times) the policy is asked for another tier, all
        within `settings.deadline`. Raises BudgetExhausted when nothing fits, BudgetOverrun once a
        provider billed more than a reserve, and AllModelsFailed when every try failed. A caller
        error (see caller_errors.py) is raised at once: traced as `caller_error`, never observed.
        """
        if self.outcome == "budget_overrun":
            raise self._overrun("the run stopped after a provider billed more than its reserve")
        deadline = time.monotonic() + self.settings.deadline
        with self._step_lock:
            step = self.step
            self.step += 1
        prompt_tokens = self.count_prompt_tokens(self.pool.tiers[0].primary, messages, tools)
        context = self.context(messages, tools=tools, node=node, max_tokens=max_tokens, prompt_tokens=prompt_tokens, step=step)
        decision = self._at_floor(self.policy.decide(context))
        failed_tiers: set[int] = set()
        attempts = itertools.count()
        last_error: BaseException | None = None
        for _ in range(self.settings.tier_changes + 1):
            try:
                plan = self.fit(decision, prompt_tokens, context.max_tokens, exclude=failed_tiers)
            except BudgetExhausted as exhausted:
                self._stop_for_budget(step, next(attempts), node, decision, exhausted)
                raise
            tier = self.pool.tiers[plan.tier]
            reason = decision.reason + (f"; {plan.note}" if plan.note else "")
            for model in self._models_in_order(tier, decision.model):
                try:
                    result, cost_nanos = yield from self._try_model(
                        model, tier, usage_of, step=step, attempts=attempts, node=node, reason=reason,
                        prompt_tokens=prompt_tokens, max_tokens=plan.max_tokens, deadline=deadline,
                    )
                except _NoFit:
                    continue
                except (BudgetOverrun, DeadlineExceeded):
                    raise
                except Exception as error:  # provider errors of any kind: fall back
                    if is_caller_error(error):  # no model could take these arguments: not the model's failure
                        raise
                    last_error = error
                    continue
                self.policy.observe(context, decision, Feedback(ok=True, outcome="ok", tier=tier.index, model=model.id,
                                                                cost_usd=usd(cost_nanos)))
                self.previous_tier, self.previous_outcome = tier.index, "ok"
                self._tier_costs.setdefault(tier.index, []).append(cost_nanos)
                self.model_last_used[model.id] = time.time()
                return result
            failed_tiers.add(tier.index)
            self.policy.observe(context, decision, Feedback(ok=False, outcome="error", tier=tier.index, error=str(last_error)))
            self.previous_tier, self.previous_outcome = tier.index, "error"
            retry_context = context.model_copy(update={"previous_tier": tier.index, "previous_outcome": "error",
                                                       "remaining_usd": usd(self.ledger.remaining_nanos)})
            next_decision = self._next_decision(retry_context, failed_tiers)
            if next_decision is None:
                break
            decision = next_decision
        if last_error is None:  # no provider refused: every reserve stopped fitting (e.g. parallel calls spent it)
            exhausted = self._exhausted("no model's reserve fits what is left")
            self._stop_for_budget(step, next(attempts), node, decision, exhausted)
            raise exhausted
        raise AllModelsFailed(f"every model tried for step {step} failed; last error: {error_line(last_error)}")

    def _stop_for_budget(self: Router, step: int, attempt: int, node: str | None, decision: Decision, error: BudgetExhausted) -> None:
        self._record(TraceRecord(run_id=self.run_id, step=step, attempt=attempt, node=node, tier=decision.tier,
                                 tier_name=self.pool.tiers[decision.tier].name, reason=decision.reason,
                                 outcome="budget_exhausted", error=str(error)))
        self.outcome = "budget_exhausted"

    def _at_floor(self: Router, decision: Decision) -> Decision:
        """The decision, raised to the run's tier floor when it is below it."""
        if decision.tier >= self.tier_floor:
            return decision
        return Decision(tier=self.tier_floor, max_tokens=decision.max_tokens,
                        reason=f"{decision.reason}; floor {self.pool.tiers[self.tier_floor].name}")

    def _next_decision(self: Router, context: StepContext, failed_tiers: set[int]) -> Decision | None:
        """Ask the policy again after a tier failed; steer away from tiers that already failed."""
        decision = self._at_floor(self.policy.decide(context))
        if decision.tier not in failed_tiers:
            return decision
        untried = [tier.index for tier in self.pool.tiers if tier.index not in failed_tiers and tier.index >= self.tier_floor]
        if not untried:
            return None
        above = [tier for tier in untried if tier > decision.tier]
        tier = above[0] if above else untried[-1]
        return Decision(tier=tier, reason=f"{decision.reason}; tier {self.pool.tiers[decision.tier].name} failed, try {self.pool.tiers[tier].name}")

    @staticmethod
    def _models_in_order(tier: Tier, pinned: str | None) -> list[Model]:
        models = list(tier.models)
        if pinned is not None:
            models.sort(key=lambda model: model.id != pinned)
        return models

    def _try_model(
        self: Router, model: Model, tier: Tier, usage_of: Callable[[Any], Usage], *, step: int,
        attempts: Iterator[int], node: str | None, reason: str, prompt_tokens: int, max_tokens: int, deadline: float,
    ) -> CallPlan[tuple[Any, int]]:
        """Call one model with retries on transient errors; every attempt is reserved and traced.
        Returns the result and what it was charged."""
        max_tokens = self._max_tokens_for(model, max_tokens)

        def once() -> CallPlan[tuple[Any, int]]:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeadlineExceeded(f"the call's {self.settings.deadline}s deadline passed before step {step} was answered")
            nanos = self.reserve_nanos(model, prompt_tokens, max_tokens)
            reservation = self.ledger.reserve(nanos, step=step, node=node, model=model.id, tier=tier.index)
            base = dict(run_id=self.run_id, step=step, attempt=next(attempts), node=node, tier=tier.index,
                        tier_name=tier.name, model=model.id, reason=reason, max_tokens=max_tokens, reserved_nanos=nanos)
            if reservation is None:
                self._record(TraceRecord(**base, outcome="skipped", error="reserve does not fit the remaining budget"))
                raise _NoFit()
            self._record(TraceRecord(**base, outcome="pending", cost_nanos=nanos))
            started = time.perf_counter()
            try:
                result = yield Attempt(model, max_tokens, left)
                usage = usage_of(result)
            except BaseException as error:
                self._fail(reservation, error, base, started)
                raise
            try:
                return result, self._settle(reservation, usage, base, started, prompt_tokens)
            finally:
                if self.ledger.is_open(reservation):  # interrupted while settling: bill the reserve
                    self._fail(reservation, KeyboardInterrupt(), base, started)

        retrying = Retrying(
            stop=stop_after_attempt(self.settings.attempts_per_model),
            wait=wait_exponential_jitter(multiplier=self.settings.backoff_initial, max=self.settings.backoff_max),
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        return (yield from retried(retrying, once))

    def _fail(self: Router, reservation: Reservation, error: BaseException, base: dict[str, Any], started: float) -> None:
        """Close a failed attempt: release its reserve if the provider refused it, else bill it in full."""
        billed = not isinstance(error, Exception) or may_be_billed(error)
        cost = 0
        if billed:
            problem = f"billed at the reserve: {error_line(error) if str(error) else type(error).__name__}"
            cost = self.ledger.settle(reservation, Usage(reported=False, problem=problem), self.pool.model(reservation.model).price).cost_nanos
        else:
            self.ledger.release(reservation)
        outcome = ("interrupted" if not isinstance(error, Exception) else "caller_error" if is_caller_error(error)
                   else "retry" if is_transient(error) else "error")
        self._record(TraceRecord(**base, outcome=outcome, error=error_line(error) if str(error) else type(error).__name__,
                                 cost_nanos=cost, latency_ms=(time.perf_counter() - started) * 1000))

    def _settle(self: Router, reservation: Reservation, usage: Usage, base: dict[str, Any], started: float, counted_prompt: int) -> int:
        """Bill a reply (at most its reserve) and trace it; an overrun stops the run."""
        if usage.reported and counted_prompt > 0:
            drift = usage.prompt_tokens / counted_prompt
            self._prompt_drift[reservation.model] = max(drift, self._prompt_drift.get(reservation.model, 0.0))
        charge = self.ledger.settle(reservation, usage, self.pool.model(reservation.model).price)
        outcome = "ok_overrun" if charge.overrun else "ok" if usage.reported else "ok_usage_missing"
        record = TraceRecord(
            **base, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
            cache_read_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_write_tokens,
            cost_nanos=charge.cost_nanos, reported_cost_nanos=charge.reported_cost_nanos, overrun=charge.overrun,
            outcome=outcome, error=usage.problem, latency_ms=(time.perf_counter() - started) * 1000,
        )
        self._record(record)
        _BILLED_HERE.set(record)
        if charge.overrun:
            self.outcome = "budget_overrun"
            raise self._overrun(
                f"{reservation.model} reported ${usd(charge.reported_cost_nanos or 0):.6f} for step {reservation.step} "
                f"against a ${usd(reservation.nanos):.6f} reserve (charged at the reserve)")
        return charge.cost_nanos

    @staticmethod
    def billed_here() -> TraceRecord | None:
        """The record of the reply billed last in this thread or asyncio task: the call a door has
        just made, even while other calls of the run go on concurrently."""
        return _BILLED_HERE.get()

    def _overrun(self: Router, why: str) -> BudgetOverrun:
        spent, cap = usd(self.ledger.spent_nanos), usd(self.ledger.cap_nanos)
        return BudgetOverrun(f"budget overrun: {why}; ${spent:.6f} charged of ${cap:.6f}", spent_usd=spent, cap_usd=cap)
