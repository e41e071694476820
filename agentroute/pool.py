"""Tier pool: ordered tiers (cheap → strong) of litellm model ids with per-1M-token prices.

A pool file is TOML or YAML::

    [defaults]                      # optional, applies to every model
    api_base = "http://127.0.0.1:8000/v1"

    [[tiers]]
    name = "low"
    models = ["gpt-4o-mini", { id = "openai/my-local", price = { input = 0.1, output = 0.4 } }]

Prices come from litellm's offline cost map unless the model entry prices it. A model with a
missing or zero input/output price is a configuration error, never "free".
"""

from __future__ import annotations

import os
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentroute.cost_map import closest_ids, model_info
from agentroute.config_files import one_line, parse_text, read_text
from agentroute.errors import ConfigError

BUILTIN_POOLS = ("default",)
POOL_ENV = "AGENTROUTE_POOL"  # the pool used when none is given
MAX_PRICE = 1_000_000.0  # USD per 1M tokens: prices must be finite, and far above any real one


class Price(BaseModel):
    """USD per 1M tokens in the four usage buckets providers bill."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(gt=0, le=MAX_PRICE, allow_inf_nan=False)
    output: float = Field(gt=0, le=MAX_PRICE, allow_inf_nan=False)
    cache_read: float | None = Field(default=None, ge=0, le=MAX_PRICE, allow_inf_nan=False)
    cache_write: float | None = Field(default=None, ge=0, le=MAX_PRICE, allow_inf_nan=False)

    @property
    def cache_read_rate(self) -> float:
        """Cache-read price; an unpriced cache read is billed as plain input."""
        return self.input if self.cache_read is None else self.cache_read

    @property
    def cache_write_rate(self) -> float:
        """Cache-write price; an unpriced cache write is billed as plain input."""
        return self.input if self.cache_write is None else self.cache_write

    @property
    def worst_input_rate(self) -> float:
        """The highest price any prompt token can be billed at."""
        return max(self.input, self.cache_read_rate, self.cache_write_rate)


class ModelEntry(BaseModel):
    """One model of a tier as written in the config."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    price: Price | None = None
    api_base: str | None = None
    api_key_env: str | None = None
    max_output_tokens: int | None = Field(default=None, gt=0)


class TierEntry(BaseModel):
    """One tier as written in the config: a name and its models, first = preferred."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    models: list[ModelEntry] = Field(min_length=1)

    @field_validator("models", mode="before")
    @classmethod
    def _models_may_be_plain_ids(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"id": item} if isinstance(item, str) else item for item in value]
        return value


class Defaults(BaseModel):
    """Connection settings applied to every model that does not set its own."""

    model_config = ConfigDict(extra="forbid")

    api_base: str | None = None
    api_key_env: str | None = None


class PoolConfig(BaseModel):
    """The whole pool file."""

    model_config = ConfigDict(extra="forbid")

    defaults: Defaults = Field(default_factory=Defaults)
    tiers: list[TierEntry] = Field(min_length=1)

    @field_validator("tiers")
    @classmethod
    def _unique_names(cls, tiers: list[TierEntry]) -> list[TierEntry]:
        names = [tier.name for tier in tiers]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"tier names must be unique, repeated: {', '.join(duplicates)}")
        return tiers


class Model(BaseModel):
    """A resolved model: id, prices and where to reach it."""

    model_config = ConfigDict(frozen=True)

    id: str
    tier: int
    price: Price
    price_source: str
    api_base: str | None = None
    api_key_env: str | None = None
    max_output_tokens: int | None = None


class Tier(BaseModel):
    """A resolved tier: its index (0 = cheapest), name and models in fallback order."""

    model_config = ConfigDict(frozen=True)

    index: int
    name: str
    models: tuple[Model, ...]

    @property
    def primary(self) -> Model:
        """The model tried first in this tier."""
        return self.models[0]


class Pool(BaseModel):
    """Ordered tiers, cheap → strong, with every price resolved."""

    model_config = ConfigDict(frozen=True)

    tiers: tuple[Tier, ...]
    source: str

    @property
    def size(self) -> int:
        """Number of tiers."""
        return len(self.tiers)

    @cached_property
    def _by_id(self) -> dict[str, Model]:
        return {model.id: model for tier in self.tiers for model in tier.models}

    def model(self, model_id: str) -> Model:
        """The model with this id, or a ConfigError naming the pool's models."""
        try:
            return self._by_id[model_id]
        except KeyError:
            known = ", ".join(self._by_id)
            raise ConfigError(f"model {model_id!r} is not in pool {self.source} ({known})") from None

    def tier_named(self, name: str) -> Tier:
        """The tier with this name (or index written as a string)."""
        for tier in self.tiers:
            if tier.name == name or str(tier.index) == name:
                return tier
        names = ", ".join(tier.name for tier in self.tiers)
        raise ConfigError(f"tier {name!r} is not in pool {self.source} ({names})")


