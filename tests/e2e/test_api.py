"""Every endpoint of the contract over real HTTP against `docseg serve`, with corpus documents."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
import pymupdf
import pytest

from segmentation import DocType, ParseOptions, segment_document
from tests.conftest import corpus_file

pytestmark = pytest.mark.e2e

JOB_FIELDS = {"id", "ip", "documentid", "status", "created", "updated", "completed", "maxsize",
              "timeit", "callbackurl", "progress"}
DOCUMENT_FIELDS = {"id", "status", "created", "updated", "filename", "filesize", "mimetype"}
SEGMENT_FIELDS = {"id", "documentid", "status", "body", "pagenr", "group", "title", "tags", "lang",
                  "created", "updated", "timeit", "ordinal"}
TERMINAL = {"COMPLETED", "FAILED", "CANCELED"}


def submit(client: httpx.Client, name: str, **form) -> dict:
    path = corpus_file(name)
    response = client.post("/jobs", files={"uploadfile": (name, path.read_bytes())},
                           data={k: str(v) for k, v in form.items()})
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["success"] is True and reply["jobid"] and reply["documentid"]
    return reply


def wait_for(client: httpx.Client, job_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        assert 0 <= job["progress"] <= 100
        if job["status"] in TERMINAL:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end in {timeout}s")


def nonspace(text: str) -> int:
    return sum(not c.isspace() for c in text)


def assert_validation_error(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    assert all({"loc", "msg", "type"} <= set(item) for item in detail)
    assert any(item["loc"][-1] == field for item in detail), detail


def test_root_needs_no_auth(service):
    with service.client() as anonymous:
        info = anonymous.get("/").json()
        assert set(info) == {"vendorName", "latestVersion"}
        assert anonymous.get("/openapi.json").status_code == 200
        assert "swagger" in anonymous.get("/docs").text.lower()


def test_dev_token_printed_at_start_works(service):
    with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {service.dev_token}"}) as dev:
        assert dev.get("/jobs/").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/jobs/"), ("GET", "/jobs"), ("POST", "/jobs"), ("GET", "/jobs/x"), ("PATCH", "/jobs/x"),
     ("DELETE", "/jobs/x"), ("GET", "/documents/"), ("GET", "/documents/x"),
     ("GET", "/documents/x/segments"), ("GET", "/documents/x/segments/y")],
)
def test_every_endpoint_needs_a_valid_token(service, method, path):
    expired = service.token("acme", ttl_seconds=-120)
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": f"Bearer {expired}"}):
        response = httpx.request(method, service.url + path, headers=headers)
        assert response.status_code == 401, (headers, response.text)


@pytest.mark.parametrize(
    ("name", "maxsize"),
    [
        ("pdfjs_tracemonkey.pdf", 1000),  # two columns, headings, references
        ("pypdf_multicolumn.pdf", 300),
        ("fek_1_Pres_Decree.pdf", 2000),  # Greek, 100 pages
        ("plumber_nics-background-checks-2015-11.pdf", 500),  # a large table
        ("pymupdf_chinese-tables.pdf", 100),
        # Thousands of segments: stored in several parts, answered in several batches.
        ("pypdf_GeoTopo-komprimiert.pdf", 100),
    ],
)
def test_pdf_end_to_end(service, name, maxsize):
    with service.client("acme") as client:
        reply = submit(client, name, maxsize=maxsize)
        job = wait_for(client, reply["jobid"])
        assert JOB_FIELDS <= set(job)
        assert job["status"] == "COMPLETED", job
        assert job["ip"] == "127.0.0.1" and job["maxsize"] == maxsize and job["progress"] == 100
        assert isinstance(job["timeit"], int) and job["completed"] and job["callbackurl"] is None
        datetime.fromisoformat(job["completed"])

        document = client.get(f"/documents/{reply['documentid']}").json()
        assert set(document) == DOCUMENT_FIELDS
        assert document["status"] == "PROCESSED" and document["filename"] == name
        assert document["filesize"] == corpus_file(name).stat().st_size
        assert document["mimetype"] == "application/pdf"

        segments = client.get(f"/documents/{reply['documentid']}/segments").json()["segments"]
        assert segments and all(set(s) == SEGMENT_FIELDS for s in segments)
        assert [s["ordinal"] for s in segments] == list(range(len(segments)))
        assert all(nonspace(s["body"]) <= maxsize for s in segments)
        assert all(s["status"] == "COMPLETED" and s["documentid"] == reply["documentid"] for s in segments)
        # The same segments as in one process (whose words are the parser's, cleaned: tests/unit).
        expected = segment_document(corpus_file(name).read_bytes(), DocType.PDF, ParseOptions(maxsize=maxsize))
        assert [s["body"] for s in segments] == [d.body for d in expected]
        with pymupdf.open(corpus_file(name)) as pdf:
            assert all(1 <= s["pagenr"] <= pdf.page_count for s in segments)
        assert [s["pagenr"] for s in segments] == sorted(s["pagenr"] for s in segments)

        one = client.get(f"/documents/{reply['documentid']}/segments/{segments[-1]['id']}").json()
        assert one == {"segments": [segments[-1]]}


def test_pypdfium2_backend(service):
    with service.client("acme") as client:
        reply = submit(client, "pdfjs_tracemonkey.pdf", maxsize=1000, pdf_parsing_backend="pypdfium2")
        job = wait_for(client, reply["jobid"])
        assert job["status"] == "COMPLETED", job
        segments = client.get(f"/documents/{reply['documentid']}/segments").json()["segments"]
        assert all(nonspace(s["body"]) <= 1000 for s in segments)
        assert any(s["title"] and "Introduction" in s["title"] for s in segments)
        assert {s["lang"] for s in segments if s["lang"]} == {"en"}


def test_office_and_html_uploads(service):
    with service.client("acme") as client:
        for name, mimetype in (
            ("docling_word_sample.docx", "wordprocessingml"),
            ("pptx_tbl-cell.pptx", "presentationml"),
            ("pymupdf_test_open2.html", "text/html"),
        ):
            reply = submit(client, name, maxsize=300)
            assert wait_for(client, reply["jobid"])["status"] == "COMPLETED"
            assert mimetype in client.get(f"/documents/{reply['documentid']}").json()["mimetype"]
            segments = client.get(f"/documents/{reply['documentid']}/segments").json()["segments"]
            assert segments and all(nonspace(s["body"]) <= 300 for s in segments)


def test_text_and_markdown_uploads(service):
    with service.client("acme") as client:
        reply = submit(client, "fek_decision_6.txt", maxsize=700)
        assert wait_for(client, reply["jobid"])["status"] == "COMPLETED"
        segments = client.get(f"/documents/{reply['documentid']}/segments").json()["segments"]
        data = corpus_file("fek_decision_6.txt").read_bytes()
        expected = segment_document(data, DocType.TXT, ParseOptions(maxsize=700))
        assert [s["body"] for s in segments] == [d.body for d in expected]
        assert client.get(f"/documents/{reply['documentid']}").json()["mimetype"] == "text/plain"

        markdown = b"# Guide\n\n" + b"Some words here. " * 5 + b"\n\n## Setup\n\n" + b"More words. " * 5
        response = client.post(
            "/jobs/", files={"uploadfile": ("guide.md", markdown)}, data={"doctype": "md", "maxsize": "100"}
        )
        assert response.status_code == 200
        job = wait_for(client, response.json()["jobid"])
        segments = client.get(f"/documents/{job['documentid']}/segments").json()["segments"]
        assert [(s["title"], s["group"]) for s in segments] == [("Guide", "Guide"), ("Setup", "Guide > Setup")]


def test_usetags_tag_segments(service):
    with service.client("acme") as client:
        reply = submit(client, "pdfjs_tracemonkey.pdf", maxsize=1500, maxtags=1,
                       usetags='["compilers", "cooking", "geography"]')
        assert wait_for(client, reply["jobid"])["status"] == "COMPLETED"
        segments = client.get(f"/documents/{reply['documentid']}/segments").json()["segments"]
        assert all(len(s["tags"]) <= 1 for s in segments)
        assert sum(s["tags"] == ["compilers"] for s in segments) >= 0.8 * len(segments)


def test_defaults_apply_when_options_are_omitted(service):
    with service.client("acme") as client:
        reply = submit(client, "pypdf_pdflatex-image.pdf")
        job = wait_for(client, reply["jobid"])
        assert job["maxsize"] == 5000 and job["status"] == "COMPLETED"


def test_failed_jobs_say_why(service):
    with service.client("acme") as client:
        encrypted = submit(client, "pdfminer_aes-256.pdf")
        broken = submit(client, "pdfjs_poppler-85140-0.pdf")
        for reply, reason in ((encrypted, "encrypted"), (broken, "cannot be opened")):
            job = wait_for(client, reply["jobid"])
            assert job["status"] == "FAILED" and reason in job["error"], job
            assert job["completed"] is not None


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"maxsize": "50"}, "maxsize"),
        ({"maxsize": "lots"}, "maxsize"),
        ({"usetags": "not json"}, "usetags"),
        ({"usetags": "[1, 2]"}, "usetags"),
        ({"usetags": '{"a": "b"}'}, "usetags"),
        ({"pdf_parsing_backend": "pdfminer"}, "pdf_parsing_backend"),
        ({"doctype": "exe"}, "doctype"),
        ({"doctype": "docx"}, "doctype"),  # contradicts the PDF's bytes
        ({"ocr_backend": "abbyy"}, "ocr_backend"),
        ({"callbackurl": "ftp://example.org/x"}, "callbackurl"),
        ({"enable_ocr": "perhaps"}, "enable_ocr"),
    ],
)
def test_invalid_form_fields_are_422(service, form, field):
    with service.client("acme") as client:
        pdf = corpus_file("pypdf_multicolumn.pdf").read_bytes()
        response = client.post("/jobs", files={"uploadfile": ("a.pdf", pdf)}, data=form)
        assert_validation_error(response, field)


def test_invalid_uploads_are_422(service):
    with service.client("acme") as client:
        assert_validation_error(client.post("/jobs", files={"uploadfile": ("e.pdf", b"")}), "uploadfile")
        assert_validation_error(client.post("/jobs", data={"maxsize": "500"}), "uploadfile")
        garbage = bytes(range(256)) * 8
        assert_validation_error(client.post("/jobs", files={"uploadfile": ("x.bin", garbage)}), "uploadfile")
        odt = corpus_file("ocrmypdf_tagged.odt").read_bytes()  # a zip, but no format docseg reads
        assert_validation_error(client.post("/jobs", files={"uploadfile": ("t.odt", odt)}), "uploadfile")
        assert client.get("/jobs/").status_code == 200  # the service is still fine


def test_tenants_are_isolated_and_admin_sees_all(service):
    with service.client("acme") as acme, service.client("globex") as globex, \
            service.client("root", role="admin") as admin:
        reply = submit(acme, "pypdf_multicolumn.pdf", maxsize=400)
        wait_for(acme, reply["jobid"])
        job_id, document_id = reply["jobid"], reply["documentid"]
        segment_id = acme.get(f"/documents/{document_id}/segments").json()["segments"][0]["id"]
        for path in (f"/jobs/{job_id}", f"/documents/{document_id}",
                     f"/documents/{document_id}/segments", f"/documents/{document_id}/segments/{segment_id}"):
            assert globex.get(path).status_code == 404, path
            assert admin.get(path).status_code == 200, path
        assert globex.patch(f"/jobs/{job_id}", json={"status": "CANCELED"}).status_code == 404
        assert globex.delete(f"/jobs/{job_id}").status_code == 404
        assert job_id not in {j["id"] for j in globex.get("/jobs/").json()["items"]}
        assert document_id not in {d["id"] for d in globex.get("/documents/").json()["items"]}
        assert job_id in {j["id"] for j in admin.get("/jobs").json()["items"]}
        assert document_id in {d["id"] for d in admin.get("/documents").json()["items"]}
        assert acme.get(f"/jobs/{job_id}").json()["status"] == "COMPLETED"


def test_cancel_and_delete(service):
    with service.client("acme") as client:
        reply = submit(client, "pypdf_GeoTopo-komprimiert.pdf", maxsize=150)
        response = client.patch(f"/jobs/{reply['jobid']}", json={"status": "CANCELED"})
        assert response.status_code == 200 and response.json()["status"] == "CANCELED"
        time.sleep(2)
        job = client.get(f"/jobs/{reply['jobid']}").json()
        assert job["status"] == "CANCELED" and job["completed"] is not None
        assert client.get(f"/documents/{reply['documentid']}/segments").json() == {"segments": []}
        assert client.get(f"/documents/{reply['documentid']}").json()["status"] == "CANCELED"
        again = client.patch(f"/jobs/{reply['jobid']}", json={"status": "CANCELED"})
        assert again.status_code == 409
        assert_validation_error(client.patch(f"/jobs/{reply['jobid']}", json={"status": "COMPLETED"}), "status")

        assert client.delete(f"/jobs/{reply['jobid']}").status_code == 204
        assert client.get(f"/jobs/{reply['jobid']}").status_code == 404
        assert client.get(f"/documents/{reply['documentid']}").status_code == 404
        assert client.get(f"/documents/{reply['documentid']}/segments").status_code == 404
        assert client.delete(f"/jobs/{reply['jobid']}").status_code == 404


def test_unknown_ids_are_404(service):
    with service.client("acme") as client:
        for path in ("/jobs/nope", "/documents/nope", "/documents/nope/segments", "/documents/nope/segments/x"):
            assert client.get(path).status_code == 404


def test_restart_keeps_jobs(service):
    """Runs last in this module: stops the service and starts a new one on the same data directory."""
    with service.client("acme") as client:
        reply = submit(client, "pypdf_multicolumn.pdf", maxsize=500)
        before = wait_for(client, reply["jobid"])
        segments = client.get(f"/documents/{reply['documentid']}/segments").json()
    assert service.stop() == 0
    service.start()
    with service.client("acme") as client:
        assert client.get(f"/jobs/{reply['jobid']}").json() == before
        assert client.get(f"/documents/{reply['documentid']}/segments").json() == segments
        again = submit(client, "pypdf_multicolumn.pdf", maxsize=500)
        assert wait_for(client, again["jobid"])["status"] == "COMPLETED"


def test_a_password_opens_an_encrypted_pdf(service):
    with service.client("acme") as client:
        opened = submit(client, "pdfminer_aes-256.pdf", password="baz")
        wrong = submit(client, "pdfminer_aes-256.pdf", password="nope")
        missing = submit(client, "pdfminer_aes-256.pdf")
        assert wait_for(client, opened["jobid"])["status"] == "COMPLETED"
        assert client.get(f"/documents/{opened['documentid']}/segments").json()["segments"]
        assert wait_for(client, wrong["jobid"])["error"] == "the password does not open the PDF"
        assert "send it in the `password` field" in wait_for(client, missing["jobid"])["error"]
        assert "password" not in client.get(f"/jobs/{opened['jobid']}").json()


def test_deep_health_reports_every_part(service):
    with service.client() as client:
        response = client.get("/health")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["status"] == "ok" and report["redis"] and report["dispatcher"] and report["callbacks"]
    assert all(pool["answering"] == pool["actors"] > 0 for pool in report["ocr"].values())
