"""The processes of a running `docseg serve`, grouped by role: CPU time and peak memory per role.

Ray renames a worker while it runs a task (`ray::extract_range`) and back (`ray::IDLE`), and a
worker starts as plain `python`, so a process's role is read from its name each time it is
sampled; a pid keeps the last role seen other than "Ray daemons".
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from serve_app.process import ServiceProcess, session_members

NAMED_ROLES = {
    "ray::ServeReplica:docseg:ApiIngress": "API replica",
    "ray::ServeReplica:docseg:DispatcherDeployment": "dispatcher",
    "ray::ProxyActor": "Serve proxy",
    "ray::ServeController": "Serve controller",
}
DAEMON_ACTORS = {"ray::DashboardAgent", "ray::RuntimeEnvAgent"}
DAEMONS = "Ray daemons"  # GCS, raylet, dashboard and its agents, the `docseg serve` driver
TASK_WORKERS = "task workers"  # the page tasks' and the assembly's workers


def title(process: psutil.Process) -> str:
    """The process's title: Ray sets it on the command line (the kernel's name keeps 15 characters)."""
    command = process.cmdline()
    return command[0] if command else process.name()


def role_of(process_title: str) -> str:
    for prefix, role in NAMED_ROLES.items():  # an actor's title gains ".method" while it runs one
        if process_title.startswith(prefix):
            return role
    if "redis-server" in process_title:
        return "Redis"
    if process_title.startswith("ray::") and process_title not in DAEMON_ACTORS:
        return TASK_WORKERS  # ray::IDLE, ray::extract_range, ray::assemble_parts, ...
    return DAEMONS


def _processes(service: ServiceProcess) -> dict[int, psutil.Process]:
    assert service.process is not None
    found = {}
    for pid in session_members(service.process.pid):
        try:
            found[pid] = psutil.Process(pid)
        except psutil.Error:
            continue
    return found


def _reading_by_pid(service: ServiceProcess, read: Callable[[psutil.Process], float]) -> dict[int, tuple[str, float]]:
    """Role and `read(process)` of each live process of the service."""
    readings = {}
    for pid, process in _processes(service).items():
        try:
            with process.oneshot():
                readings[pid] = (role_of(title(process)), read(process))
        except (psutil.Error, OSError):  # it ended meanwhile
            continue
    return readings


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _runqueue_seconds(process: psutil.Process) -> float:
    """Seconds the process's threads have spent runnable but waiting for a core (Linux schedstat)."""
    waited = 0
    for thread in Path(f"/proc/{process.pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            waited += int((thread / "schedstat").read_text().split()[1])
    return waited / 1e9


def cpu_seconds(service: ServiceProcess) -> dict[int, tuple[str, float]]:
    """Role and CPU seconds (user + system) of each live process of the service."""
    return _reading_by_pid(service, _cpu)


def waited_seconds(service: ServiceProcess) -> dict[int, tuple[str, float]]:
    """Role and seconds waiting for a core of each live process of the service: time it would have
    run had a core been free, the cost of sharing the machine's cores."""
    return _reading_by_pid(service, _runqueue_seconds)


def cpu_by_role(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """Seconds each role used between two `cpu_seconds` (or `waited_seconds`) readings (processes
    started in between count whole)."""
    used: dict[str, float] = defaultdict(float)
    for pid, (role, seconds) in after.items():
        used[role] += seconds - before.get(pid, (role, 0.0))[1]
    return dict(used)


@dataclass
class PeakMemory:
    """Samples the service's processes every `interval` seconds; keeps each process's peak RSS and
    peak private memory (RSS less its shared pages: the Ray object store's mapped memory and shared
    libraries, which are not this process's own)."""

    service: ServiceProcess
    interval: float = 0.05
    peaks: dict[int, tuple[str, int, int]] = field(default_factory=dict)  # pid -> (role, RSS, private)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            for pid, process in _processes(self.service).items():
                try:
                    name, memory = title(process), process.memory_info()
                except psutil.Error:
                    continue
                role, rss, private = self.peaks.get(pid, (DAEMONS, 0, 0))
                if role_of(name) != DAEMONS:
                    role = role_of(name)
                self.peaks[pid] = (role, max(rss, memory.rss), max(private, memory.rss - memory.shared))
            time.sleep(self.interval)

    def by_role(self, private: bool = False) -> dict[str, int]:
        """The largest peak of any one process in each role: RSS, or private memory."""
        largest: dict[str, int] = defaultdict(int)
        for role, rss, own in self.peaks.values():
            largest[role] = max(largest[role], own if private else rss)
        return dict(largest)
