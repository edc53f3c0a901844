"""`docseg submit | status | jobs | segments | cancel | delete`: the API from a terminal.

The URL and token come from --url/--token or DOCSEG_URL/DOCSEG_TOKEN. Output is a readable table,
or JSON with --json. Exit codes: 0 done, 1 a job did not complete, 3 authentication refused,
4 not found, 5 request refused (invalid, conflicting or too large), 6 service unavailable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from serve_app.client import (
    AuthenticationError,
    Client,
    ConflictError,
    DocsegError,
    NotFoundError,
    ServerBusyError,
    TooLargeError,
    ValidationError,
)

EXIT_JOB_NOT_COMPLETED = 1
EXIT_CODES: list[tuple[type[DocsegError], int]] = [
    (AuthenticationError, 3), (NotFoundError, 4), (ValidationError, 5), (ConflictError, 5), (TooLargeError, 5),
    (ServerBusyError, 6),
]
EXIT_OTHER_ERROR = 7

Handler = Callable[[argparse.Namespace, Client], int]


def _print(args: argparse.Namespace, rows: Iterable[dict[str, Any]], columns: list[str]) -> None:
    rows = list(rows)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "maxsize": args.maxsize, "doctype": args.doctype, "usetags": args.tags, "maxtags": args.maxtags,
        "callbackurl": args.callback, "process_images": args.images or None,
        "pdf_parsing_backend": args.backend, "enable_ocr": args.ocr or None, "ocr_backend": args.ocr_backend,
        "force_full_page_ocr": args.full_ocr or None, "password": args.password,
    }


def _submit(args: argparse.Namespace, client: Client) -> int:
    files = [Path(name) for name in args.files]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"docseg: error: not a file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_OTHER_ERROR
    jobs = client.submit_many(files, concurrency=args.concurrency, progress=not args.json, **_options(args))
    if not args.wait:
        _print(args, ({"jobid": j.id, "documentid": j.document_id, "file": j.filename} for j in jobs),
               ["jobid", "documentid", "file"])
        return 0
    states = client.wait_all(jobs, progress=not args.json)
    _print(args, (
        {"jobid": j.id, "documentid": j.document_id, "file": j.filename, "status": s["status"],
         "error": s.get("error") or ""} for j, s in zip(jobs, states, strict=True)
    ), ["jobid", "file", "status", "error"])
    if args.out:
        with Path(args.out).open("w", encoding="utf-8") as out:
            for job, state in zip(jobs, states, strict=True):
                if state["status"] == "COMPLETED":
                    for segment in job.segments():
                        out.write(json.dumps({"file": job.filename, **segment}, ensure_ascii=False) + "\n")
    return 0 if all(s["status"] == "COMPLETED" for s in states) else EXIT_JOB_NOT_COMPLETED


def _status(args: argparse.Namespace, client: Client) -> int:
    state = client.job(args.jobid).status()
    _print(args, [state], ["id", "status", "progress", "documentid", "error"])
    return 0


def _jobs(args: argparse.Namespace, client: Client) -> int:
    _print(args, client.jobs(), ["id", "status", "progress", "created", "documentid"])
    return 0


def _segments(args: argparse.Namespace, client: Client) -> int:
    segments = client.segments(args.documentid)
    if args.out:
        with Path(args.out).open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(s, ensure_ascii=False) + "\n" for s in segments)
        return 0
    if args.json:
        _print(args, segments, [])
        return 0
    for segment in segments:
        print(f"--- {segment['ordinal']}  page {segment['pagenr']}  {segment['title'] or ''}  [{segment['lang']}]")
        print(segment["body"])
    return 0


def _cancel(args: argparse.Namespace, client: Client) -> int:
    state = client.job(args.jobid).cancel()
    _print(args, [state], ["id", "status"])
    return 0


def _delete(args: argparse.Namespace, client: Client) -> int:
    client.job(args.jobid).delete()
    if not args.json:
        print(f"deleted {args.jobid}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Call the handler with a client; user errors become a message and an exit code, not a traceback."""
    handler: Handler = args.client_handler
    try:
        with Client(args.url, args.token) as client:
            return handler(args, client)
    except DocsegError as exc:
        print(f"docseg: error: {exc}", file=sys.stderr)
        return next((code for kind, code in EXIT_CODES if isinstance(exc, kind)), EXIT_OTHER_ERROR)
    except OSError as exc:
        print(f"docseg: error: {exc}", file=sys.stderr)
        return EXIT_OTHER_ERROR


def register(commands: Any) -> None:
    """Add the client commands to the `docseg` parser's subcommands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", help="the service (default $DOCSEG_URL, else http://127.0.0.1:8000)")
    common.add_argument("--token", help="bearer token (default $DOCSEG_TOKEN; `docseg token` makes one)")
    common.add_argument("--json", action="store_true", help="print JSON lines instead of a table")

    def add(name: str, handler: Handler, help_text: str, description: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(
            name, parents=[common], help=help_text, description=description + "\n\n" + __doc__.split("\n\n")[1],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.set_defaults(handler=run, client_handler=handler)
        return parser

    submit = add("submit", _submit, "upload documents as jobs",
                 "Upload each FILE as a job. With --wait, follow them to the end (a progress bar on stderr) "
                 "and, with --out, write every segment as a JSON line.\n"
                 "Example: docseg submit reports/*.pdf --wait --out segments.jsonl --maxsize 1500 --ocr")
    submit.add_argument("files", nargs="+", metavar="FILE")
    submit.add_argument("--wait", action="store_true", help="wait until every job has ended")
    submit.add_argument("--out", metavar="FILE.jsonl", help="with --wait: write the segments here")
    submit.add_argument("--concurrency", type=int, default=4, help="uploads at once (default 4)")
    submit.add_argument("--maxsize", type=int, help="largest segment in non-whitespace characters (default 5000)")
    submit.add_argument("--doctype", help="pdf, docx, pptx, xlsx, txt, html, md (default: detected)")
    submit.add_argument("--tag", dest="tags", action="append", metavar="TAG",
                        help="a tag segments may get (repeat for more)")
    submit.add_argument("--maxtags", type=int, help="most tags per segment (default 1)")
    submit.add_argument("--callback", metavar="URL", help="callbackurl: receives progress and the result")
    submit.add_argument("--images", action="store_true", help="process_images: extract embedded images")
    submit.add_argument("--backend", choices=["pymupdf", "pypdfium2"], help="PDF parser (default pymupdf)")
    submit.add_argument("--ocr", action="store_true", help="enable_ocr: OCR pages without a text layer")
    submit.add_argument("--ocr-backend", choices=["easyocr", "tesseract"], help="OCR engine (default easyocr)")
    submit.add_argument("--full-ocr", action="store_true", help="force_full_page_ocr: OCR every page")
    submit.add_argument("--password", help="opens an encrypted PDF")

    add("status", _status, "show a job", "Show one job's status and progress.").add_argument("jobid")
    add("jobs", _jobs, "list your jobs", "List the jobs of the token's tenant.")
    segments = add("segments", _segments, "print a document's segments",
                   "Print a document's segments, or write them as JSON lines with --out.")
    segments.add_argument("documentid")
    segments.add_argument("--out", metavar="FILE.jsonl", help="write JSON lines here")
    add("cancel", _cancel, "cancel a job", "Cancel a job that has not ended.").add_argument("jobid")
    add("delete", _delete, "delete a job and its document",
        "Delete a job with its document, segments and images (a running job is cancelled first).",
        ).add_argument("jobid")
