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


def _batch(args: argparse.Namespace) -> int:
    import ray

    from cluster.bulk import list_inputs, run_batch
    from segmentation import OcrBackend, ParseOptions, PdfBackend

    settings = Settings()
    options = ParseOptions(
        maxsize=args.maxsize, pdf_parsing_backend=PdfBackend(args.backend), enable_ocr=args.ocr,
        force_full_page_ocr=args.full_ocr, ocr_backend=OcrBackend(args.ocr_backend) if args.ocr_backend else None,
        usetags=tuple(args.tags or ()), maxtags=args.maxtags,
    )
    try:
        inputs = list_inputs(args.input, list_file=args.list)
    except (OSError, ValueError) as exc:
        print(f"docseg: error: {exc}", file=sys.stderr)
        return cli_client.EXIT_OTHER_ERROR
    print(f"docseg: {len(inputs)} documents from {args.input}", file=sys.stderr)
    ray.init(address=settings.ray_address or "local", num_cpus=settings.num_cpus if not settings.ray_address else None,
             include_dashboard=False, log_to_driver=False)
    try:
        report = run_batch(inputs, args.out, options, concurrency=args.concurrency, ocr=settings.ocr)
    finally:
        ray.shutdown()
    print(f"done {report.done}, skipped {report.skipped} (already done), failed {report.failed}; "
          f"{report.segments} segments in {report.seconds:.1f} s; manifest: {args.out}/manifest.json")
    for record in report.documents:
        if record["status"] == "failed":
            print(f"  failed: {record['path']}: {record['error']}", file=sys.stderr)
    return 1 if report.failed else 0


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
    batch = commands.add_parser(
        "batch", help="reprocess a corpus with Ray Data into Parquet (resumable)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Segment every document of INPUT (a directory, a glob, a file, or with --list a file of "
        "paths; local or any URI pyarrow reads, e.g. s3://bucket/docs/) on Ray (local, or RAY_ADDRESS), "
        "writing OUT/segments/<sha256>-<options>.parquet per document and OUT/manifest.json. A rerun "
        "skips documents already done with the same options and retries the failed ones.\n"
        "Example: docseg batch ./corpus --out ./segments --maxsize 1500\n"
        "Exit code 1 when some documents failed (see the manifest).",
    )
    batch.add_argument("input", metavar="INPUT")
    batch.add_argument("--out", required=True, metavar="DIR", help="output directory or URI")
    batch.add_argument("--list", action="store_true", help="INPUT is a file with one path or URI per line")
    batch.add_argument("--concurrency", type=int, default=None, help="documents processed at once")
    batch.add_argument("--maxsize", type=int, default=5000, help="largest segment (default 5000)")
    batch.add_argument("--backend", choices=["pymupdf", "pypdfium2"], default="pymupdf", help="PDF parser")
    batch.add_argument("--ocr", action="store_true", help="OCR pages without a text layer")
    batch.add_argument("--ocr-backend", choices=["easyocr", "tesseract"], help="OCR engine (default easyocr)")
    batch.add_argument("--full-ocr", action="store_true", help="OCR every page")
    batch.add_argument("--tag", dest="tags", action="append", metavar="TAG", help="a tag segments may get")
    batch.add_argument("--maxtags", type=int, default=1, help="most tags per segment (default 1)")
    batch.set_defaults(handler=_batch)
    cli_client.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
