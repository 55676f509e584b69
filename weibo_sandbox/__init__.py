"""A local Weibo platform over real HTTP: OAuth2, the /2/ API the app uses, the fan-service push, traffic and
scenarios, fault injection. Django-free: it imports no app of the project.

Run it with ``python -m weibo_sandbox``; embed it with ``weibo_sandbox.server.build_server(config)``."""

from .config import SandboxConfig

__all__ = ["SandboxConfig"]
