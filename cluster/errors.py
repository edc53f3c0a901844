"""Errors raised by the cluster layer.

ClusterError
├── JobNotFound          no such job (or not the caller's)
├── DocumentNotFound     no such document (or not the caller's)
│   ├── SegmentNotFound  the document has no segment with that id
│   └── ImageNotFound    the document has no extracted image with that id
├── InvalidTransition    the job's status does not allow the requested move (e.g. cancel a finished job)
└── StaleAttempt         a runner that lost its lease tried to write (it must stop quietly)
"""


class ClusterError(Exception):
    """Root of every error this package raises on purpose."""


class JobNotFound(ClusterError):
    """The job does not exist or belongs to another tenant."""


class DocumentNotFound(ClusterError):
    """The document does not exist or belongs to another tenant."""


class SegmentNotFound(DocumentNotFound):
    """The document exists but has no segment with that id."""


class ImageNotFound(DocumentNotFound):
    """The document exists but has no extracted image with that id."""


class InvalidTransition(ClusterError):
    """The job cannot move from its current status to the requested one."""

    def __init__(self, job_id: str, current: str, requested: str) -> None:
        super().__init__(f"job {job_id} is {current} and cannot become {requested}")
        self.current = current
        self.requested = requested


class StaleAttempt(ClusterError):
    """A runner's attempt number is no longer the job's: another runner owns it now."""
