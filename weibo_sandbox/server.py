"""The uvicorn server for a sandbox. ``build_server(config).run()`` serves in the calling (main) thread with
uvicorn's own signal handling, so Ctrl-C or SIGTERM shut it down cleanly (state saved on the way out)."""

from __future__ import annotations

import uvicorn

from .app import create_app
from .config import SandboxConfig


def build_server(config: SandboxConfig, *, log_level: str = "warning") -> uvicorn.Server:
    """Raises StateFileError or DataDirError (with a message naming the file) before binding any port."""
    app = create_app(config)
    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_level=log_level,
        access_log=False,  # /_sandbox/requests keeps the API log; a line per request would drown the console
        lifespan="on",
        timeout_graceful_shutdown=3,  # seconds: slow-fault sleepers must not hold a shutdown hostage
    )
    return uvicorn.Server(uv_config)
