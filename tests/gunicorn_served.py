"""Guichet under the real gunicorn, as deployed (``channels/gunicorn_conf.py``), for the tests
that need real workers: started in a temporary folder, waited for on ``/readyz``, stopped
whatever the test did."""

from __future__ import annotations

import contextlib
import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def gunicorn(tmp_path: Path, port: int, **env: str) -> Iterator[Path]:
    """Serve on ``port`` with the machine's environment plus ``env`` (``PORTAL_URL`` dropped:
    the in-process sandbox); yields the log file's path."""
    full = {k: v for k, v in os.environ.items()
            if k not in ("PORTAL_URL", "GUNICORN_CMD_ARGS", "AGENT_MAX_STREAMS")}
    full.update(HOST="127.0.0.1", PORT=str(port), SANDBOX_DB=str(tmp_path / "sandbox.db"),
                PROMETHEUS_MULTIPROC_DIR=str(tmp_path), **env)
    path = tmp_path / "gunicorn.log"
    log = open(path, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:channels.gunicorn_conf",
         "channels.app:create_app()"], cwd=ROOT, env=full, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, path.read_text()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not become ready")
        yield path
    finally:
        proc.terminate()
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:  # streams still draining: not what is tested
            proc.kill()
            proc.wait(5)
        log.close()
