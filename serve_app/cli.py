"""The `docseg` command line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from serve_app import cli_client
from serve_app.auth import issue_token
from serve_app.settings import Settings

DEV_TOKEN_TTL = 7 * 24 * 3600


def _serve(args: argparse.Namespace) -> int:
    from serve_app.server import LocalService  # Ray is imported only by the commands that need it

    settings = Settings()
    serve_config = settings.serve.model_copy(update={"host": args.host, "port": args.port})
    service = LocalService(settings.model_copy(update={"serve": serve_config}))
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        print("docseg: starting (Ray, Redis, Serve)...", flush=True)
        service.start()
        token = issue_token(service.settings.secret(), "dev", DEV_TOKEN_TTL)
        print(f"docseg: serving at {service.url}  (API docs: {service.url}/docs)")
        print(f"docseg: data directory {service.settings.data_dir}")
        print(f"docseg: dev token (tenant 'dev', 7 days):\n{token}")
        print(f'docseg: try  curl -H "Authorization: Bearer $TOKEN" {service.url}/jobs/')
        print("docseg: Ctrl-C stops everything this command started.", flush=True)
        stop.wait()
    finally:
        print("docseg: stopping...", flush=True)
        service.stop()
        print("docseg: stopped.", flush=True)
    return 0


def _token(args: argparse.Namespace) -> int:
    from serve_app.server import with_secret

    settings = with_secret(Settings())
    print(issue_token(settings.secret(), args.sub, args.ttl, args.role,
                      settings.auth.audience, settings.auth.issuer))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docseg", description="docseg: document segmentation service and tools."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve", help="run the service on this machine",
        description="Start Ray (or join RAY_ADDRESS), Redis (embedded unless REDIS_URL is set) and "
        "the HTTP API; print the URL and a dev token. Ctrl-C stops it.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.set_defaults(handler=_serve)

    token = commands.add_parser(
        "token", help="print a bearer token",
        description="Print a JWT signed with the configured secret (JWT_SECRET, else the data "
        "directory's).",
    )
    token.add_argument("--sub", required=True, help="the tenant the token acts for")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires (default 3600)")
    token.add_argument("--role", default=None, help="'admin' sees every tenant")
    token.set_defaults(handler=_token)
    cli_client.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
