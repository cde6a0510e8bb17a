"""``make bench``: Guichet's ``POST /ussd`` against a bare Flask + Redis floor, in the same run.

Starts a private redis-server, then two gunicorn servers with the same settings (Guichet's
``channels.gunicorn_conf``: WEB_CONCURRENCY workers, gthread, GUNICORN_THREADS threads):

* baseline: ``bench/baseline_app.py`` (read the form, one Redis GET, one SET, a CON screen);
* guichet: ``channels.app:create_app()`` with the in-process sandbox portal.

Both are loaded by the same asyncio client (this process, ``_load.py``): 32 concurrent
connections playing 4-hop USSD sessions back to back (keep-alive within a session), measured
after a warm-up, baseline then guichet for each round.  Prints hops/s, p50 and p99 for each, the
servers' CPU per hop, the ratio guichet/baseline and whether the targets of issue 2 are met
(ratio >= 0.7, p99 < 50 ms).  Only loopback addresses are used; every subprocess is stopped on
exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TARGET_RATIO = 0.7
TARGET_P99_MS = 50.0
READY_SECONDS = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Processes:
    """Subprocesses started here, each in its own session; stopped in reverse order."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def start(self, args: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
        with open(log, "wb") as out:
            proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group this script created
            proc.wait(5)
        if proc in self.started:
            self.started.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(list(self.started)):
            self.stop(proc)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _log_has(path: Path, text: str) -> bool:
    try:
        return text in path.read_text(errors="replace")
    except OSError:
        return False


