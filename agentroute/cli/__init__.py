"""The `agentroute` command line (typer + rich). Heavy libraries load inside commands only."""
