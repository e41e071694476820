"""TwinRouterBench static track: load the step-prefix question bank, score routers on it.

Modules, one concept each: `records` (rows and the validating loader), `locked` (the released
pool, prices and TTL), `tokens` (token estimates), `costs` (four-bucket cost model with the
prompt-cache rules), `scorer` (the published metrics), `adapters` (policies and functions as
routers), `baselines`, `predictions` (saved decisions of other routers), `harness` (run them
all), `plot`, and `live` (dynamic-track compatibility: cache state and trace repricing).
See docs/twinrouterbench.md.
"""