def start_redis(procs: Processes, workdir: Path) -> str:
    """A private redis-server on a free loopback port (a new port if that one gets taken)."""
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (`make redis-server` installs it)")
    log = workdir / "redis.log"
    for _attempt in range(3):
        port = free_port()
        proc = procs.start([binary, "--port", str(port), "--bind", HOST, "--save", "",
                            "--appendonly", "no", "--dir", str(workdir)],
                           env=dict(os.environ), log=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            # its own log, not a PONG: another process may hold the port if ours lost it
            if _log_has(log, "Ready to accept connections"):
                return f"redis://{HOST}:{port}/0"
            time.sleep(0.05)
        procs.stop(proc)
    sys.exit(f"redis-server did not start:\n{_tail(log)}")


def _boot_error(log: Path) -> str:
    """The last exception line of a failed start, e.g. a worker's boot error."""
    lines = [ln.strip() for ln in _tail(log, 200).splitlines()]
    errors = [ln for ln in lines if "Error" in ln and not ln.startswith(("[", "File "))]
    return (errors or lines or ["(empty log)"])[-1][:300]


def start_gunicorn(procs: Processes, app: str, name: str, env: dict[str, str], workdir: Path,
                   *, workers: int, booted: str | None = None, extra: tuple[str, ...] = ()
                   ) -> tuple[int, subprocess.Popen, list[str]]:
    """gunicorn with Guichet's config on a free loopback port; waits for /readyz 200.

    ``extra`` are gunicorn options, which override the config (``-k sync``).
    ``booted`` is a line each worker logs once its app is built: all ``workers`` must have
    logged it, or a worker that fails late could stop the server during the measure.  A server
    that exits while starting is started again (at most 3 times); what stopped it is returned.
    """
    log = workdir / f"{name}.log"
    failures: list[str] = []
    for _attempt in range(3):
        port = free_port()
        proc = procs.start([sys.executable, "-m", "gunicorn", "-c",
                            "python:channels.gunicorn_conf", *extra, app],
                           env={**env, "HOST": HOST, "PORT": str(port)}, log=log)
        listening = f"Listening at: http://{HOST}:{port} ({proc.pid})"
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            if _log_has(log, "Connection in use"):
                failures.append(f"port {port} taken")
                break
            text = log.read_text(errors="replace") if log.exists() else ""
            if (listening in text and (booted is None or text.count(booted) >= workers)
                    and _ready(port)):
                return port, proc, failures
            time.sleep(0.2)
        else:
            if proc.poll() is None:
                sys.exit(f"{name} was not ready after {READY_SECONDS:.0f} s:\n{_tail(log)}")
            failures.append(f"exited with {proc.returncode}: {_boot_error(log)}")
        procs.stop(proc)
    sys.exit(f"{name} did not start: {failures}\n{_tail(log)}")


_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live descendants (Linux)."""
    total, todo, seen = 0.0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            total += (int(fields[11]) + int(fields[12])) / _TICKS
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def settle(pid: int, limit: float = 30.0) -> None:
    """Wait until a started server stops working on its own (Guichet loads its NLU model in a
    background thread after boot), so the first measure does not pay for it."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = tree_cpu(pid)
        time.sleep(0.5)
        if tree_cpu(pid) - before < 0.05:
            return


def _ready(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        conn.request("GET", "/readyz")
        status = conn.getresponse().status
        conn.close()
        return status == 200
    except OSError:
        return False


def play_once(port: int, returning: bool) -> list[str]:
    """One session, hop by hop, to show what the measured journey is."""
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    screens: list[str] = []
    for session in ("ATUid_bench_show1", "ATUid_bench_show2")[: 2 if returning else 1]:
        screens = []
        form = {"sessionId": session, "serviceCode": _load.SERVICE_CODE,
                "phoneNumber": "+2290195999999", "networkCode": _load.NETWORK}
        for text in _load.HOPS:
            conn.request("POST", "/ussd", urlencode({**form, "text": text}),
                         {"Content-Type": "application/x-www-form-urlencoded"})
            screens.append(conn.getresponse().read().decode())
    conn.close()
    return screens


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="measured seconds per target and round (default 5)")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="unmeasured seconds of load before each measure (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--rounds", type=int, default=3,
                        help="every target and caller kind in turn, this many times (default 3); "
                             "pooled")
    callers = parser.add_mutually_exclusive_group()
    callers.add_argument("--returning", action="store_true",
                         help="returning callers only: one phone number per connection, so its "
                              "language is known and the 4th hop is the procedure sheet")
    callers.add_argument("--new", action="store_true",
                         help="new callers only: a new number per session, whose 1st hop is the "
                              "language menu (default: both kinds, one table each)")
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("WEB_CONCURRENCY", "2")),
                        help="gunicorn workers for every target (WEB_CONCURRENCY, default 2)")
    parser.add_argument("--threads", type=int,
                        default=int(os.environ.get("GUNICORN_THREADS", "4")),
                        help="threads per worker where the worker class has threads "
                             "(GUNICORN_THREADS, default 4)")
    parser.add_argument("--no-hopworker-floor", action="store_true",
                        help="skip the floor served by Guichet's HopWorker")
    parser.add_argument("--no-gthread-floor", action="store_true",
                        help="skip the floor served by gthread workers (kept for reference)")
    parser.add_argument("--compare-gthread", action="store_true",
                        help="also serve Guichet on gthread workers (-k gthread), a 4th target")
    parser.add_argument("--guichet-args", default="",
                        help="extra gunicorn options for Guichet, e.g. '-k gthread' to measure "
                             "another worker class than channels/gunicorn_conf.py's")
    parser.add_argument("--floor-args", default="-k sync --threads 1",
                        help="gunicorn options of the floor (default '-k sync --threads 1')")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument("--keep-connections", action="store_true",
                        help="keep each connection for the whole run (as long as the server "
                             "keeps it) instead of opening a new one per session")
    parser.add_argument("--show", action="store_true", help="print Guichet's 4 screens first")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a target is missed or a hop failed")
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 600 and 0 <= args.warmup <= 60 and 1 <= args.connections <= 256
            and 1 <= args.rounds <= 10 and 1 <= args.workers <= 16 and 1 <= args.threads <= 64):
        parser.error("out of range: seconds 0-600, warmup 0-60, connections 1-256, "
                     "rounds 1-10, workers 1-16, threads 1-64")
    args.callers = ["returning"] if args.returning else ["new"] if args.new else [
        "new", "returning"]
    return args


def pooled(results: list[_load.Result]) -> _load.Result:
    total = _load.Result()
    for r in results:
        total.latencies += r.latencies
        total.errors += r.errors
        total.sessions += r.sessions
        total.measured_seconds += r.measured_seconds
        total.samples += r.samples
        total.client_cpu += r.client_cpu
        total.server_cpu += r.server_cpu
    return total


FLOOR, GTHREAD_FLOOR, GUICHET = "floor", "floor-gthread", "guichet"
GTHREAD_GUICHET, HOP_FLOOR = "guichet-gthread", "floor-hopworker"
TARGETS = {FLOOR: "bench/baseline_app.py, gunicorn sync workers (-k sync)",
           HOP_FLOOR: "bench/baseline_app.py, Guichet's HopWorker",
           GTHREAD_FLOOR: "bench/baseline_app.py, gthread workers",
           GUICHET: "channels.app, Guichet's gunicorn config",
           GTHREAD_GUICHET: "channels.app, gthread workers (--compare-gthread)"}


