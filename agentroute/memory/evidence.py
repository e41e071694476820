"""Evidence arithmetic: neighbours' outcomes shrunk toward their group's totals.

For each model (and each tier) m, with the neighbours' successes s_m over n_m trials (records whose
outcome is known under the signal), their cost sum c_m over r_m records, and the group's totals
S_m / N_m (successes / trials) and C_m / R_m (cost / records):

    successes_m = s_m + shrink · S_m / N_m        trials_m = n_m + shrink       (when N_m > 0)
    mean_cost_m = (c_m + shrink · C_m / R_m) / (r_m + shrink)                   (when R_m > 0)

i.e. `shrink` pseudo-trials at the group's success rate and mean cost: with few neighbours the
estimate is the group's, with many it is the neighbours'. A model the group has not seen keeps
its raw neighbour counts (mean cost c_m / r_m); one seen only by the group gets the prior alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping
from typing import TypeVar

from agentroute.memory.codec import IndexRow
from agentroute.memory.index import Signal, Totals, outcome
from agentroute.memory.records import Evidence, ModelEvidence

Key = TypeVar("Key", bound=Hashable)


def _shrunk(neighbours: Mapping[Key, list[float]], group: Mapping[Key, Totals], shrink: float) -> dict[Key, ModelEvidence]:
    result: dict[Key, ModelEvidence] = {}
    for key in sorted(set(neighbours) | set(group), key=str):
        successes, trials, cost, records = neighbours.get(key, [0.0, 0.0, 0.0, 0.0])
        prior = group.get(key)
        mean_cost = cost / records if records else None
        if prior is not None and prior.trials > 0:
            successes += shrink * prior.successes / prior.trials
            trials += shrink
        if prior is not None and prior.records > 0 and records + shrink > 0:
            mean_cost = (cost + shrink * prior.cost_usd / prior.records) / (records + shrink)
        result[key] = ModelEvidence(successes=successes, trials=trials, mean_cost_usd=mean_cost)
    return result


def combine(
    neighbours: list[IndexRow],
    group_models: Mapping[str, Totals],
    group_tiers: Mapping[int, Totals],
    *,
    shrink: float,
    signal: Signal,
) -> Evidence:
    """Evidence from the neighbours' rows and the group's totals (formula in the module doc)."""
    per_model: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    per_tier: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for row in neighbours:
        value = outcome(row, signal)
        for sums in [per_model[row.model]] + ([] if row.tier is None else [per_tier[row.tier]]):
            if value is not None:
                sums[0] += value
                sums[1] += 1
            sums[2] += row.cost_usd
            sums[3] += 1
    return Evidence(
        per_model=_shrunk(per_model, group_models, shrink),
        per_tier=_shrunk(per_tier, group_tiers, shrink),
        neighbours=len(neighbours),
        group_trials=float(sum(totals.trials for totals in group_models.values())),
    )
