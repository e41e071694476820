"""`agentroute serve`: an OpenAI-compatible HTTP server in front of the router.

Any agent that takes a base URL sends its chat completions here; each request is one routed
step of a task (identified by a header, the `user` field, or the conversation), under that
task's hard budget, traced and remembered like any other run. See docs/serve.md.
"""

from agentroute.serve.app import create_app
from agentroute.serve.settings import ServeSettings

__all__ = ["ServeSettings", "create_app"]
