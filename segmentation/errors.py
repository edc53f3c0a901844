"""Errors raised by the segmentation library.

SegmentationError
├── UnsupportedDocument   the bytes are a kind of document this build cannot parse (yet)
├── DoctypeMismatch       the declared doctype contradicts what the bytes are
└── UnreadableDocument    the bytes claim a type but cannot be parsed as it
    └── EncryptedDocument the PDF needs a password

Every message is written for the person who uploaded the file: it says what is wrong with the
input, never how the code failed.
"""


class SegmentationError(Exception):
    """Root of every error this package raises on purpose."""


class UnsupportedDocument(SegmentationError):
    """The document's type is known but not supported by this build."""


class DoctypeMismatch(SegmentationError):
    """The declared doctype contradicts the content."""


class UnreadableDocument(SegmentationError):
    """The document could not be parsed."""


class EncryptedDocument(UnreadableDocument):
    """The document is encrypted and no usable password was given."""
