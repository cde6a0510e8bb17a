"""Does recording the insights' events slow USSD down?  ``POST /ussd`` with event recording on
and off, in the same run.

Starts a private redis-server and two Guichet servers with the same settings (Guichet's
gunicorn config, the in-process sandbox portal, a SQLite database each), one with
``INSIGHTS_ENABLED=true`` (the default) and one with ``false``, and loads them in turn with the
same client as ``bench/ussd.py`` (4-hop sessions, new and returning callers), ``--rounds``
times, alternating, so that the machine's noise falls on both.  Prints hops/s and p99 of each
and the ratio on/off; the target is a ratio of at least 0.95 (recording costs at most 5%).
After the run it checks the events were really written (the "on" database has them).

    .venv/bin/python bench/insights.py [--seconds 5] [--rounds 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _load  # noqa: E402
import ussd  # noqa: E402

TARGET_RATIO = 0.95
ON, OFF = "recording-on", "recording-off"


def in_process(rounds: int, sessions: int = 150) -> tuple[float, float]:
    """CPU per hop (process time, the flush thread included) of the same app with recording on
    and off, in this process, alternating: steadier than hops/s on a machine others load."""
    import itertools
    import time

    sys.path.insert(0, str(ussd.ROOT))
    from channels import runtime
    from channels.app import create_app
    from channels.config import Settings

    tmp = tempfile.mkdtemp(prefix="guichet-bench-insights-")
    apps = {}
    for name, flag in ((ON, "true"), (OFF, "false")):
        settings = Settings.from_env({
            "DATABASE_URL": f"sqlite:///{tmp}/{name}.db", "SANDBOX_DB": f"{tmp}/sb-{name}.db",
            "INSIGHTS_ENABLED": flag, "SECRET_KEY": "bench-secret-key-0123456789abcdefghij"})
        rt = runtime.build(settings)
        apps[name] = (create_app(rt=rt), rt)
    ids = itertools.count()

    def play(app, count: int) -> None:
        client = app.test_client()
        for _ in range(count):
            n = next(ids)
            for text in _load.HOPS:
                client.post("/ussd", data={"sessionId": f"B{n}", "serviceCode": "*202#",
                                           "phoneNumber": f"+2290196{n:06d}", "text": text})

    try:
        for app, _rt in apps.values():
            play(app, 30)  # warm: catalogue, NLU, first connections
        cpu: dict[str, list[float]] = {ON: [], OFF: []}
        for i in range(rounds):
            for name in ((ON, OFF) if i % 2 == 0 else (OFF, ON)):
                app, rt = apps[name]
                started = time.process_time()
                play(app, sessions)
                if rt.events is not None:
                    rt.events.flush()  # the batch writes are part of the cost
                cpu[name].append((time.process_time() - started) / (sessions * len(_load.HOPS)))
    finally:
        for _app, rt in apps.values():
            rt.close()
    return statistics.median(cpu[ON]), statistics.median(cpu[OFF])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    parser.add_argument("--in-process-rounds", type=int, default=6,
                        help="rounds of the in-process CPU measure (0: skip it)")
    args = parser.parse_args(argv)
    if args.in_process_rounds:
        on, off = in_process(args.in_process_rounds)
        print(f"in process: CPU per hop on {on * 1e6:.0f} us, off {off * 1e6:.0f} us, "
              f"off/on {off / on:.3f} (target >= {TARGET_RATIO}: "
              f"{'met' if off / on >= TARGET_RATIO else 'MISSED'})")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    procs = ussd.Processes()
    with tempfile.TemporaryDirectory(prefix="guichet-bench-insights-") as tmp:
        workdir = Path(tmp)
        try:
            redis_url = ussd.start_redis(procs, workdir)
            env = {k: v for k, v in os.environ.items()
                   if k not in ("PORTAL_URL", "PROMETHEUS_MULTIPROC_DIR", "HOST", "PORT")}
            env.update(REDIS_URL=redis_url, WEB_CONCURRENCY=str(args.workers),
                       PYTHONDONTWRITEBYTECODE="1")
            servers = {}
            for name, enabled in ((ON, "true"), (OFF, "false")):
                metrics = workdir / f"prometheus-{name}"
                metrics.mkdir()
                servers[name] = ussd.start_gunicorn(
                    procs, "channels.app:create_app()", name,
                    {**env, "INSIGHTS_ENABLED": enabled,
                     "SANDBOX_DB": str(workdir / f"sandbox-{name}.db"),
                     "DATABASE_URL": f"sqlite:///{workdir / f'guichet-{name}.db'}",
                     "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
                    workdir, workers=args.workers, booted='"message": "guichet ready"')
            for _port, proc, _failures in servers.values():
                ussd.settle(proc.pid)
            runs: dict[str, dict[str, list[_load.Result]]] = {
                callers: {name: [] for name in servers} for callers in ("new", "returning")}
            first = 0
            for i in range(args.rounds):
                order = (ON, OFF) if i % 2 == 0 else (OFF, ON)
                for callers in runs:
                    for name in order:
                        port, proc, _ = servers[name]
                        runs[callers][name].append(_load.run(
                            ussd.HOST, port, connections=args.connections, warmup=args.warmup,
                            seconds=args.seconds, first_number=first,
                            returning=callers == "returning", reconnect=True,
                            server_cpu=lambda pid=proc.pid: ussd.tree_cpu(pid)))
                        first += 100_000
            for name in servers:
                ussd.Processes.stop(procs, servers[name][1])
            with sqlite3.connect(workdir / f"guichet-{ON}.db") as db:
                recorded = db.execute("SELECT count(*) FROM insight_events").fetchone()[0]
        finally:
            procs.stop_all()
    print(f"POST /ussd, 4-hop sessions, {args.connections} connections, {args.workers} workers, "
          f"{args.seconds:g} s x {args.rounds} rounds, alternating; {recorded} events recorded")
    worst = worst_cpu = 1.0
    for callers, per in runs.items():
        on, off = ussd.pooled(per[ON]), ussd.pooled(per[OFF])
        ratio = on.rate / off.rate if off.rate else 0.0
        cpu_on = on.server_cpu / on.hops if on.hops else 0.0
        cpu_off = off.server_cpu / off.hops if off.hops else 0.0
        cpu_ratio = cpu_off / cpu_on if cpu_on else 0.0
        worst = min(worst, ratio)
        worst_cpu = min(worst_cpu, cpu_ratio)
        print(f"{callers:<10} on: {on.rate:8.1f} hops/s p99 {on.percentile(99):6.1f} ms "
              f"{cpu_on * 1e6:6.0f} us CPU/hop ({on.errors} errors) | off: {off.rate:8.1f} hops/s "
              f"p99 {off.percentile(99):6.1f} ms {cpu_off * 1e6:6.0f} us CPU/hop "
              f"({off.errors} errors) | hops/s on/off {ratio:.3f}, CPU/hop off/on {cpu_ratio:.3f}")
    print(f"recording on/off, worst hops/s ratio: {worst:.3f}, worst server CPU per hop ratio: "
          f"{worst_cpu:.3f} (target >= {TARGET_RATIO}: "
          f"{'met' if min(worst, worst_cpu) >= TARGET_RATIO else 'MISSED'}; on a loaded machine "
          "the CPU ratio is the steadier one)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
