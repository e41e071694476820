"""Task-level escalation: the policy that decides, after each attempt at a task, whether to try
again with a stronger model (tier floor) or stop. `agentroute run --attempts` and `agentroute bench
replay` both drive this one policy."""
