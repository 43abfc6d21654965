"""Start and stop a live uvicorn server over ``create_app`` (used by the API tests).

:func:`start_server` starts one for a test of its own (a child of the test process).
:func:`shared_server` gives every test process of a run the same one: the first process
to ask starts it, detached (no test process is its parent, so it outlives the process
that started it), while the others wait on a lock; it is recorded in the run's folder
and stopped by :func:`stop_shared_server` when the run ends (tests/conftest.py). Each
start imports the app and prepares the file's answers (an early-warning model fit, the
profiles and series), so one start per run instead of one per process saves that work.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cscwatch.serve.api.process import free_port, stop_process, wait_until_serving

__all__ = [
    "adopt_orphans",
    "free_port",
    "shared_server",
    "start_server",
    "stop_server",
    "stop_shared_server",
]

#: generous: a cold start imports the whole app and warms the file (a model fit), slow
#: when several test processes share a CPU
START_TIMEOUT_S = 600


def _command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "cscwatch.serve.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def start_server(warehouse: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``uvicorn`` over ``create_app`` and wait until it answers."""
    port = free_port()
    env = {**os.environ, "CSCWATCH_WAREHOUSE": str(warehouse)}
    with log.open("wb") as out:
        proc = subprocess.Popen(_command(port), env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, base, log, timeout=START_TIMEOUT_S)
    return proc, base


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    stop_process(proc)


# A launcher that starts the server in a session of its own and exits at once, printing
# its pid: the server is then nobody's child in the test run.
_LAUNCH = (
    "import json, subprocess, sys\n"
    "with open(sys.argv[2], 'wb') as out:\n"
    "    p = subprocess.Popen(json.loads(sys.argv[1]), stdout=out, stderr=subprocess.STDOUT,\n"
    "                         stdin=subprocess.DEVNULL, start_new_session=True)\n"
    "print(p.pid)\n"
)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/indicators", timeout=30).status_code == 200
    except httpx.TransportError:
        return False


def shared_server(warehouse: Path, folder: Path) -> str:
    """The base URL of the run's one server over ``warehouse``, started by the first
    test process that asks (the others wait on ``folder/server.lock``) and recorded in
    ``folder/server.json``; its log is ``folder/server.log``.

    Raises
    ------
    RuntimeError
        If the server exits before answering (with its log) or does not answer in time.
    """
    folder.mkdir(parents=True, exist_ok=True)
    record, log = folder / "server.json", folder / "server.log"
    with (folder / "server.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record.is_file():
            known = json.loads(record.read_text(encoding="utf-8"))
            same = known["warehouse"] == str(warehouse)
            if same and _alive(known["pid"]) and _answers(known["base"]):
                return str(known["base"])
            _stop_pid(int(known["pid"]))
            record.unlink()
        port = free_port()
        env = {**os.environ, "CSCWATCH_WAREHOUSE": str(warehouse)}
        launched = subprocess.run(
            [sys.executable, "-c", _LAUNCH, json.dumps(_command(port)), str(log)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        pid = int(launched.stdout)
        base = f"http://127.0.0.1:{port}"
        record.write_text(
            json.dumps({"pid": pid, "base": base, "warehouse": str(warehouse)}), encoding="utf-8"
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(base):
            if not _alive(pid):
                raise RuntimeError(f"server exited: {log.read_text(encoding='utf-8')}")
            if time.monotonic() > deadline:
                _stop_pid(pid)
                raise RuntimeError(f"server did not start in {START_TIMEOUT_S} s")
            time.sleep(0.1)
        return base


def _stop_pid(pid: int) -> None:
    """Terminate ``pid``, and kill it if it has not ended within 10 s."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _alive(pid):
            return


def stop_shared_server(folder: Path) -> None:
    """Stop the server :func:`shared_server` recorded in ``folder``, if any, and reap it
    when it became this process's child (:func:`adopt_orphans`)."""
    record = folder / "server.json"
    if record.is_file():
        pid = int(json.loads(record.read_text(encoding="utf-8"))["pid"])
        _stop_pid(pid)
        record.unlink()
        with contextlib.suppress(ChildProcessError):  # not ours: its new parent reaps it
            os.waitpid(pid, 0)


def adopt_orphans() -> None:
    """Make this process the parent of its descendants whose parent exits (Linux
    ``PR_SET_CHILD_SUBREAPER``): the detached server's CPU then counts in this process's
    children's usage (benchmarks/suite.py measures the run's process tree)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass  # not Linux: the server is reparented to init and reaped there
