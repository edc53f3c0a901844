"""The Python client against a running `docseg serve`."""

from __future__ import annotations

import asyncio

import pytest

from serve_app.client import (
    AsyncClient,
    AuthenticationError,
    Client,
    ConflictError,
    JobFailedError,
    NotFoundError,
    ValidationError,
)
from tests.conftest import corpus_file

pytestmark = pytest.mark.e2e

SEGMENT_FIELDS = {"id", "documentid", "status", "body", "pagenr", "group", "title", "tags", "lang",
                  "created", "updated", "timeit", "ordinal"}


def test_submit_wait_segments_and_a_dataframe(service, capsys):
    with Client(service.url, service.token("notebook")) as client:
        job = client.submit(corpus_file("pdfjs_tracemonkey.pdf"), maxsize=1000, usetags=["compilers", "cooking"])
        final = job.wait(timeout=120)
        assert final["status"] == "COMPLETED" and final["progress"] == 100
        assert "100%" in capsys.readouterr().err  # the tqdm bar reached the end
        segments = job.segments()
        frame = job.segments_frame()
        assert len(frame) == len(segments) and SEGMENT_FIELDS <= set(frame.columns)
        assert frame["ordinal"].tolist() == list(range(len(frame)))
        assert (frame["body"].str.replace(r"\s", "", regex=True).str.len() <= 1000).all()
        assert str(frame["created"].dtype).startswith("datetime64")
        assert job.id in {j["id"] for j in client.jobs()}
        job.delete()
        with pytest.raises(NotFoundError):
            job.status()


def test_submit_many_keeps_order_and_wait_all_follows_them(service):
    names = ["pypdf_multicolumn.pdf", "fek_decision_6.txt", "docling_word_sample.docx", "pdfminer_jo.pdf"]
    with Client(service.url, service.token("notebook")) as client:
        jobs = client.submit_many([corpus_file(n) for n in names], concurrency=2, maxsize=500, progress=False)
        assert [job.filename for job in jobs] == names
        states = client.wait_all(jobs, timeout=120, progress=False)
        assert [s["status"] for s in states] == ["COMPLETED"] * len(names)


def test_typed_errors(service):
    with Client(service.url, "not-a-token") as client, pytest.raises(AuthenticationError):
        client.jobs()
    with Client(service.url, service.token("notebook")) as client:
        with pytest.raises(ValidationError) as refused:
            client.submit(b"%PDF-1.4 not really", filename="x.pdf", maxsize=5)
        assert any(d["loc"][-1] == "maxsize" for d in refused.value.detail)
        with pytest.raises(NotFoundError):
            client.job("nope")
        done = client.submit(b"Some words to segment. " * 10, filename="a.txt")
        done.wait(progress=False)
        with pytest.raises(ConflictError):
            done.cancel()
        encrypted = client.submit(corpus_file("pdfminer_aes-256.pdf"))
        with pytest.raises(JobFailedError, match="encrypted"):
            encrypted.wait(progress=False, raise_on_failure=True)


def test_async_client(service):
    async def main() -> list[str]:
        async with AsyncClient(service.url, service.token("async")) as client:
            jobs = await client.submit_many([corpus_file("pypdf_multicolumn.pdf"), b"plain words here " * 5])
            states = await asyncio.gather(*(job.wait(timeout=120) for job in jobs))
            assert all(s["status"] == "COMPLETED" for s in states)
            return [s["body"] for s in await jobs[0].segments()]

    assert asyncio.run(main())