def report(args: argparse.Namespace, results: dict[str, _load.Result]) -> dict:
    """One caller kind: each target's figures and Guichet's ratios against the floors."""
    guichet = results[GUICHET]
    out: dict = {name: r.summary() for name, r in results.items()}
    for floor in (FLOOR, HOP_FLOOR, GTHREAD_FLOOR):
        base = results.get(floor)
        if base is None:
            continue
        out[f"ratio_{floor}"] = round(guichet.rate / base.rate, 3) if base.rate else 0.0
        out[f"cpu_ratio_{floor}"] = (
            round(base.server_cpu / base.hops * guichet.hops / guichet.server_cpu, 3)
            if base.hops and guichet.server_cpu else 0.0)
    other = results.get(GTHREAD_GUICHET)
    if other is not None and results[FLOOR].rate:
        out[f"ratio_{GTHREAD_GUICHET}"] = round(other.rate / results[FLOOR].rate, 3)
    ratio, p99 = out[f"ratio_{FLOOR}"], guichet.percentile(99)
    out["targets"] = {"ratio_min": TARGET_RATIO, "p99_max_ms": TARGET_P99_MS,
                      "ratio_met": ratio >= TARGET_RATIO, "p99_met": p99 < TARGET_P99_MS}
    out["error_samples"] = {name: r.samples for name, r in results.items() if r.samples}
    return out


def setup_of(args: argparse.Namespace, guichet_class: str) -> dict:
    return {"connections": args.connections, "hops_per_session": len(_load.HOPS),
            "seconds": args.seconds, "warmup": args.warmup, "rounds": args.rounds,
            "workers": args.workers, "threads": args.threads, "cpus": os.cpu_count(),
            "guichet_worker_class": guichet_class, "guichet_args": args.guichet_args,
            "connection_per": "run" if args.keep_connections else "session"}


def print_table(out: dict) -> None:
    s = out["setup"]
    print(f"POST /ussd, {s['hops_per_session']}-hop sessions, {s['connections']} connections, "
          f"{s['workers']} workers, {s['cpus']} CPUs, {s['seconds']:g} s x {s['rounds']} "
          f"round(s) after {s['warmup']:g} s warm-up, a connection per {s['connection_per']}; "
          f"guichet: {s['guichet_worker_class']} {s['guichet_args']}".rstrip())
    for callers, res in out["callers"].items():
        print(f"\n{callers} callers")
        print(f"{'target':<14}{'hops/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'hops':>8}{'errors':>8}"
              f"{'server CPU/hop':>16}{'client CPU':>12}")
        for name in TARGETS:
            if name not in res:
                continue
            r = res[name]
            print(f"{name:<14}{r['hops_per_s']:>9.1f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
                  f"{r['hops']:>8}{r['errors']:>8}{r['server_cpu_us_per_hop']:>13} us"
                  f"{r['client_cpu_pct']:>11.0f}%")
        t = res["targets"]
        print(f"guichet/floor (sync) hops/s: {res['ratio_floor']:.3f} "
              f"(target >= {t['ratio_min']}: {'met' if t['ratio_met'] else 'MISSED'}); "
              f"server CPU per hop floor/guichet: {res['cpu_ratio_floor']:.2f}")
        if f"ratio_{HOP_FLOOR}" in res:
            print(f"guichet/floor-hopworker hops/s: {res['ratio_floor-hopworker']:.3f} "
                  "(the same server for both: what the app alone costs); server CPU per hop: "
                  f"{res['cpu_ratio_floor-hopworker']:.2f}")
        if f"ratio_{GTHREAD_FLOOR}" in res:
            print(f"guichet/floor-gthread hops/s: {res['ratio_floor-gthread']:.3f} "
                  f"(reference only); server CPU per hop: {res['cpu_ratio_floor-gthread']:.2f}")
        if f"ratio_{GTHREAD_GUICHET}" in res:
            print(f"guichet-gthread/floor (sync) hops/s: {res['ratio_guichet-gthread']:.3f} "
                  "(Guichet on gthread workers, for comparison)")
        print(f"guichet p99: {res['guichet']['p99_ms']:.1f} ms "
              f"(target < {t['p99_max_ms']:g} ms: {'met' if t['p99_met'] else 'MISSED'})")
        for name, samples in res["error_samples"].items():
            print(f"{name} errors, first ones: {samples}")
    for name, failures in out["start_failures"].items():
        print(f"note: {name} had to be started again: {failures}")
    for name, tail in out.get("server_log_tails", {}).items():
        print(f"--- end of {name}'s log\n{tail}")


