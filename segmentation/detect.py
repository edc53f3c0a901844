"""Tell a document's type from its bytes; the declared doctype and the file name are only hints."""

from __future__ import annotations

import io
import zipfile
from typing import BinaryIO

from segmentation.errors import DoctypeMismatch, UnsupportedDocument
from segmentation.models import DocType

_MARKDOWN_EXTENSIONS = (".md", ".markdown")
_HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body")
# Bytes that never occur in text; their presence means binary content.
_BINARY_BYTES = set(range(0, 9)) | {11, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}


# Bytes, or a seekable binary file (an upload spooled to disk): detection reads only its head and,
# for a zip, its directory.
Source = bytes | BinaryIO
_HEAD_BYTES = 4096


def _head(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source[:_HEAD_BYTES]
    source.seek(0)
    head = source.read(_HEAD_BYTES)
    source.seek(0)
    return head


def _zip_type(source: Source) -> DocType | None:
    try:
        names = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source).namelist()
    except zipfile.BadZipFile:
        return None
    finally:
        if not isinstance(source, bytes):
            source.seek(0)
    for prefix, doctype in (("word/", DocType.DOCX), ("ppt/", DocType.PPTX), ("xl/", DocType.XLSX)):
        if any(name.startswith(prefix) for name in names):
            return doctype
    return None


def _is_text(sample: bytes) -> bool:
    if sample.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return True
    return not any(byte in _BINARY_BYTES for byte in sample.replace(b"\x0c", b""))


def _text_head(sample: bytes) -> str:
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return sample.decode("utf-16", "ignore")
    return sample.decode("utf-8", "ignore")


def sniff(source: Source, filename: str = "") -> DocType | None:
    """The document type the bytes are, or None when they are no type docseg knows."""
    sample = _head(source)
    head = sample[:1024]
    if b"%PDF-" in head:
        return DocType.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return DocType.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return DocType.JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return DocType.TIFF
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(source)
    if not _is_text(sample):
        return None
    text_head = _text_head(sample).lstrip().lower()
    if text_head.startswith(_HTML_MARKERS) or "<html" in text_head[:1024]:
        return DocType.HTML
    if filename.lower().endswith(_MARKDOWN_EXTENSIONS):
        return DocType.MD
    return DocType.TXT


def resolve_doctype(source: Source, declared: DocType | None, filename: str = "") -> DocType:
    """The type to parse the bytes as: the detected one, checked against what the client declared."""
    detected = sniff(source, filename)
    if detected is None:
        named = f" ({declared.value} was declared)" if declared else ""
        raise UnsupportedDocument(f"the upload is not a document type docseg can read{named}")
    if declared is None or declared == detected:
        return detected
    # Markdown is text: a client may call a text file md and a Markdown file txt.
    if {declared, detected} <= {DocType.TXT, DocType.MD}:
        return declared
    raise DoctypeMismatch(
        f"doctype '{declared.value}' does not match the content, which is {detected.value}"
    )
