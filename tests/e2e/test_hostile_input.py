"""Hostile input against a running service: malformed multipart, broken, fuzzed and oversized files.

Each ends in a quick 4xx at the door or a job that ends (FAILED with a reason, or COMPLETED when the
file is still readable); never a 500 or a hang, and a normal job runs fine afterwards.
"""

from __future__ import annotations

import random
import time

import pymupdf
import pytest

from tests.conftest import corpus_file
from tests.e2e.test_api import TERMINAL, submit, wait_for
from tests.unit.test_hostile_images import png_header_only

pytestmark = pytest.mark.e2e

MULTIPART = {"content-type": "multipart/form-data; boundary=B"}


def part(name: str, value: str, filename: str | None = None) -> str:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--B\r\nContent-Disposition: {disposition}\r\n\r\n{value}\r\n"


UPLOAD = part("uploadfile", "hello world", "a.txt")


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("".join(part(f"f{i}", "x") for i in range(5000)) + UPLOAD + "--B--\r\n", MULTIPART),
        ("".join(part(f"f{i}", "x", f"x{i}.txt") for i in range(3000)) + "--B--\r\n", MULTIPART),
        (part("usetags", "a" * (20 * 1024 * 1024)) + UPLOAD + "--B--\r\n", MULTIPART),
        ("--X\r\nnonsense", MULTIPART),
        ("abc", {"content-type": "multipart/form-data"}),
        ('--B\r\nContent-Disposition: form-data; name="uploadfile"; filename="a.txt"\r\n\r\nhel', MULTIPART),
        ("{}", {"content-type": "application/json"}),
    ],
    ids=["5000-fields", "3000-files", "20MB-field", "bad-boundary", "no-boundary", "truncated", "not-multipart"],
)
def test_malformed_multipart_is_a_quick_4xx(service, body, headers):
    with service.client("acme") as client:
        started = time.monotonic()
        response = client.post("/jobs", content=body.encode(), headers=headers)
        assert 400 <= response.status_code < 500, response.text
        assert time.monotonic() - started < 5
        assert client.get("/").status_code == 200


def fuzzed(data: bytes, seed: int, flips: int = 40) -> bytes:
    """The bytes with some overwritten at random places (deterministic per seed)."""
    rng = random.Random(seed)
    mutable = bytearray(data)
    for _ in range(flips):
        mutable[rng.randrange(len(mutable))] = rng.randrange(256)
    return bytes(mutable)


def huge_vector_page() -> bytes:
    with pymupdf.open() as pdf:
        page = pdf.new_page()
        shape = page.new_shape()
        for i in range(60_000):
            shape.draw_line((i % 600, i % 800), ((i * 7) % 600, (i * 13) % 800))
        shape.finish(width=0.1)
        shape.commit()
        page.insert_text((72, 72), "A page drawn with sixty thousand lines.")
        return pdf.tobytes()


def hostile_files() -> dict[str, bytes]:
    multicolumn = corpus_file("pypdf_multicolumn.pdf").read_bytes()
    files = {f"fuzzed-{seed}.pdf": fuzzed(multicolumn, seed) for seed in range(6)}
    files["truncated.pdf"] = corpus_file("fek_6_Pres_Decree_truncated55.pdf").read_bytes()
    files["invalid.pdf"] = corpus_file("ocrmypdf_invalid.pdf").read_bytes()
    files["poppler-fuzz.pdf"] = corpus_file("pdfjs_poppler-85140-0.pdf").read_bytes()
    files["encrypted.pdf"] = corpus_file("pdfminer_aes-256.pdf").read_bytes()
    files["bomb.png"] = png_header_only(40_000, 40_000)
    files["vector.pdf"] = huge_vector_page()
    files["half.pdf"] = multicolumn[: len(multicolumn) // 2]
    return files


def test_hostile_files_end_cleanly_and_the_service_stays_healthy(service):
    outcomes = {}
    with service.client("acme") as client:
        jobs = {}
        for name, data in hostile_files().items():
            response = client.post("/jobs", files={"uploadfile": (name, data)}, data={"enable_ocr": "false"})
            assert response.status_code in (200, 413, 422), (name, response.status_code, response.text)
            if response.status_code == 200:
                jobs[name] = response.json()["jobid"]
            else:
                outcomes[name] = f"{response.status_code} at the door"
        for name, job_id in jobs.items():
            job = wait_for(client, job_id, timeout=120)
            assert job["status"] in TERMINAL
            assert job["status"] == "COMPLETED" or job["error"], (name, job)
            outcomes[name] = job["status"] + (f": {job['error']}" if job["error"] else "")
        assert "encrypted" in outcomes["encrypted.pdf"]
        assert "too many pixels" in outcomes["bomb.png"] or "422" in outcomes["bomb.png"]
        assert outcomes["vector.pdf"].startswith("COMPLETED")
        # The same service, right after: a normal document completes.
        normal = submit(client, "pypdf_multicolumn.pdf")
        assert wait_for(client, normal["jobid"])["status"] == "COMPLETED"
    print("\n".join(f"{name}: {outcome}" for name, outcome in sorted(outcomes.items())))
