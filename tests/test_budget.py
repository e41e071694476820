"""The budget invariant: spent never exceeds the cap, reserves are always released."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentroute.budget import BudgetLedger, parse_budget, validate_cap, worst_case_nanos
from agentroute.errors import BudgetError
from agentroute.money import nanos_down, nanos_up
from agentroute.pool import Price
from agentroute.usage import Usage, usage_from_langchain, usage_from_openai

prices = st.builds(
    Price,
    input=st.floats(0.01, 100, allow_nan=False),
    output=st.floats(0.01, 200, allow_nan=False),
    cache_read=st.none() | st.floats(0, 50, allow_nan=False),
    cache_write=st.none() | st.floats(0, 150, allow_nan=False),
)


@st.composite
def calls(draw: st.DrawFn) -> tuple[Price, int, int, Usage, bool]:
    """A call: prices, counted prompt tokens, max_tokens, a usage within that contract, success."""
    price = draw(prices)
    prompt = draw(st.integers(0, 200_000))
    max_tokens = draw(st.integers(1, 32_000))
    billed_prompt = draw(st.integers(0, prompt))
    cache_read = draw(st.integers(0, billed_prompt))
    cache_write = draw(st.integers(0, billed_prompt - cache_read))
    usage = Usage(
        prompt_tokens=billed_prompt,
        completion_tokens=draw(st.integers(0, max_tokens)),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reported=draw(st.booleans()),
    )
    return price, prompt, max_tokens, usage, draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(cap=st.floats(0.0001, 50, allow_nan=False), sequence=st.lists(calls(), max_size=40))
def test_spent_never_exceeds_cap_and_reserves_release(cap: float, sequence: list) -> None:
    ledger = BudgetLedger(cap)
    for price, prompt, max_tokens, usage, succeeded in sequence:
        nanos = worst_case_nanos(price, prompt, max_tokens)
        reservation = ledger.reserve(nanos, step=0, node="n", model="m", tier=0)
        if reservation is None:
            assert nanos > ledger.remaining_nanos
            continue
        assert ledger.spent_nanos + ledger.reserved_nanos <= ledger.cap_nanos
        if succeeded:
            charge = ledger.settle(reservation, usage, price)
            assert not charge.overrun
            assert charge.cost_nanos <= nanos
        else:
            ledger.release(reservation)
        assert ledger.reserved_nanos == 0
        assert ledger.spent_nanos <= ledger.cap_nanos
    assert ledger.spent_nanos == sum(charge.cost_nanos for charge in ledger.charges)


@settings(max_examples=100, deadline=None)
@given(cap=st.floats(0.001, 5, allow_nan=False), sizes=st.lists(st.integers(0, 10**9), min_size=1, max_size=20))
def test_concurrent_reserves_never_overcommit(cap: float, sizes: list[int]) -> None:
    ledger = BudgetLedger(cap)
    held = [r for size in sizes if (r := ledger.reserve(size, step=0, node=None, model="m", tier=0)) is not None]
    assert sum(r.nanos for r in held) <= ledger.cap_nanos
    for reservation in held:
        ledger.release(reservation)
    assert ledger.reserved_nanos == 0
    assert ledger.remaining_nanos == ledger.cap_nanos


def test_settle_replaces_reserve_with_billed_cost() -> None:
    price = Price(input=2.0, output=8.0, cache_read=0.5, cache_write=2.5)
    ledger = BudgetLedger(1.0)
    reservation = ledger.reserve(worst_case_nanos(price, 1000, 500), step=3, node="model", model="m", tier=1)
    assert reservation is not None
    # 1000 tokens at the dearest input rate (2.5) + 500 at 8.0 = 0.0025 + 0.004 = $0.0065.
    assert reservation.nanos == 6_500_000
    usage = Usage(prompt_tokens=1000, completion_tokens=100, cache_read_tokens=600, cache_write_tokens=100)
    charge = ledger.settle(reservation, usage, price)
    # plain 300×2 + read 600×0.5 + write 100×2.5 + out 100×8 = 600+300+250+800 = 1950 per 1M → $0.00195.
    assert charge.cost_nanos == 1_950_000
    assert ledger.spent_nanos == 1_950_000 and ledger.reserved_nanos == 0
    snapshot = ledger.snapshot()
    assert snapshot.by_node == {"model": 0.00195} and snapshot.by_model == {"m": 0.00195}
    assert math.isclose(snapshot.remaining_usd, 1.0 - 0.00195)


def test_unreported_usage_is_billed_at_the_reserve() -> None:
    price = Price(input=1.0, output=1.0)
    ledger = BudgetLedger(1.0)
    reservation = ledger.reserve(5_000, step=0, node=None, model="m", tier=0)
    assert reservation is not None
    charge = ledger.settle(reservation, Usage(reported=False), price)
    assert charge.cost_nanos == 5_000


def test_overbilling_provider_is_charged_its_reserve_and_flagged() -> None:
    price = Price(input=1.0, output=1.0)
    ledger = BudgetLedger(0.000010)
    reservation = ledger.reserve(1_000, step=0, node=None, model="m", tier=0)
    assert reservation is not None
    charge = ledger.settle(reservation, Usage(prompt_tokens=0, completion_tokens=20_000), price)
    assert charge.overrun and charge.reported_cost_nanos == 20_000_000  # 20k tokens × $1/1M = $0.02
    assert charge.cost_nanos == 1_000 and ledger.spent_nanos == 1_000 <= ledger.cap_nanos


def test_a_reservation_is_settled_once() -> None:
    ledger = BudgetLedger(1.0)
    reservation = ledger.reserve(5_000, step=0, node=None, model="m", tier=0)
    assert reservation is not None
    ledger.settle(reservation, Usage(reported=False), Price(input=1.0, output=1.0))
    with pytest.raises(ValueError, match="not open"):
        ledger.settle(reservation, Usage(reported=False), Price(input=1.0, output=1.0))
    assert ledger.spent_nanos == 5_000


@pytest.mark.parametrize("payload", [
    None,
    {"prompt_tokens": -5, "completion_tokens": 3},
    {"prompt_tokens": 10, "completion_tokens": "7"},
    {"prompt_tokens": 10, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": -1}},
    {"prompt_tokens": 0, "completion_tokens": 0},
])
def test_missing_or_invalid_usage_is_untrusted_never_an_exception(payload: dict | None) -> None:
    usage = usage_from_openai(payload)
    assert not usage.reported and usage.problem


def test_negative_langchain_usage_is_untrusted() -> None:
    assert not usage_from_langchain({"input_tokens": -5, "output_tokens": 3, "total_tokens": -2}).reported
    assert usage_from_langchain({"input_tokens": 5, "output_tokens": 3, "total_tokens": 8}).cost_nanos(
        Price(input=1.0, output=1.0)) == 8_000


@pytest.mark.parametrize("cap", [0, -1, float("nan"), float("inf")])
def test_invalid_caps_are_rejected(cap: float) -> None:
    with pytest.raises(BudgetError):
        validate_cap(cap)


def test_money_rounding_is_cautious() -> None:
    assert nanos_up(0.1 + 0.2) == 300_000_000
    assert nanos_up(1e-10) == 1
    assert nanos_down(0.3) == 300_000_000
    assert nanos_down(1.9999999999) == 1_999_999_999


def test_a_budget_from_text_is_a_positive_number_or_one_clear_error() -> None:
    assert parse_budget("0.25", "AGENTROUTE_BUDGET") == 0.25
    for text in ("abc", "-1", "0", "nan"):
        with pytest.raises(BudgetError):
            parse_budget(text, "AGENTROUTE_BUDGET")
