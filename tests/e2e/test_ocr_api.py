"""OCR and embedded images through the HTTP API of a running `docseg serve`."""

from __future__ import annotations

import re

import pymupdf
import pytest

from segmentation.quality import character_error_rate
from tests.conftest import corpus_file
from tests.e2e.test_api import submit, wait_for

pytestmark = pytest.mark.e2e


def segments_of(client, document_id: str) -> list[dict]:
    return client.get(f"/documents/{document_id}/segments").json()["segments"]


def test_image_upload_is_ocrd(service):
    with service.client("acme") as client:
        reply = submit(client, "tess_phototest.tif", maxsize=500)
        job = wait_for(client, reply["jobid"], timeout=300)
        assert job["status"] == "COMPLETED", job
        assert client.get(f"/documents/{reply['documentid']}").json()["mimetype"] == "image/tiff"
        text = " ".join(s["body"] for s in segments_of(client, reply["documentid"]))
        assert character_error_rate(text, corpus_file("tess_phototest.gt.txt").read_text()) < 0.1


def test_mixed_pdf_with_tesseract(service):
    with service.client("acme") as client:
        reply = submit(client, "paperless_multi-page-mixed.pdf", enable_ocr="true", ocr_backend="tesseract")
        job = wait_for(client, reply["jobid"], timeout=300)
        assert job["status"] == "COMPLETED" and job["pages_without_text"] == 0, job
        text = "\n".join(s["body"] for s in segments_of(client, reply["documentid"]))
        reference = corpus_file("paperless_multi-page-mixed.gt.txt").read_text()
        assert character_error_rate(text, reference) < 0.05

        without = submit(client, "paperless_multi-page-mixed.pdf")
        assert wait_for(client, without["jobid"])["pages_without_text"] == 3


def test_process_images_stores_links_and_serves_images(service, tmp_path):
    # A page with text around an image that itself holds text (derived from two corpus files).
    derived = tmp_path / "figure.pdf"
    with pymupdf.open() as pdf:
        page = pdf.new_page()
        page.insert_textbox(pymupdf.Rect(50, 40, 550, 200), "Figure caption. " * 30, fontsize=11)
        page.insert_image(pymupdf.Rect(50, 220, 530, 580), filename=str(corpus_file("tess_phototest.tif")))
        page.insert_textbox(pymupdf.Rect(50, 600, 550, 780), "Closing words after the figure. " * 10, fontsize=11)
        pdf.save(derived)

    with service.client("acme") as client, service.client("globex") as other:
        response = client.post(
            "/jobs", files={"uploadfile": ("figure.pdf", derived.read_bytes())},
            data={"process_images": "true", "enable_ocr": "true", "ocr_backend": "tesseract", "maxsize": "5000"},
        )
        reply = response.json()
        job = wait_for(client, reply["jobid"], timeout=300)
        assert job["status"] == "COMPLETED", job
        body = "\n".join(s["body"] for s in segments_of(client, reply["documentid"]))
        links = re.findall(r"!\[image\]\((/documents/[^)]+)\)", body)
        assert len(links) == 1
        assert links[0].startswith(f"/documents/{reply['documentid']}/images/")
        after_link = body.split(links[0])[1]
        assert "quick brown dog" in after_link  # the OCR'd text of the image follows its link
        assert body.index("Figure caption") < body.index(links[0]) < body.index("Closing words")

        image = client.get(links[0])
        assert image.status_code == 200 and image.headers["content-type"].startswith("image/")
        assert image.content[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb", b"II*\x00")
        assert other.get(links[0]).status_code == 404
        assert client.get(f"/documents/{reply['documentid']}/images/nope").status_code == 404

        assert client.delete(f"/jobs/{reply['jobid']}").status_code == 204
        assert client.get(links[0]).status_code == 404


def test_unknown_backend_is_422_and_text_pdf_without_ocr_needs_none(service):
    with service.client("acme") as client:
        response = client.post(
            "/jobs", files={"uploadfile": ("a.pdf", corpus_file("pypdf_multicolumn.pdf").read_bytes())},
            data={"ocr_backend": "abbyy"},
        )
        assert response.status_code == 422
        reply = submit(client, "pypdf_multicolumn.pdf")
        assert wait_for(client, reply["jobid"])["pages_without_text"] == 0
