"""Run an ASGI app with uvicorn on a socket that is already bound (so `--port 0` works)."""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI


def make_server(app: FastAPI, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for `app` (HTTP/1.1 keep-alive; one process, the router is in memory)."""
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, timeout_graceful_shutdown=5))


def run_server(app: FastAPI, listener: socket.socket, log_level: str = "info") -> None:
    """Serve `app` on `listener` until interrupted."""
    make_server(app, log_level).run(sockets=[listener])
