"""Job and document statuses, and the only transitions a job may make."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    NEW = "NEW"  # stored with its document and upload, not yet queued
    PENDING = "PENDING"  # queued, waiting for a free slot in the dispatcher
    PROCESSING = "PROCESSING"  # a runner holds it; `attempt` names which runner may write
    COMPLETED = "COMPLETED"  # segments stored
    FAILED = "FAILED"  # ended with a reason in `error`
    CANCELED = "CANCELED"  # a client cancelled it; nothing is written for it afterwards


TERMINAL: frozenset[JobStatus] = frozenset(
    {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED}
)

# Allowed moves. PROCESSING -> PROCESSING is a new runner taking over from one that died (its
# attempt number goes up, which fences the old runner out).
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.NEW: frozenset({JobStatus.PENDING, JobStatus.CANCELED, JobStatus.FAILED}),
    JobStatus.PENDING: frozenset({JobStatus.PROCESSING, JobStatus.CANCELED, JobStatus.FAILED}),
    JobStatus.PROCESSING: frozenset(
        {JobStatus.PROCESSING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED}
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELED: frozenset(),
}


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """Statuses from which a job may move to `target`."""
    return frozenset(source for source, targets in TRANSITIONS.items() if target in targets)


class DocumentStatus(StrEnum):
    NEW = "NEW"  # uploaded; not (yet) processed
    PROCESSED = "PROCESSED"  # its job completed and its segments are stored
    CANCELED = "CANCELED"  # its job was cancelled
