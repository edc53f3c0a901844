"""The notebooks run top to bottom (nbclient, a real kernel) against a service the test started."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO, corpus_file

pytestmark = pytest.mark.e2e

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
DOCUMENTS = ["pypdf_multicolumn.pdf", "docling_word_sample.docx", "fek_decision_6.txt", "pdfminer_jo.pdf"]


def test_notebooks_are_committed_without_outputs():
    assert len(NOTEBOOKS) == 2
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(service, path: Path, tmp_path, monkeypatch):
    docs = tmp_path / "documents"
    docs.mkdir()
    for name in DOCUMENTS:
        shutil.copy(corpus_file(name), docs / name)
    # The kernel inherits this environment: the service to reach, the folder to read, a place to write.
    monkeypatch.setenv("DOCSEG_URL", service.url)
    monkeypatch.setenv("DOCSEG_TOKEN", service.token("notebook"))
    monkeypatch.setenv("DOCSEG_NOTEBOOK_DOCS", str(docs))
    monkeypatch.setenv("DOCSEG_NOTEBOOK_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    notebook = nbformat.read(path, as_version=4)
    runner = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    runner.execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
