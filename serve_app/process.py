"""`docseg serve` as a child process: for tests, benchmarks and notebooks that need a real service.

The child gets its own data directory and port; `start` returns once it prints its dev token, and
`stop` sends Ctrl-C (SIGINT) and waits for a clean shutdown.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from cluster.embedded_redis import free_port
from serve_app.auth import issue_token
from serve_app.server import SECRET_FILE

STARTUP_SECONDS = 240
# Settings of the parent's environment that must not leak into a self-contained child.
_OUTSIDE_SETTINGS = ("REDIS_URL", "JWT_SECRET", "RAY_ADDRESS")


def session_members(session: int) -> list[int]:
    """Live processes of a session (zombies, which only wait for their parent to reap them, excluded)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, sid = fields[0], int(fields[3])
        if sid == session and state != "Z":
            members.append(int(entry))
    return members


def kill_session(session: int, timeout: float = 30) -> None:
    """SIGKILL every process of a session (a process started with start_new_session leads one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        members = session_members(session)
        if not members:
            return
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    raise RuntimeError(f"processes of session {session} outlived SIGKILL")


class ServiceProcess:
    def __init__(self, data_dir: Path, port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env or {}
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self.dev_token = ""

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in _OUTSIDE_SETTINGS}
        env.update(DOCSEG_DATA_DIR=str(self.data_dir), **self.extra_env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "serve_app.cli", "serve", "--port", str(self.port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
            start_new_session=True,  # its own process group: `kill` takes Ray and Redis with it
        )
        assert self.process.stdout is not None
        lines = iter(self.process.stdout.readline, "")
        deadline = time.monotonic() + STARTUP_SECONDS
        self.dev_token = ""
        for line in lines:
            self.output.append(line)
            if line.startswith("docseg: dev token"):
                self.dev_token = next(lines).strip()
            if line.startswith("docseg: Ctrl-C") or time.monotonic() > deadline:
                break
        if not self.dev_token or self.process.poll() is not None:
            self.stop()
            raise RuntimeError("docseg serve did not start:\n" + "".join(self.output))
        # Keep reading so the child never blocks on a full pipe.
        threading.Thread(target=lambda: self.output.extend(lines), daemon=True).start()

    def stop(self, timeout: float = 90) -> int | None:
        """Ctrl-C the service and wait for it; returns its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self, timeout: float = 30) -> None:
        """kill -9 the service and everything it started (Ray, its workers, the embedded Redis), as a
        crash of the machine's processes would. They all share the session the service leads (Ray's
        workers make process groups of their own, so the session, not the group, finds them)."""
        if self.process is None:
            return
        kill_session(self.process.pid, timeout)
        self.process.wait()

    def token(self, subject: str, ttl_seconds: int = 3600, role: str | None = None) -> str:
        """A token for any tenant, signed with the secret the service made in its data directory."""
        secret = (self.data_dir / SECRET_FILE).read_text().strip()
        return issue_token(secret, subject, ttl_seconds, role)
