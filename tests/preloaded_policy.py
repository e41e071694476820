"""Imported once by the tests' fork server (tests/cli.py): the step policy's model fitted on the
shipped seed. `agentroute run` fits it once per process (`shipped_model` is cached), about 0.5 s
of CPU; a process forked from the server starts with it fitted, as a long-lived process would."""

from agentroute.policies.learned import shipped_model

shipped_model()
