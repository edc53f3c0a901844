"""Bulk reprocessing with Ray Data on a real local Ray: Parquet per document, a manifest, resumable."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from cluster.bulk import list_inputs, run_batch
from segmentation import DocType, ParseOptions, segment_document
from tests.conftest import corpus_file

pytestmark = pytest.mark.usefixtures("ray_cluster")

GOOD = ["pypdf_multicolumn.pdf", "docling_word_sample.docx", "fek_decision_6.txt"]
OPTIONS = ParseOptions(maxsize=800)


def corpus_folder(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for name in GOOD:
        shutil.copy(corpus_file(name), folder / "sub" / name if name.endswith(".txt") else folder / name)
    shutil.copy(corpus_file("ocrmypdf_invalid.pdf"), folder / "broken.pdf")
    return folder


def test_a_folder_becomes_parquet_and_a_manifest_and_a_rerun_only_retries_failures(tmp_path):
    folder, out = corpus_folder(tmp_path), tmp_path / "out"
    inputs = list_inputs(str(folder))
    assert len(inputs) == 4  # found recursively

    first = run_batch(inputs, str(out), OPTIONS)
    assert (first.done, first.skipped, first.failed) == (3, 0, 1)
    manifest = json.loads((out / "manifest.json").read_text())
    [broken] = [d for d in manifest["documents"] if d["status"] == "failed"]
    assert broken["path"].endswith("broken.pdf") and "cannot be opened" in broken["error"]
    assert manifest["options"]["maxsize"] == 800

    table = pq.read_table(out / "segments").to_pylist()
    assert {"path", "sha256", "options", "ordinal", "body", "pagenr", "title", "group", "tags", "lang"} <= set(table[0])
    rows = sorted((r for r in table if r["path"].endswith("multicolumn.pdf")), key=lambda r: r["ordinal"])
    expected = segment_document(corpus_file("pypdf_multicolumn.pdf").read_bytes(), DocType.PDF, OPTIONS)
    assert [r["body"] for r in rows] == [d.body for d in expected]

    again = run_batch(inputs, str(out), OPTIONS)
    assert (again.done, again.skipped, again.failed) == (0, 3, 1)
    shutil.copy(corpus_file("pdfjs_tracemonkey.pdf"), folder / "broken.pdf")  # the bad file is replaced
    fixed = run_batch(inputs, str(out), OPTIONS)
    assert (fixed.done, fixed.skipped, fixed.failed) == (1, 3, 0)
    other_options = run_batch(inputs, str(out), ParseOptions(maxsize=1600))
    assert other_options.done == 4  # other options: other output, nothing skipped


def test_globs_and_list_files(tmp_path):
    folder = corpus_folder(tmp_path)
    assert [p.rsplit("/", 1)[1] for p in list_inputs(f"{folder}/*.pdf")] == ["broken.pdf", "pypdf_multicolumn.pdf"]
    listing = tmp_path / "inputs.txt"
    listing.write_text(f"# two of them\n{folder}/pypdf_multicolumn.pdf\n{folder}/sub/fek_decision_6.txt\n")
    assert len(list_inputs(str(listing), list_file=True)) == 2


def test_the_batch_command(tmp_path):
    folder, out = corpus_folder(tmp_path), tmp_path / "out"
    command = [sys.executable, "-m", "serve_app.cli", "batch", str(folder), "--out", str(out), "--maxsize", "800"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr  # one document failed
    assert "done 3, skipped 0 (already done), failed 1" in run.stdout
    assert "broken.pdf" in run.stderr
    assert len(list((out / "segments").glob("*.parquet"))) == 3
