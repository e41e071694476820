"""Pool config: parsing, validation, prices from litellm's offline map and from config."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentroute.errors import ConfigError
from agentroute.pool import litellm_price, load_pool


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_builtin_pool_is_ordered_and_priced_from_litellm() -> None:
    pool = load_pool()
    assert [tier.name for tier in pool.tiers] == ["low", "mid", "mid_high", "high"]
    low, high = pool.tiers[0].primary, pool.tiers[-1].primary
    assert low.price_source == "litellm"
    # gpt-4o-mini is $0.15 / $0.60 per 1M tokens in litellm's offline map.
    assert (low.price.input, low.price.output) == (0.15, 0.6)
    assert high.price.output > low.price.output
    # Every tier has a fallback model.
    assert all(len(tier.models) == 2 for tier in pool.tiers)


def test_config_price_overrides_litellm(tmp_path: Path) -> None:
    path = write(tmp_path, "p.toml", """
[[tiers]]
name = "only"
models = [{ id = "gpt-4o-mini", price = { input = 1, output = 2, cache_read = 0.5 } }]
""")
    model = load_pool(path).tiers[0].primary
    assert model.price_source == "config"
    assert (model.price.input, model.price.output, model.price.cache_read_rate, model.price.cache_write_rate) == (1, 2, 0.5, 1)


def test_yaml_pool_with_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", """
defaults: {api_base: "http://127.0.0.1:9/v1", api_key_env: MY_KEY}
tiers:
  - name: cheap
    models: [gpt-4o-mini]
  - name: strong
    models:
      - id: openai/custom
        price: {input: 3, output: 15}
""")
    pool = load_pool(path)
    assert pool.tiers[1].primary.api_base == "http://127.0.0.1:9/v1"
    assert pool.tiers[1].primary.api_key_env == "MY_KEY"
    assert pool.model("openai/custom").tier == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[tiers]]\nname = "a"\nmodels = ["openai/no-such-model"]\n', "'openai/no-such-model' (tier 'a') is unknown to litellm"),
        ('[[tiers]]\nname = "a"\nmodels = ["gpt-4o-mni"]\n', "unknown to litellm (closest known ids: gpt-4o-mini,"),
        ('[[tiers]]\nname = "a"\nmodels = ["twelvelabs.pegasus-1-2-v1:0"]\n', "has no price in litellm's offline cost map"),
        ('[[tiers]]\nname = "a"\nmodels = [{ id = "x/y", price = { input = 0, output = 1 } }]\n', "tiers.0.models.0.price.input"),
        ('[[tiers]]\nname = "a"\nmodels = ["gpt-4o-mini"]\ncolour = "red"\n', "tiers.0.colour: unknown key"),
        ('tiers = []\n', "tiers: List should have at least 1 item"),
        ('[[tiers]]\nname = "a"\nmodels = ["gpt-4o-mini"]\n[[tiers]]\nname = "a"\nmodels = ["gpt-5"]\n', "repeated: a"),
        ('[[tiers]]\nname = "a"\nmodels = ["gpt-4o-mini"]\n[[tiers]]\nname = "b"\nmodels = ["gpt-4o-mini"]\n', "one tier only"),
        ('[[tiers]\nname = ', "not valid TOML"),
    ],
)
def test_bad_pool_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_pool(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_pool_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope.toml does not exist \(built-in pools: default\)"):
        load_pool(tmp_path / "nope.toml")


def test_zero_priced_model_counts_as_unpriced() -> None:
    # deepseek-chat has a 0.0 cache-creation price in the map but real input/output prices;
    # an id absent from the map has no price at all.
    assert litellm_price("deepseek/deepseek-chat") is not None
    assert litellm_price("openai/definitely-not-a-model") is None


def test_unknown_model_and_tier_lookup(tmp_path: Path) -> None:
    pool = load_pool()
    with pytest.raises(ConfigError, match="not in pool"):
        pool.model("nope")
    assert pool.tier_named("high").index == 3
    assert pool.tier_named("0").name == "low"
    with pytest.raises(ConfigError, match="tier 'top'"):
        pool.tier_named("top")


@pytest.mark.parametrize("price", ["inf", "nan", "-1", "-inf", "1e300"])
def test_a_price_that_is_not_a_finite_positive_number_is_one_config_error(tmp_path: Path, price: str) -> None:
    path = write(tmp_path, "p.toml", f"""
[[tiers]]
name = "only"
models = [{{ id = "openai/m", price = {{ input = 1, output = {price} }} }}]
""")
    with pytest.raises(ConfigError, match="output") as raised:
        load_pool(path)
    assert "\n" not in str(raised.value)


def test_prices_come_from_litellms_own_map_without_importing_litellm(tmp_path: Path) -> None:
    import subprocess
    import sys

    probe = ("from agentroute.pool import load_pool; import sys; pool = load_pool(); "
             "print(len(pool.tiers), 'litellm' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["4", "False"]
    from agentroute._litellm import load_litellm

    litellm = load_litellm()
    for model in (model for tier in load_pool().tiers for model in tier.models):
        info = litellm.get_model_info(model.id)  # the same prices, read the slow way
        assert model.price.input == round(info["input_cost_per_token"] * 1e6, 9)
        assert model.price.output == round(info["output_cost_per_token"] * 1e6, 9)
        assert model.price.cache_read_rate == round((info.get("cache_read_input_token_cost") or info["input_cost_per_token"]) * 1e6, 9)


def test_one_entry_read_alone_is_the_entry_of_the_whole_map() -> None:
    from agentroute.cost_map import cost_map_entry, offline_cost_map

    whole = offline_cost_map()
    found = {model_id: cost_map_entry(model_id) for model_id in whole}
    missed = [model_id for model_id, entry in found.items() if entry is None]
    assert all(entry == whole[model_id] for model_id, entry in found.items() if entry is not None)
    assert len(missed) <= 5, missed  # ids laid out by hand go to litellm's own lookup instead
    assert cost_map_entry("no-such-model") is None and cost_map_entry("sample_spec") is None
    assert cost_map_entry("max_tokens") is None  # a field name is not a model


def test_agentroute_pool_env_var_picks_the_pool_when_none_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "mine.toml", '[[tiers]]\nname = "solo"\nmodels = ["gpt-4o-mini"]\n')
    monkeypatch.setenv("AGENTROUTE_POOL", str(path))
    assert [tier.name for tier in load_pool().tiers] == ["solo"]
    assert load_pool("default").size == 4  # an explicit pool wins
    monkeypatch.setenv("AGENTROUTE_POOL", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="missing.toml does not exist"):
        load_pool()
