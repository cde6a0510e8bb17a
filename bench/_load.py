"""A small asyncio load generator for ``POST /ussd``: N keep-alive connections, 4-hop sessions.

One event loop drives every connection with pre-built HTTP/1.1 requests and a minimal response
parser, so the client spends little CPU on the 2-core machine it shares with the servers, and
the same client is used for every target.  Each connection plays whole sessions one after the
other (a new ``sessionId`` each time, ``text`` growing ``"" -> "1" -> "1*1" -> "1*1*1"`` like
Africa's Talking's gateway) until the deadline.  Only hops started after the warm-up and finished
before the deadline are measured.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

HOPS = ("", "1", "1*1", "1*1*1")
SERVICE_CODE = "*202#"
NETWORK = "61601"
HOP_TIMEOUT = 5.0


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    sessions: int = 0
    measured_seconds: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    samples: list[str] = field(default_factory=list)

    @property
    def hops(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.hops / self.measured_seconds if self.measured_seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds (0 with no samples)."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
        return ordered[rank] * 1000

    def summary(self) -> dict:
        return {"hops": self.hops, "sessions": self.sessions, "errors": self.errors,
                "seconds": round(self.measured_seconds, 2), "hops_per_s": round(self.rate, 1),
                "p50_ms": round(self.percentile(50), 2), "p99_ms": round(self.percentile(99), 2),
                "client_cpu_pct": round(100 * self.client_cpu / self.measured_seconds, 1)
                if self.measured_seconds else 0.0,
                "server_cpu_us_per_hop": round(1e6 * self.server_cpu / self.hops)
                if self.hops else 0}


class _Numbers:
    """Distinct Benin numbers +229 0197xxxxxx (a million before they wrap)."""

    def __init__(self, start: int = 0) -> None:
        self._count = itertools.count(start)

    def next(self) -> str:
        return f"+2290197{next(self._count) % 1_000_000:06d}"


def _request(host: str, port: int, form: dict[str, str]) -> bytes:
    body = urlencode(form).encode()
    head = (f"POST /ussd HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, keep = 0, True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
    body = await reader.readexactly(length) if length else b""
    return status, body, keep


async def _connection(index: int, host: str, port: int, numbers: _Numbers | None,
                      result: Result, measure_from: float, deadline: float,
                      reconnect: bool) -> None:
    reader = writer = None
    returning = f"+2290196{index:06d}"  # one per connection: known after its first session
    try:
        while time.perf_counter() < deadline:
            session = f"ATUid_bench_{index}_{time.perf_counter_ns()}"
            form = {"sessionId": session, "serviceCode": SERVICE_CODE,
                    "phoneNumber": numbers.next() if numbers else returning,
                    "networkCode": NETWORK}
            completed = time.perf_counter() >= measure_from
            for text in HOPS:
                if time.perf_counter() >= deadline:
                    completed = False
                    break
                if writer is None:
                    try:
                        reader, writer = await asyncio.open_connection(host, port)
                    except OSError as exc:
                        if time.perf_counter() >= measure_from:
                            result.errors += 1
                            if len(result.samples) < 5:
                                result.samples.append(f"connect: {exc}")
                        await asyncio.sleep(0.05)
                        completed = False
                        break
                request = _request(host, port, {**form, "text": text})
                started = time.perf_counter()
                try:
                    writer.write(request)
                    status, body, keep = await asyncio.wait_for(_read_response(reader),
                                                                HOP_TIMEOUT)
                except (TimeoutError, OSError, asyncio.IncompleteReadError,
                        asyncio.LimitOverrunError, ValueError, IndexError):
                    status, body, keep = 0, b"", False
                finished = time.perf_counter()
                ok = status == 200 and body.startswith((b"CON ", b"END "))
                if started >= measure_from and finished <= deadline:
                    if ok:
                        result.latencies.append(finished - started)
                    else:
                        result.errors += 1
                        if len(result.samples) < 5:
                            result.samples.append(f"{status} {body[:80]!r}")
                if not keep:
                    writer.close()
                    reader = writer = None
                if not ok or body.startswith(b"END "):
                    completed = False
                    break
            if completed and time.perf_counter() <= deadline:
                result.sessions += 1
            if writer is not None and reconnect:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def _cpu_meter(result: Result, measure_from: float, deadline: float,
                     server_cpu: Callable[[], float] | None) -> None:
    """CPU time over the measured window: this process's (what the client takes from the
    servers) and the server's, through ``server_cpu`` (seconds used so far)."""
    await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
    start, server_start = time.process_time(), server_cpu() if server_cpu else 0.0
    await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
    result.client_cpu = time.process_time() - start
    result.server_cpu = server_cpu() - server_start if server_cpu else 0.0


async def _run(host: str, port: int, connections: int, warmup: float, seconds: float,
               first_number: int, returning: bool, reconnect: bool,
               server_cpu: Callable[[], float] | None) -> Result:
    result = Result()
    numbers = None if returning else _Numbers(first_number)
    now = time.perf_counter()
    measure_from, deadline = now + warmup, now + warmup + seconds
    await asyncio.gather(_cpu_meter(result, measure_from, deadline, server_cpu),
                         *(_connection(i, host, port, numbers, result, measure_from, deadline,
                                       reconnect) for i in range(connections)))
    result.measured_seconds = seconds
    return result


def run(host: str, port: int, *, connections: int = 32, warmup: float = 2.0,
        seconds: float = 10.0, first_number: int = 0, returning: bool = False,
        reconnect: bool = True, server_cpu: Callable[[], float] | None = None) -> Result:
    """Load ``http://host:port/ussd`` for ``warmup + seconds`` and return the measured part.

    New callers (a new phone number per session) by default; ``returning`` keeps one number per
    connection, whose language is known after its first (warm-up) session.  ``reconnect``
    opens a new connection for each session (its 4 hops share one): gunicorn's workers each
    keep the connections they accepted, so 32 connections opened once may all land on one
    worker and leave the other idle, by chance; reconnecting spreads them again every session.
    """
    return asyncio.run(_run(host, port, connections, warmup, seconds, first_number, returning,
                            reconnect, server_cpu))
