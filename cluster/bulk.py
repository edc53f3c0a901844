"""Bulk reprocessing of a corpus with Ray Data: documents in, one Parquet file of segments per document out.

Inputs are a directory (searched recursively), a glob, a single file, or a list file of paths or
URIs, on any filesystem pyarrow knows (local paths, `s3://...`, `gs://...`). Each document is
processed where Ray Data places it, by the same code as the service (`segmentation.document`), with
pages that need OCR sent to the service's OCR actor pool. Its segments are written to
`OUT/segments/<sha256>-<options hash>.parquet`, one row per segment with the document's path,
content hash and options. A run manifest (`OUT/manifest.json`) lists every document's status
(done, skipped, failed) with errors and timings.

Resumable: a document whose content hash and options already have a Parquet file is skipped, so a
rerun does only what failed or is new. A document that fails is recorded and never stops the run.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import ray

from cluster.config import OcrConfig
from cluster.ocr_pool import OcrPools, recognize_pages
from segmentation import ParseOptions, SegmentationError, document
from segmentation.detect import resolve_doctype

MANIFEST = "manifest.json"
SEGMENTS_DIR = "segments"
SUFFIXES = (".pdf", ".docx", ".pptx", ".xlsx", ".html", ".htm", ".md", ".txt", ".png", ".jpg", ".jpeg",
            ".tif", ".tiff")

SCHEMA = pa.schema([
    ("path", pa.string()), ("sha256", pa.string()), ("options", pa.string()), ("ordinal", pa.int32()),
    ("body", pa.string()), ("pagenr", pa.int32()), ("title", pa.string()), ("group", pa.string()),
    ("tags", pa.list_(pa.string())), ("lang", pa.string()),
])


@dataclass
class BatchReport:
    """What a run did; also written as the manifest."""

    done: int = 0
    skipped: int = 0
    failed: int = 0
    segments: int = 0
    seconds: float = 0.0
    documents: list[dict[str, Any]] = field(default_factory=list)


def options_key(options: ParseOptions) -> tuple[str, str]:
    """The options as stored JSON, and a short hash of them for file names."""
    text = json.dumps(asdict(options), sort_keys=True, default=str)
    return text, hashlib.sha256(text.encode()).hexdigest()[:12]


def list_inputs(source: str, list_file: bool = False) -> list[str]:
    """The documents named by a directory, glob, file, or (with `list_file`) a file of paths."""
    if list_file:
        lines = _read(source).decode().splitlines()
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    prefix, pattern = source, None
    if any(ch in source for ch in "*?["):
        prefix = source[: min(source.index(ch) for ch in "*?[" if ch in source)].rsplit("/", 1)[0] or "."
        pattern = source
    filesystem, base = _filesystem(prefix)
    scheme = prefix.split("://", 1)[0] + "://" if "://" in prefix else ""
    info = filesystem.get_file_info(base)
    if info.type == pafs.FileType.File:
        return [source]
    if info.type != pafs.FileType.Directory:
        raise FileNotFoundError(f"no file or directory at {prefix}")
    found = filesystem.get_file_info(pafs.FileSelector(base, recursive=True))
    paths = sorted(scheme + f.path for f in found if f.type == pafs.FileType.File)
    if pattern is not None:
        return [p for p in paths if fnmatch.fnmatch(p, pattern)]
    return [p for p in paths if p.lower().endswith(SUFFIXES)]


def _filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    if "://" in uri:
        return pafs.FileSystem.from_uri(uri)
    return pafs.LocalFileSystem(), uri


def _read(uri: str) -> bytes:
    filesystem, path = _filesystem(uri)
    with filesystem.open_input_stream(path) as stream:
        return bytes(stream.read())


def process_document(
    row: dict[str, Any], out: str, options: ParseOptions, ocr_actors: list[Any] | None, dpi: int
) -> dict[str, Any]:
    """One document: skipped when its output exists, else parsed, segmented and written; never raises."""
    path, started = row["path"], time.monotonic()
    record: dict[str, Any] = {"path": path, "sha256": None, "status": "failed", "error": None, "segments": 0}
    try:
        data = _read(path)
        digest = hashlib.sha256(data).hexdigest()
        record["sha256"] = digest
        options_json, options_hash = options_key(options)
        filesystem, out_path = _filesystem(out)
        target = f"{out_path}/{SEGMENTS_DIR}/{digest}-{options_hash}.parquet"
        if filesystem.get_file_info(target).type == pafs.FileType.File:
            record["status"] = "skipped"
            return record
        doctype = resolve_doctype(data, None, path.rsplit("/", 1)[-1])  # raises for bytes no parser reads
        pages = document.extract_pages(data, doctype, options, 0, document.count_pages(data, doctype, options))
        if ocr_actors is not None and document.wants_ocr(doctype, options):
            pages = document.apply_ocr(
                data, doctype, options, pages, lambda images: recognize_pages(ocr_actors, images), dpi
            )
        drafts = document.assemble(pages, options).segments
        table = pa.Table.from_pylist([
            {"path": path, "sha256": digest, "options": options_json, "ordinal": d.ordinal, "body": d.body,
             "pagenr": d.pagenr, "title": d.title, "group": d.group, "tags": list(d.tags), "lang": d.lang}
            for d in drafts
        ], schema=SCHEMA)
        filesystem.create_dir(f"{out_path}/{SEGMENTS_DIR}", recursive=True)
        # Written under a temporary name and moved into place: a half-written file is never taken as done.
        partial = f"{target}.partial"
        pq.write_table(table, partial, filesystem=filesystem)
        filesystem.move(partial, target)
        record.update(status="done", segments=len(drafts))
    except (SegmentationError, OSError, ValueError) as exc:
        record["error"] = str(exc)
    except Exception as exc:  # a parser bug must cost this document, not the run
        record["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        record["seconds"] = round(time.monotonic() - started, 3)
    return record


def run_batch(
    inputs: Iterable[str],
    out: str,
    options: ParseOptions,
    *,
    concurrency: int | None = None,
    ocr: OcrConfig | None = None,
) -> BatchReport:
    """Process every input with Ray Data (Ray must be initialised) and write the manifest."""
    started = time.monotonic()
    paths = list(inputs)
    report = BatchReport()
    if paths:
        ocr_config = ocr or OcrConfig()
        actors = OcrPools(ocr_config).actors(options.ocr_backend) if (
            options.enable_ocr or options.force_full_page_ocr or any(
                p.lower().endswith((".png", ".jpg", ".jpeg", ".tif", ".tiff")) for p in paths)
        ) else None
        dataset = ray.data.from_items([{"path": p} for p in paths], override_num_blocks=min(len(paths), 200))
        work = partial(process_document, out=out, options=options, ocr_actors=actors, dpi=ocr_config.dpi)
        results = dataset.map(work, concurrency=concurrency, num_cpus=1).take_all()
        for record in sorted(results, key=lambda r: r["path"]):
            report.documents.append(record)
            setattr(report, record["status"], getattr(report, record["status"]) + 1)
            report.segments += record["segments"]
    report.seconds = round(time.monotonic() - started, 3)
    filesystem, out_path = _filesystem(out)
    filesystem.create_dir(out_path, recursive=True)
    options_json, _ = options_key(options)
    with filesystem.open_output_stream(f"{out_path}/{MANIFEST}") as stream:
        stream.write(json.dumps({"options": json.loads(options_json), **asdict(report)}, indent=1).encode())
    return report
