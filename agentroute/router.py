"""The router of one run: route → reserve → call (retry, fall back) → account → trace → learn.

One `Router` serves one task (one run id). All three integration doors (middleware, chat model,
supervising graph) and the plain `complete` call go through `Router.route`, the plan of one call
(agentroute/call_loop.py), carried out blocking (`call`), awaited (`acall`) or streamed
(agentroute.attempts) with the actual model invocation as a function, so each door keeps its own
message types.

Every attempt is reserved and traced as `pending` before the call; afterwards its reserve is
released (the provider refused it), billed at the reported cost (at most the reserve), or billed
at the full reserve (no trustworthy usage, a timeout, an unreadable or empty reply, an interrupt).
A reported cost above the reserve is an overrun: flagged on the trace and the run stops.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel

from agentroute.attempts import arun, run
from agentroute.budget import BudgetLedger, Charge, worst_case_nanos
from agentroute.call_loop import CallLoop
from agentroute.context import StepContext
from agentroute.credentials import require_keys
from agentroute.errors import BudgetExhausted
from agentroute.money import usd
from agentroute.policies.base import Decision, Policy
from agentroute.pool import Model, Pool
from agentroute.prompt_tokens import PROMPT_TOKENS
from agentroute.provider_call import check_call_kwargs, litellm_call
from agentroute.router_settings import RouterSettings
from agentroute.signals import extract_signals
from agentroute.trace import TraceRecord, TraceStore
from agentroute.usage import Usage

Result = TypeVar("Result")
Invoke = Callable[[Model, int], Result]

class Plan(BaseModel):
    """The budget-fitted version of a decision: the tier and max_tokens actually used."""

    tier: int
    max_tokens: int
    note: str = ""


class Router(CallLoop):
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

    # -- calls (their plan: call_loop.py) -------------------------------------------------
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