def litellm_price(model_id: str) -> Price | None:
    """The model's price from litellm's offline cost map, or None if unknown, missing or zero."""
    info = model_info(model_id)
    if info is None:
        return None
    per_token_in = info.get("input_cost_per_token") or 0.0
    per_token_out = info.get("output_cost_per_token") or 0.0
    if per_token_in <= 0 or per_token_out <= 0:
        return None
    cache_read = info.get("cache_read_input_token_cost") or None
    cache_write = info.get("cache_creation_input_token_cost") or None
    return Price(
        input=_per_million(per_token_in),
        output=_per_million(per_token_out),
        cache_read=_per_million(cache_read) if cache_read else None,
        cache_write=_per_million(cache_write) if cache_write else None,
    )


def _unpriced(source: str, tier: str, model_id: str) -> ConfigError:
    """The error for a model without a config price: unknown to litellm, or known but unpriced."""
    priced = f'{{ id = "{model_id}", price = {{ input = ..., output = ... }} }} (USD per 1M tokens)'
    if model_info(model_id) is None:
        near = closest_ids(model_id)
        hint = f"closest known ids: {', '.join(near)}" if near else "no known id is close"
        return ConfigError(
            f"{source}: model {model_id!r} (tier {tier!r}) is unknown to litellm ({hint}); fix the id, "
            f"or, for a model litellm does not list (e.g. behind an api_base), price it in the config: {priced}"
        )
    return ConfigError(
        f"{source}: model {model_id!r} (tier {tier!r}) has no price in litellm's offline cost map; "
        f"price it in the config: {priced}"
    )


def _per_million(per_token_usd: float) -> float:
    return round(per_token_usd * 1e6, 9)


def resolve_pool(config: PoolConfig, source: str) -> Pool:
    """Attach a price to every model, from the config or litellm's offline cost map."""
    tiers = []
    for index, tier in enumerate(config.tiers):
        models = []
        for entry in tier.models:
            price, price_source = entry.price, "config"
            if price is None:
                price, price_source = litellm_price(entry.id), "litellm"
            if price is None:
                raise _unpriced(source, tier.name, entry.id)
            models.append(
                Model(
                    id=entry.id,
                    tier=index,
                    price=price,
                    price_source=price_source,
                    api_base=entry.api_base or config.defaults.api_base,
                    api_key_env=entry.api_key_env or config.defaults.api_key_env,
                    max_output_tokens=entry.max_output_tokens,
                )
            )
        tiers.append(Tier(index=index, name=tier.name, models=tuple(models)))
    model_ids = [model.id for tier in tiers for model in tier.models]
    repeated = sorted({model_id for model_id in model_ids if model_ids.count(model_id) > 1})
    if repeated:
        raise ConfigError(f"{source}: a model may stand in one tier only, repeated: {', '.join(repeated)}")
    return Pool(tiers=tuple(tiers), source=source)


def parse_pool_text(text: str, source: str, *, yaml_syntax: bool) -> PoolConfig:
    """Parse and validate pool config text (TOML, or YAML when yaml_syntax)."""
    raw = parse_text(text, source, "yaml" if yaml_syntax else "toml", expected="a table with a 'tiers' list")
    try:
        return PoolConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(one_line(source, error)) from None


def load_pool(path: str | Path | None = None) -> Pool:
    """Load a pool file, or a built-in pool by name. Without a path: $AGENTROUTE_POOL (a file or
    a built-in name) when set, else the built-in "default" pool."""
    if path is None:
        path = os.environ.get(POOL_ENV) or "default"
    if str(path) in BUILTIN_POOLS:
        name = str(path)
        text = resources.files("agentroute").joinpath(f"data/pools/{name}.toml").read_text()
        return resolve_pool(parse_pool_text(text, f"builtin:{name}", yaml_syntax=False), f"builtin:{name}")
    file = Path(path)
    if not file.exists():
        raise ConfigError(f"pool config {file} does not exist (built-in pools: {', '.join(BUILTIN_POOLS)})")
    text = read_text(file, "pool config")
    yaml_syntax = file.suffix.lower() in {".yaml", ".yml"}
    return resolve_pool(parse_pool_text(text, str(file), yaml_syntax=yaml_syntax), str(file))