def _worker_class(log: Path) -> str:
    """The worker class gunicorn says it uses ("Using worker: sync")."""
    for line in _tail(log, 400).splitlines():
        if "Using worker:" in line:
            return line.split("Using worker:", 1)[1].strip()
    return "?"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below
    procs = Processes()
    with tempfile.TemporaryDirectory(prefix="guichet-bench-") as tmp:
        workdir = Path(tmp)
        try:
            redis_url = start_redis(procs, workdir)
            env = {k: v for k, v in os.environ.items()
                   if k not in ("PORTAL_URL", "PROMETHEUS_MULTIPROC_DIR", "HOST", "PORT")}
            env.update(REDIS_URL=redis_url, WEB_CONCURRENCY=str(args.workers),
                       GUNICORN_THREADS=str(args.threads), PYTHONDONTWRITEBYTECODE="1")
            servers = {FLOOR: start_gunicorn(
                procs, "bench.baseline_app:create_app()", FLOOR, env, workdir,
                workers=args.workers, extra=tuple(shlex.split(args.floor_args)))}
            if not args.no_hopworker_floor:
                servers[HOP_FLOOR] = start_gunicorn(
                    procs, "bench.baseline_app:create_app()", HOP_FLOOR, env, workdir,
                    workers=args.workers, extra=("-k", "channels.serving.HopWorker"))
            if not args.no_gthread_floor:
                servers[GTHREAD_FLOOR] = start_gunicorn(
                    procs, "bench.baseline_app:create_app()", GTHREAD_FLOOR, env, workdir,
                    workers=args.workers, extra=("-k", "gthread"))
            metrics_dir = workdir / "prometheus"
            metrics_dir.mkdir()
            gthread_metrics = workdir / "prometheus-gthread"
            gthread_metrics.mkdir()
            guichet_env = {**env, "SANDBOX_DB": str(workdir / "sandbox-portal.db"),
                           "DATABASE_URL": f"sqlite:///{workdir / 'guichet.db'}",
                           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
            servers[GUICHET] = start_gunicorn(
                procs, "channels.app:create_app()", GUICHET, guichet_env, workdir,
                workers=args.workers, booted='"message": "guichet ready"',
                extra=tuple(shlex.split(args.guichet_args)))
            if args.compare_gthread:
                gthread_env = {**guichet_env, "PROMETHEUS_MULTIPROC_DIR": str(gthread_metrics)}
                servers[GTHREAD_GUICHET] = start_gunicorn(
                    procs, "channels.app:create_app()", GTHREAD_GUICHET, gthread_env, workdir,
                    workers=args.workers, booted='"message": "guichet ready"',
                    extra=("-k", "gthread"))
            ports = {name: port for name, (port, _proc, _failures) in servers.items()}
            for _port, proc, _failures in servers.values():
                settle(proc.pid)
            if args.show and not args.json:
                for screen in play_once(ports[GUICHET], args.callers == ["returning"]):
                    print("---\n" + screen)
                print("---")
            runs: dict[str, dict[str, list[_load.Result]]] = {
                callers: {name: [] for name in servers} for callers in args.callers}
            first_number = 0
            for _ in range(args.rounds):
                for callers in args.callers:
                    for name in servers:
                        runs[callers][name].append(_load.run(
                            HOST, ports[name], connections=args.connections,
                            warmup=args.warmup, seconds=args.seconds,
                            first_number=first_number, returning=callers == "returning",
                            reconnect=not args.keep_connections,
                            server_cpu=lambda pid=servers[name][1].pid: tree_cpu(pid)))
                        first_number += 100_000
                        proc = servers[name][1]
                        if proc.poll() is not None:
                            sys.exit(f"{name} stopped during the measure:\n"
                                     f"{_tail(workdir / f'{name}.log')}")
            out = {"setup": setup_of(args, _worker_class(workdir / f"{GUICHET}.log")),
                   "callers": {callers: report(args, {name: pooled(r) for name, r in
                                                      per.items()})
                               for callers, per in runs.items()}}
            out["start_failures"] = {name: failures for name, (_p, _s, failures)
                                     in servers.items() if failures}
            for name in servers:
                if any(res[name]["errors"] for res in out["callers"].values()):
                    out.setdefault("server_log_tails", {})[name] = _tail(workdir / f"{name}.log")
        finally:
            procs.stop_all()
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print_table(out)
    missed = not all(res["targets"]["ratio_met"] and res["targets"]["p99_met"]
                     for res in out["callers"].values())
    failed = any(r.get("errors") for res in out["callers"].values() for r in res.values()
                 if isinstance(r, dict))
    return 1 if args.strict and (missed or failed) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers are already stopped by main's cleanup
        sys.exit("interrupted")
