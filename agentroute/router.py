"""The router of one run: route → reserve → call (retry, fall back) → account → trace → learn.

One `Router` serves one task (one run id). All three integration doors (middleware, chat model,
supervising graph) and the plain `complete` call go through `Router.route`, the plan of one call,
carried out blocking (`call`), awaited (`acall`) or streamed (agentroute.attempts) with the actual
model invocation as a function, so each door keeps its own message types.

Every attempt is reserved and traced as `pending` before the call; afterwards its reserve is
released (the provider refused it), billed at the reported cost (at most the reserve), or billed
at the full reserve (no trustworthy usage, a timeout, an unreadable or empty reply, an interrupt).
A reported cost above the reserve is an overrun: flagged on the trace and the run stops.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from pydantic import BaseModel
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from agentroute.attempts import Attempt, CallPlan, arun, retried, run
from agentroute.budget import BudgetLedger, Charge, Reservation, worst_case_nanos
from agentroute.caller_errors import is_caller_error
from agentroute.config_files import error_line
from agentroute.context import StepContext
from agentroute.credentials import require_keys
from agentroute.errors import AllModelsFailed, BudgetExhausted, BudgetOverrun, DeadlineExceeded
from agentroute.money import usd
from agentroute.policies.base import Decision, Feedback, Policy
from agentroute.pool import Model, Pool, Tier
from agentroute.prompt_tokens import PROMPT_TOKENS
from agentroute.provider_call import check_call_kwargs, litellm_call
from agentroute.router_settings import RouterSettings
from agentroute.signals import extract_signals
from agentroute.trace import TraceRecord, TraceStore
from agentroute.transient import is_transient, may_be_billed
from agentroute.usage import Usage

Result = TypeVar("Result")
Invoke = Callable[[Model, int], Result]

class Plan(BaseModel):
    """The budget-fitted version of a decision: the tier and max_tokens actually used."""

    tier: int
    max_tokens: int
    note: str = ""


_BILLED_HERE: ContextVar[TraceRecord | None] = ContextVar("agentroute_billed_here", default=None)


class _NoFit(Exception):
    """The reserve for this attempt no longer fits the budget."""


class Router:
    """Routes every call of one run under a hard budget, and records each attempt.

    `tier_floor` is the cheapest tier the run may use (a task-level escalation's floor, see
    agentroute/escalation): every decision below it is raised to it, and neither the budget fit
    nor a fallback after a failed tier goes below it."""

    def __init__(
        self,
        pool: Pool,
        policy: Policy,
        *,
        budget_usd: float,
        run_id: str,
        store: TraceStore | None = None,
        settings: RouterSettings | None = None,
        task: dict[str, Any] | None = None,
        tier_floor: int = 0,
    ) -> None:
        if not 0 <= tier_floor < pool.size:
            raise ValueError(f"tier floor {tier_floor} is not a tier of pool {pool.source}")
        self.pool = pool
        self.tier_floor = tier_floor
        self.policy = policy
        self.run_id = run_id
        self.store = store
        self.settings = settings or RouterSettings()
        self.task = dict(task or {})
        self.ledger = BudgetLedger(budget_usd, account=store.ledger_account(run_id, budget_usd) if store is not None else None)
        self.step = 0
        self._step_lock = threading.Lock()
        self._records_lock = threading.Lock()
        self._record_index: dict[str, int] = {}
        self.previous_tier: int | None = None
        self.previous_outcome: str | None = None
        self.model_last_used: dict[str, float] = {}
        self.outcome: str | None = None
        self.records: list[TraceRecord] = []
        self._tier_costs: dict[int, list[int]] = {}
        self._prompt_drift: dict[str, float] = {}
        self._keys_checked = False
        if store is not None:
            self._restore(store)

    # -- restore ---------------------------------------------------------------------------
    def _restore(self, store: TraceStore) -> None:
        """Continue a run that already has records: spend, step count and last tier come back."""
        records = store.records(self.run_id)
        if not records:
            return
        self.records = records
        self._record_index = {record.attempt_key: index for index, record in enumerate(records) if record.attempt_key}
        self.step = max(record.step for record in records) + 1
        charges: list[Charge] = []
        for record in records:
            if record.cost_nanos and record.model is not None and record.tier is not None:
                usage = Usage(
                    prompt_tokens=record.prompt_tokens,
                    completion_tokens=record.completion_tokens,
                    cache_read_tokens=record.cache_read_tokens,
                    cache_write_tokens=record.cache_write_tokens,
                )
                charges.append(
                    Charge(step=record.step, node=record.node, model=record.model, tier=record.tier,
                           cost_nanos=record.cost_nanos, reserved_nanos=record.reserved_nanos, usage=usage,
                           reported_cost_nanos=record.reported_cost_nanos, overrun=record.overrun)
                )
                if record.outcome != "pending":  # a call cut off mid-flight counts at its reserve, not as a cost sample
                    self._tier_costs.setdefault(record.tier, []).append(record.cost_nanos)
        self.ledger.restore(charges)
        if any(record.overrun for record in records):
            self.outcome = "budget_overrun"
        model_records = [record for record in records if record.kind == "model"]
        if model_records:
            last = model_records[-1]
            self.previous_tier = last.tier
            self.previous_outcome = "ok" if last.outcome.startswith("ok") else "error"

    # -- context ---------------------------------------------------------------------------
    def count_prompt_tokens(self, model: Model, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None) -> int:
        """Prompt tokens by litellm's counter (each message counted once per model, see
        prompt_tokens.py), plus the hidden tool-use prompt some providers add."""
        counted = PROMPT_TOKENS.count(model.id, messages, tools)
        return counted + (self.settings.tool_overhead_tokens if tools else 0)

    def reserved_prompt_tokens(self, model: Model, counted: int) -> int:
        """Prompt tokens a reserve assumes: the count × the larger of the configured margin and the
        drift seen on this model so far (+10%), plus a fixed slack."""
        factor = max(self.settings.prompt_margin, self._prompt_drift.get(model.id, 0.0) * 1.1)
        return math.ceil(counted * factor) + self.settings.prompt_slack_tokens

    def _max_tokens_for(self, model: Model, requested: int) -> int:
        return min(requested, model.max_output_tokens) if model.max_output_tokens else requested

    def reserve_nanos(self, model: Model, counted_prompt: int, max_tokens: int) -> int:
        """Worst-case cost of one call on this model."""
        prompt = self.reserved_prompt_tokens(model, counted_prompt)
        return worst_case_nanos(model.price, prompt, self._max_tokens_for(model, max_tokens))

    def context(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        node: str | None = None,
        max_tokens: int | None = None,
        prompt_tokens: int | None = None,
        step: int | None = None,
    ) -> StepContext:
        """The step context a policy sees for the next call (or for `step`)."""
        max_tokens = max_tokens or self.settings.max_tokens
        if prompt_tokens is None:
            prompt_tokens = self.count_prompt_tokens(self.pool.tiers[0].primary, messages, tools)
        snapshot = self.ledger
        spent = snapshot.spent_nanos
        remaining = snapshot.remaining_nanos
        max_steps = self.task.get("max_steps")  # a cap on the task's steps, not the number expected
        horizon = min(int(max_steps), self.settings.expected_steps) if max_steps else self.settings.expected_steps
        step = self.step if step is None else step
        return StepContext.model_construct(  # every field is built here: skip re-validating the prefix
            run_id=self.run_id,
            step=step,
            node=node,
            messages=[dict(message) for message in messages],
            tools=[dict(tool) for tool in tools] if tools else None,
            max_tokens=max_tokens,
            cap_usd=usd(snapshot.cap_nanos),
            spent_usd=usd(spent),
            remaining_usd=usd(remaining),
            tier_reserve_usd=[usd(self.reserve_nanos(tier.primary, prompt_tokens, max_tokens)) for tier in self.pool.tiers],
            tier_mean_cost_usd=[
                usd(sum(costs) // len(costs)) if (costs := self._tier_costs.get(tier.index)) else None
                for tier in self.pool.tiers
            ],
            expected_remaining_steps=max(3, horizon - step),
            previous_tier=self.previous_tier,
            previous_outcome=self.previous_outcome,
            model_last_used=dict(self.model_last_used),
            signals=extract_signals(messages),
            task=self.task,
        )

    # -- budget fitting --------------------------------------------------------------------
    def fit(self, decision: Decision, prompt_tokens: int, max_tokens: int, *, exclude: set[int] = frozenset()) -> Plan:
        """The decision made affordable: the chosen tier, else a cheaper one, else fewer output
        tokens (not below min_max_tokens). Raises BudgetExhausted when nothing fits."""
        max_tokens = decision.max_tokens or max_tokens
        chosen = decision.tier
        downward = [tier for tier in range(chosen, self.tier_floor - 1, -1) if tier not in exclude]
        remaining = self.ledger.remaining_nanos
        for tier in downward:
            if self.reserve_nanos(self.pool.tiers[tier].primary, prompt_tokens, max_tokens) <= remaining:
                note = "" if tier == chosen else f"budget: tier {self.pool.tiers[chosen].name}→{self.pool.tiers[tier].name}"
                return Plan(tier=tier, max_tokens=max_tokens, note=note)
        for tier in downward:
            model = self.pool.tiers[tier].primary
            prompt_cost = worst_case_nanos(model.price, self.reserved_prompt_tokens(model, prompt_tokens), 0)
            affordable = math.floor((remaining - prompt_cost) * 1e6 / (model.price.output * 1e9)) if remaining > prompt_cost else 0
            while affordable >= self.settings.min_max_tokens and self.reserve_nanos(model, prompt_tokens, affordable) > remaining:
                affordable -= 1
            if affordable >= self.settings.min_max_tokens:
                moved = "" if tier == chosen else f"tier {self.pool.tiers[chosen].name}→{self.pool.tiers[tier].name}, "
                return Plan(tier=tier, max_tokens=affordable, note=f"budget: {moved}max_tokens {max_tokens}→{affordable}")
        raise self._exhausted(
            f"no tier fits a {prompt_tokens}-token prompt with at least {self.settings.min_max_tokens} output tokens")

    def _exhausted(self, why: str) -> BudgetExhausted:
        spent, cap = usd(self.ledger.spent_nanos), usd(self.ledger.cap_nanos)
        return BudgetExhausted(f"budget exhausted: ${spent:.6f} spent of ${cap:.6f}; {why}", spent_usd=spent, cap_usd=cap)

    def _overrun(self, why: str) -> BudgetOverrun:
        spent, cap = usd(self.ledger.spent_nanos), usd(self.ledger.cap_nanos)
        return BudgetOverrun(f"budget overrun: {why}; ${spent:.6f} charged of ${cap:.6f}", spent_usd=spent, cap_usd=cap)

    # -- the call loop ---------------------------------------------------------------------
    def call(
        self,
        messages: Sequence[dict[str, Any]],
        invoke: Invoke[Result],
        usage_of: Callable[[Result], Usage],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        node: str | None = None,
        max_tokens: int | None = None,
        check_keys: bool = False,
    ) -> Result:
        """Route one call and run it through `invoke(model, max_tokens)` (see `route`).

        With `check_keys` (the doors that call providers through litellm set it), the pool's API
        keys are checked before the run's first call as the CLI checks them: a missing key is one
        ConfigError, never a provider error retried. A call that raises marks the run stopped in
        the trace store (its outcome, or `error`), so a run that dies is never left `running`; a
        later `finish` overwrites it."""
        with self.stopped_on_failure():
            self.check_keys_once(check_keys)
            return run(self.route(messages, usage_of, tools=tools, node=node, max_tokens=max_tokens), invoke)

    async def acall(
        self,
        messages: Sequence[dict[str, Any]],
        ainvoke: Callable[[Model, int], Awaitable[Result]],
        usage_of: Callable[[Result], Usage],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        node: str | None = None,
        max_tokens: int | None = None,
        check_keys: bool = False,
    ) -> Result:
        """`call` for an async `ainvoke(model, max_tokens)`, awaited in the running event loop."""
        with self.stopped_on_failure():
            self.check_keys_once(check_keys)
            return await arun(self.route(messages, usage_of, tools=tools, node=node, max_tokens=max_tokens), ainvoke)

    def check_keys_once(self, wanted: bool = True) -> None:
        """Check the pool's API keys once per router (as the CLI does), when the door asks for it."""
        if wanted and not self._keys_checked:
            require_keys(self.pool)
            self._keys_checked = True

    @contextmanager
    def stopped_on_failure(self) -> Iterator[None]:
        """Whatever raises inside marks the run stopped in the trace store (its outcome so far,
        else `error`, or `interrupted` for Ctrl-C), so a run that dies never stays `running`."""
        try:
            yield
        except BaseException as error:
            if self.store is not None:
                self.store.finish_run(self.run_id, self.outcome or ("error" if isinstance(error, Exception) else "interrupted"))
            raise

    def route(
        self,
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

    def _stop_for_budget(self, step: int, attempt: int, node: str | None, decision: Decision, error: BudgetExhausted) -> None:
        self._record(TraceRecord(run_id=self.run_id, step=step, attempt=attempt, node=node, tier=decision.tier,
                                 tier_name=self.pool.tiers[decision.tier].name, reason=decision.reason,
                                 outcome="budget_exhausted", error=str(error)))
        self.outcome = "budget_exhausted"

    def _at_floor(self, decision: Decision) -> Decision:
        """The decision, raised to the run's tier floor when it is below it."""
        if decision.tier >= self.tier_floor:
            return decision
        return Decision(tier=self.tier_floor, max_tokens=decision.max_tokens,
                        reason=f"{decision.reason}; floor {self.pool.tiers[self.tier_floor].name}")

    def _next_decision(self, context: StepContext, failed_tiers: set[int]) -> Decision | None:
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
        self, model: Model, tier: Tier, usage_of: Callable[[Any], Usage], *, step: int,
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

    def _fail(self, reservation: Reservation, error: BaseException, base: dict[str, Any], started: float) -> None:
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

    def _settle(self, reservation: Reservation, usage: Usage, base: dict[str, Any], started: float, counted_prompt: int) -> int:
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

    def note(self, kind: str, reason: str, *, node: str | None = None, outcome: str = "ok", error: str | None = None) -> TraceRecord:
        """Add a non-model event (a tool reroute, an escalation, …) to the run's decision trace."""
        record = TraceRecord(run_id=self.run_id, step=max(0, self.step - 1), kind=kind, node=node, reason=reason,
                             outcome=outcome, error=error)
        self._record(record)
        return record

    def _record(self, record: TraceRecord) -> None:
        """Add a record, replacing the earlier record of the same attempt (its pending state)."""
        with self._records_lock:
            key = record.attempt_key
            if key is not None and key in self._record_index:
                self.records[self._record_index[key]] = record
            else:
                if key is not None:
                    self._record_index[key] = len(self.records)
                self.records.append(record)
        if self.store is not None:
            self.store.append(record)

    # -- the litellm door ------------------------------------------------------------------
    def complete(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        node: str | None = None,
        max_tokens: int | None = None,
        **litellm_kwargs: Any,
    ) -> Any:
        """Route one chat completion through litellm (OpenAI-format messages and tools).

        With `stream=True` the reply's chunks are read within the call's deadline and returned
        as an iterator; usage is what the provider sent (asked for with
        `stream_options.include_usage`), never litellm's own estimate, else the reserve is billed.
        """
        check_call_kwargs(self.pool, litellm_kwargs)  # a caller mistake raises here, before any step is taken
        stream = bool(litellm_kwargs.get("stream"))
        invoke, usage_of = litellm_call(messages, tools, self.settings.timeout, litellm_kwargs)
        result = self.call(messages, invoke, usage_of, tools=tools, node=node, max_tokens=max_tokens,
                           check_keys="mock_response" not in litellm_kwargs)
        return iter(result.chunks) if stream else result

    def finish(self, outcome: str) -> None:
        """End the run: record the outcome and let the policy credit it."""
        self.outcome = outcome
        self.policy.finish(outcome)
        if self.store is not None:
            self.store.finish_run(self.run_id, outcome)
