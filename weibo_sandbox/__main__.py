"""``python -m weibo_sandbox [serve] ...`` runs the sandbox; ``scenario NAME`` and ``message`` drive a running one
through its admin endpoints."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .config import DEFAULT_LIMITS, DEFAULT_TOKEN_LIFETIME, SandboxConfig, parse_limits

COMMANDS = ("serve", "scenario", "message")
DEFAULT_URL = "http://127.0.0.1:8100"
CLIENT_TIMEOUT = 30.0  # seconds: building a large scenario in instant mode takes a few seconds


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, got {port}")
    return port


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0 or math.isnan(value):
        raise argparse.ArgumentTypeError(f"must be zero or more, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = _rate(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than zero")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number above 0 and at most 1, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number above 0 and at most 1, got {text!r}")
    return value


def _words(text: str) -> list[str]:
    words = [w.strip() for w in text.split(",") if w.strip()]
    if not words:
        raise argparse.ArgumentTypeError("expected comma-separated words")
    return words


def _http_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"expected an http(s) URL, got {text!r}")
    return text


def _limits(text: str) -> dict[str, int]:
    try:
        return parse_limits(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _data_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"data dir {text} does not exist or is not a directory")
    return path


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m weibo_sandbox", description="A local Weibo platform over HTTP.")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the sandbox (the default command)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8100)
    serve.add_argument("--app-key", default=SandboxConfig.app_key)
    serve.add_argument("--app-secret", default=SandboxConfig.app_secret)
    serve.add_argument(
        "--safe-domain",
        default=SandboxConfig.safe_domain,
        help="the app's registered domain: statuses/share must link to it",
    )
    serve.add_argument("--push-url", type=_http_url, default=None, help="where fan messages and events are POSTed")
    serve.add_argument("--state-file", type=Path, default=None, help="JSON state: loaded at start, saved every 5 s")
    serve.add_argument("--data-dir", type=_data_dir, default=None, help="shared/data: real texts and cascades")
    serve.add_argument("--traffic-per-minute", type=_rate, default=0.0, help="ambient events per minute (0: off)")
    serve.add_argument("--token-lifetime", type=_positive_int, default=DEFAULT_TOKEN_LIFETIME, help="seconds")
    serve.add_argument(
        "--limits",
        type=_limits,
        default=dict(DEFAULT_LIMITS),
        help="per hour, e.g. calls=150,posts=30,comments=60,messages=60,ip=10000; daily_calls=100 adds a "
        "per-user per-day allowance (default 0: off)",
    )
    # Sandbox assumptions, not Weibo facts (README, "Sandbox"): Weibo publishes none of these.
    serve.add_argument("--post-burst-limit", type=_positive_int, default=SandboxConfig.post_burst_limit,
                       help="posts per user within --post-burst-window before 20016")
    serve.add_argument("--post-burst-window", type=_positive_int, default=SandboxConfig.post_burst_window,
                       help="seconds")
    serve.add_argument("--near-duplicate-jaccard", type=_fraction, default=SandboxConfig.near_duplicate_jaccard,
                       help="3-gram overlap (0-1] from which a post is a near duplicate (20111)")
    serve.add_argument("--forbidden-words", type=_words, default=None, help="comma separated (21602)")
    serve.add_argument("--advertising-words", type=_words, default=None, help="comma separated (20020)")
    serve.add_argument("--pending-seconds", type=_rate, default=SandboxConfig.pending_seconds,
                       help="how long a pending (20032) write stays hidden")
    serve.add_argument("--seed", type=int, default=7)
    serve.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])

    scenario = commands.add_parser("scenario", help="start a scenario on a running sandbox")
    scenario.add_argument("name")
    scenario.add_argument("--url", type=_http_url, default=DEFAULT_URL)
    scenario.add_argument("--account", type=_positive_int, default=None, help="own account uid (default: the first)")
    scenario.add_argument("--instant", action="store_true", help="backfill: release every event now, times past")
    scenario.add_argument("--speed", type=_positive_float, default=1.0)
    scenario.add_argument("--size", type=_positive_int, default=None)
    scenario.add_argument("--seed", type=int, default=None)
    scenario.add_argument("--status", type=_positive_int, default=None,
                          help="an own post to revolve around (lottery_hunters: the campaign post)")

    message = commands.add_parser("message", help="a fan sends a private message to an own account (pushed)")
    message.add_argument("--to", type=_positive_int, required=True, help="own account uid")
    message.add_argument("--text", required=True)
    message.add_argument("--from", dest="from_uid", type=_positive_int, default=None, help="fan uid (default: new)")
    message.add_argument("--url", type=_http_url, default=DEFAULT_URL)
    return root


def _admin(url: str, path: str, body: dict) -> int:
    target = url.rstrip("/") + path
    try:
        response = httpx.post(target, json=body, timeout=CLIENT_TIMEOUT, trust_env=False)
    except httpx.HTTPError as exc:
        print(f"weibo_sandbox: the sandbox is not reachable at {url} ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 2
    try:
        payload = response.json()
    except ValueError:
        print(
            f"weibo_sandbox: {target} answered {response.status_code} without JSON; is it a sandbox?", file=sys.stderr
        )
        return 2
    if response.status_code != 200:
        extra = f" (known: {', '.join(payload['names'])})" if "names" in payload else ""
        print(f"weibo_sandbox: {payload.get('error', response.text)}{extra}", file=sys.stderr)
        return 2
    print(json.dumps(payload, ensure_ascii=False, indent=2))
    return 0


def serve(args: argparse.Namespace) -> int:
    from .platform import StateFileError
    from .server import build_server
    from .traffic import DataDirError

    config = SandboxConfig(
        host=args.host,
        port=args.port,
        app_key=args.app_key,
        app_secret=args.app_secret,
        safe_domain=args.safe_domain,
        push_url=args.push_url,
        state_file=args.state_file,
        data_dir=args.data_dir,
        traffic_per_minute=args.traffic_per_minute,
        token_lifetime=args.token_lifetime,
        limits=args.limits,
        seed=args.seed,
        post_burst_limit=args.post_burst_limit,
        post_burst_window=args.post_burst_window,
        near_duplicate_jaccard=args.near_duplicate_jaccard,
        pending_seconds=args.pending_seconds,
    )
    if args.forbidden_words is not None:
        config.forbidden_words = args.forbidden_words
    if args.advertising_words is not None:
        config.advertising_words = args.advertising_words
    try:
        server = build_server(config, log_level=args.log_level)
    except (StateFileError, DataDirError) as exc:
        print(f"weibo_sandbox: error: {exc}", file=sys.stderr)
        return 2
    print(f"weibo sandbox on {config.base_url} (seed {config.seed}; admin under /_sandbox/)", flush=True)
    server.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help"):
        argv = ["serve", *argv]
    args = parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "scenario":
        body = {"speed": args.speed, "instant": args.instant}
        for name in ("account", "size", "seed", "status"):
            if getattr(args, name) is not None:
                body[name] = getattr(args, name)
        return _admin(args.url, f"/_sandbox/scenarios/{args.name}", body)
    body = {"to_uid": args.to, "text": args.text}
    if args.from_uid is not None:
        body["from_uid"] = args.from_uid
    return _admin(args.url, "/_sandbox/messages", body)


if __name__ == "__main__":
    sys.exit(main())
