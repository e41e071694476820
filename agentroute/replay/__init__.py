"""Replay benchmark on CodeRouterBench's real recorded model outcomes (`agentroute bench replay`)."""
