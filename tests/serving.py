"""An `agentroute serve` app running in-process on 127.0.0.1 (uvicorn in a thread), for tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from agentroute.app import AgentRoute
from agentroute.serve import ServeSettings, create_app
from agentroute.serve.server import make_server


@contextmanager
def serving(settings: ServeSettings, route: AgentRoute) -> Iterator[str]:
    """Serve the routing app on a free port; yields its base URL (`http://127.0.0.1:PORT/v1`)."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = make_server(create_app(settings, route))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the routing server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        route.store.flush(5)
