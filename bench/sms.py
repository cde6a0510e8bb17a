"""``make bench``: Guichet's SMS channel, acknowledgement latency and outbound throughput.

Three measures in one run, every server on a loopback port and stopped on exit (Ctrl-C included):

1. **inbound**: ``POST /sms/inbound`` callbacks (a new sender, provider ``id`` and ``linkId``
   each, texts from the NLU held-out questions) at 32 concurrent connections against Guichet
   under gunicorn (private redis-server, temporary SQLite files) and against the bare Flask floor
   of ``baseline_app.py`` (one SQLite insert, one Redis push): acknowledgements/s, p50, p99.
2. **outbound**: M messages to a loopback fake of Africa's Talking's SMS API (``_fake_at.py``,
   the tests' fake in its own process): the ``africastalking`` SDK called directly in a loop
   (sequential, then on threads), then M ``channels.sms.sender.send_sms`` jobs through RQ and K
   ``rq worker --burst`` processes, from the first enqueue to the last message at the fake.
   Prints messages/s, the ratio queue/direct, and checks that the fake got each message once.
3. **segments**: every question of ``nlu/tests/heldout.yml`` answered in this process the way
   the SMS channel answers it (``SmsConversation``: keywords, dialog manager, GSM-7 rendering,
   split at 3 segments): average and maximum segments per answer, share within 1 and 3.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import itertools
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _load  # noqa: E402
import ussd  # noqa: E402
from ussd import HOST, ROOT, Processes  # noqa: E402

AT_USERNAME = "sandbox"
AT_API_KEY = "bench-key"
SHORT_CODE = "20202"
QUEUE = "guichet"
HELDOUT = ROOT / "nlu" / "tests" / "heldout.yml"
ANSWER = ("Casier judiciaire (bulletin n.3): 1 900 F CFA, delai 72 heures, valable 3 mois. "
          "A demander au tribunal de votre lieu de naissance ou en ligne. Ref {ref}")
"""An outbound message like Guichet's answers: GSM-7, one segment."""
WORKERS = {
    # RQ's default: a fork and a fresh app per job
    "rq worker": ["worker", "-w", "channels.worker.ForkingAppWorker", "--burst"],
    "guichet worker": None,  # python -m channels.worker: runtime built once, no fork
}


# ----------------------------------------------------------------------------- questions

def questions() -> list:
    """The held-out NLU examples (``nlu.trainingdata.Example``: plain text and language)."""
    from nlu.trainingdata import load_file

    return load_file(HELDOUT)


# ----------------------------------------------------------------------------- 1. inbound

def _inbound_request(port: int, form: dict[str, str]) -> bytes:
    body = urlencode(form).encode()
    head = (f"POST /sms/inbound HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode() + body


async def _callbacks(port: int, texts: list[str], numbers: _load._Numbers, ids: itertools.count,
                     tag: str, result: _load.Result, acks: Counter, measure_from: float,
                     deadline: float, per_connection: int) -> None:
    """One connection posting callbacks back to back until the deadline, a new one every
    ``per_connection`` callbacks (so that gunicorn's workers share the connections)."""
    reader = writer = None
    sent = 0
    try:
        while time.perf_counter() < deadline:
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection(HOST, port)
                except OSError as exc:
                    if time.perf_counter() >= measure_from:
                        result.errors += 1
                        if len(result.samples) < 5:
                            result.samples.append(f"connect: {exc}")
                    await asyncio.sleep(0.05)
                    continue
            n = next(ids)
            form = {"from": numbers.next(), "to": SHORT_CODE, "text": texts[n % len(texts)],
                    "date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                    "id": f"ATXid_{tag}_{n}", "linkId": f"ATLid_{tag}_{n}"}
            request = _inbound_request(port, form)
            started = time.perf_counter()
            try:
                writer.write(request)
                status, body, keep = await asyncio.wait_for(_load._read_response(reader),
                                                            _load.HOP_TIMEOUT)
            except (TimeoutError, OSError, asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError, ValueError, IndexError):
                status, body, keep = 0, b"", False
            finished = time.perf_counter()
            ok = status == 200 and body == b"OK"
            acks["ok" if ok else "failed"] += 1
            if started >= measure_from and finished <= deadline:
                if ok:
                    result.latencies.append(finished - started)
                else:
                    result.errors += 1
                    if len(result.samples) < 5:
                        result.samples.append(f"{status} {body[:80]!r}")
            sent += 1
            if not keep or not ok or sent % per_connection == 0:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


def load_inbound(port: int, texts: list[str], *, connections: int, warmup: float,
                 seconds: float, first_number: int, per_connection: int,
                 server_pid: int) -> tuple[_load.Result, Counter]:
    async def go() -> tuple[_load.Result, Counter]:
        result, acks = _load.Result(), Counter()
        numbers, ids = _load._Numbers(first_number), itertools.count()
        tag = f"bench{time.time_ns()}"
        now = time.perf_counter()
        measure_from, deadline = now + warmup, now + warmup + seconds
        await asyncio.gather(
            _load._cpu_meter(result, measure_from, deadline, lambda: ussd.tree_cpu(server_pid)),
            *(_callbacks(port, texts, numbers, ids, tag, result, acks, measure_from, deadline,
                         per_connection) for _ in range(connections)))
        result.measured_seconds = seconds
        return result, acks

    return asyncio.run(go())


def inbound_summary(r: _load.Result) -> dict:
    s = r.summary()
    return {"requests": s["hops"], "errors": s["errors"], "seconds": s["seconds"],
            "req_per_s": s["hops_per_s"], "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"],
            "server_cpu_us_per_req": s["server_cpu_us_per_hop"],
            "client_cpu_pct": s["client_cpu_pct"]}


def measure_inbound(args: argparse.Namespace, procs: Processes, env: dict[str, str],
                    guichet_env: dict[str, str], workdir: Path, texts: list[str]) -> dict:
    import redis
    from rq import Queue

    client = redis.Redis.from_url(env["REDIS_URL"])
    targets = ["guichet"] if args.no_baseline else ["baseline", "guichet"]
    servers = {}
    if "baseline" in targets:
        servers["baseline"] = ussd.start_gunicorn(
            procs, "bench.baseline_app:create_app()", "baseline",
            {**env, "BASELINE_DB": str(workdir / "baseline-sms.db")}, workdir,
            workers=args.workers)
    servers["guichet"] = ussd.start_gunicorn(
        procs, "channels.app:create_app()", "guichet", guichet_env, workdir,
        workers=args.workers, booted='"message": "guichet ready"')
    runs: dict[str, list[_load.Result]] = {name: [] for name in targets}
    acks: dict[str, Counter] = {name: Counter() for name in targets}
    first_number = 0
    for _ in range(args.rounds):
        for name in targets:
            port, proc, _failures = servers[name]
            result, counted = load_inbound(
                port, texts, connections=args.connections, warmup=args.warmup,
                seconds=args.seconds, first_number=first_number,
                per_connection=args.per_connection, server_pid=proc.pid)
            runs[name].append(result)
            acks[name].update(counted)
            first_number += 100_000
            if proc.poll() is not None:
                sys.exit(f"{name} stopped during the measure:\n"
                         f"{ussd._tail(workdir / f'{name}.log')}")
    # Every acknowledged callback must have left work behind: a row and a queued job.
    queue = Queue(QUEUE, connection=client)
    queued = {"guichet": queue.count}
    if "baseline" in targets:
        queued["baseline"] = client.llen("bench:sms:inbox")
    out: dict = {}
    for name in targets:
        out[name] = inbound_summary(ussd.pooled(runs[name]))
        out[name].update(acks_total=acks[name]["ok"], queued=queued[name],
                         samples=ussd.pooled(runs[name]).samples)
        if out[name]["errors"]:
            out[name]["log_tail"] = ussd._tail(workdir / f"{name}.log")
    if "baseline" in targets and out["baseline"]["req_per_s"]:
        b, g = out["baseline"], out["guichet"]
        out["ratio"] = round(g["req_per_s"] / b["req_per_s"], 3)
        out["cpu_ratio"] = (round(b["server_cpu_us_per_req"] / g["server_cpu_us_per_req"], 3)
                            if g["server_cpu_us_per_req"] else 0.0)
    out["start_failures"] = {n: f for n, (_p, _s, f) in servers.items() if f}
    for _port, proc, _failures in servers.values():
        procs.stop(proc)
    queue.empty()  # the answers are not what this run measures: drop them
    client.delete("bench:sms:inbox")
    client.close()
    return out


# ----------------------------------------------------------------------------- 2. outbound

def start_fake(procs: Processes, workdir: Path) -> int:
    """The fake Africa's Talking API in its own process; returns its port."""
    log = workdir / "fake-at.log"
    for _attempt in range(3):
        port = ussd.free_port()
        proc = procs.start([sys.executable, str(ROOT / "bench" / "_fake_at.py"), "--port",
                            str(port), "--username", AT_USERNAME, "--api-key", AT_API_KEY],
                           env=dict(os.environ), log=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                fake_stats(port)
                return port
            except OSError:
                time.sleep(0.05)
        procs.stop(proc)
    sys.exit(f"the fake Africa's Talking API did not start:\n{ussd._tail(log)}")


def _fake_call(port: int, method: str, path: str) -> bytes:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request(method, path)
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise OSError(f"fake {path}: {answer.status}")
        return body
    finally:
        conn.close()


def fake_stats(port: int) -> dict:
    return json.loads(_fake_call(port, "GET", "/bench/stats"))


def fake_reset(port: int) -> None:
    _fake_call(port, "POST", "/bench/reset")


def _number(tag: int, i: int) -> str:
    return f"+229019{tag}{i:06d}"


def _check(out: dict, stats: dict, messages: int) -> dict:
    out.update(delivered=stats["delivered"], distinct=stats["distinct"],
               rejected=stats["rejected"], rejections=stats["rejections"],
               exact=stats["delivered"] == stats["distinct"] == messages
               and not stats["rejected"])
    return out


def direct(fake_port: int, messages: int, threads: int, tag: int) -> dict:
    """The SDK's ``SMSService.send`` in a loop (``threads`` loops sharing the messages)."""
    from africastalking.SMS import SMSService

    service = SMSService(AT_USERNAME, AT_API_KEY)
    service._baseUrl = f"http://{HOST}:{fake_port}/version1"
    fake_reset(fake_port)
    items = [(_number(tag, i), ANSWER.format(ref=f"D{tag}-{i}")) for i in range(messages)]
    failures: list[str] = []

    def send(chunk: list[tuple[str, str]]) -> None:
        for number, text in chunk:
            try:
                answer = service.send(text, [number])
                code = int(answer["SMSMessageData"]["Recipients"][0]["statusCode"])
                if code not in (100, 101, 102):
                    failures.append(f"status {code}")
            except Exception as exc:  # counted, and shown in the report
                failures.append(f"{type(exc).__name__}: {exc}"[:120])

    cpu, started = time.process_time(), time.monotonic()
    if threads == 1:
        send(items)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(send, [items[k::threads] for k in range(threads)]))
    seconds = time.monotonic() - started
    cpu = time.process_time() - cpu
    out = {"path": f"SDK direct, {threads} thread{'s' if threads > 1 else ''}",
           "messages": messages, "seconds": round(seconds, 3),
           "msgs_per_s": round(messages / seconds, 1),
           "client_cpu_ms_per_msg": round(1000 * cpu / messages, 2),
           "failures": len(failures), "failure_samples": sorted(set(failures))[:3]}
    return _check(out, fake_stats(fake_port), messages)


def sender_loop(guichet_env: dict[str, str], workdir: Path, fake_port: int, messages: int,
                tag: int) -> dict:
    """Guichet's ``SmsSender`` (message log + SDK transport) called in a loop, no queue: how
    much of the queue path's cost is the sender itself."""
    from channels import runtime
    from channels.config import Settings

    env = {**guichet_env, "REDIS_URL": "",
           "DATABASE_URL": f"sqlite:///{workdir / 'sender-loop.db'}"}
    os.environ["SANDBOX_DB"] = env["SANDBOX_DB"]  # read by runtime.build
    rt = runtime.build(Settings.from_env(env))
    fake_reset(fake_port)
    failures: list[str] = []
    cpu, started = time.process_time(), time.monotonic()
    try:
        for i in range(messages):
            status = rt.sms.send(_number(tag, i), ANSWER.format(ref=f"S{tag}-{i}"), lang="fr",
                                 key=f"bench:sender:{tag}:{i}", final=True)
            if status != "sent":
                failures.append(status)
    finally:
        seconds = time.monotonic() - started
        cpu = time.process_time() - cpu
        rt.close()
    out = {"path": "SmsSender direct, 1 thread", "messages": messages,
           "seconds": round(seconds, 3), "msgs_per_s": round(messages / seconds, 1),
           "client_cpu_ms_per_msg": round(1000 * cpu / messages, 2),
           "failures": len(failures), "failure_samples": sorted(set(failures))[:3]}
    return _check(out, fake_stats(fake_port), messages)


def _rq_command() -> list[str]:
    script = Path(sys.executable).with_name("rq")
    return [str(script)] if script.exists() else [sys.executable, "-m", "rq.cli"]


def through_queue(procs: Processes, env: dict[str, str], workdir: Path, fake_port: int,
                  messages: int, workers: int, worker_class: str, tag: int,
                  timeout: float) -> dict:
    """M ``send_sms`` jobs into RQ (as the app enqueues them), then K burst workers."""
    from channels.queue import RQQueue
    from channels.sms.sender import send_sms

    queue = RQQueue(env["REDIS_URL"], name=QUEUE)
    queue.queue.empty()
    fake_reset(fake_port)
    started = time.monotonic()
    for i in range(messages):
        queue.enqueue(send_sms, user=_number(tag, i), text=ANSWER.format(ref=f"Q{tag}-{i}"),
                      lang="fr", key=f"bench:sms:{tag}:{i}")
    enqueued = time.monotonic() - started
    rq_args = WORKERS[worker_class]
    if rq_args is None:
        command = [sys.executable, "-m", "channels.worker", "--burst", "--url",
                   env["REDIS_URL"], QUEUE]
    else:
        command = [*_rq_command(), *rq_args, "--url", env["REDIS_URL"], QUEUE]
    started_workers = [procs.start(command, env=env, log=workdir / f"rq-{tag}-{k}.log")
                       for k in range(workers)]
    deadline = started + timeout
    while time.monotonic() < deadline and any(p.poll() is None for p in started_workers):
        time.sleep(0.05)
    timed_out = any(p.poll() is None for p in started_workers)
    for proc in started_workers:
        procs.stop(proc)
    stats = fake_stats(fake_port)
    failed, left = queue.queue.failed_job_registry.count, queue.queue.count
    queue.queue.empty()
    last, first = stats["last"] or started, stats["first"] or started
    seconds = last - started
    out = {"path": f"queue, {workers} x {worker_class}", "messages": messages,
           "seconds": round(seconds, 3),
           "msgs_per_s": round(stats["delivered"] / seconds, 1) if seconds > 0 else 0.0,
           "steady_msgs_per_s": round((stats["delivered"] - 1) / (last - first), 1)
           if stats["delivered"] > 1 and last > first else 0.0,
           "enqueue_ms": round(1000 * enqueued, 1),
           "first_delivery_s": round(first - started, 2) if stats["first"] else None,
           "failed_jobs": failed, "jobs_left": left, "timed_out": timed_out}
    out = _check(out, stats, messages)
    out["exact"] = out["exact"] and not failed and not left and not timed_out
    if not out["exact"]:
        out["worker_log_tail"] = ussd._tail(workdir / f"rq-{tag}-0.log")
    return out


def measure_outbound(args: argparse.Namespace, procs: Processes, guichet_env: dict[str, str],
                     workdir: Path, fake_port: int) -> dict:
    tags = itertools.count(1)
    out: dict = {"direct": [direct(fake_port, args.direct_messages, 1, next(tags))]}
    if args.direct_threads > 1:
        out["direct"].append(direct(fake_port, args.direct_messages, args.direct_threads,
                                    next(tags)))
    out["sender"] = sender_loop(guichet_env, workdir, fake_port, args.direct_messages,
                                next(tags))
    classes = ["guichet worker"] + ([] if args.no_rq_worker else ["rq worker"])
    # A plain rq worker takes about a second a job: give it fewer, or the bench takes minutes.
    counts = {"guichet worker": args.messages, "rq worker": min(args.messages, 60)}
    out["queue"] = [through_queue(procs, guichet_env, workdir, fake_port, counts[name],
                                  args.rq_workers, name, next(tags), args.queue_timeout)
                    for name in classes]
    best_direct = max(d["msgs_per_s"] for d in out["direct"])
    out["best_direct_msgs_per_s"] = best_direct
    out["ratios"] = {q["path"]: round(q["msgs_per_s"] / best_direct, 4) if best_direct else 0.0
                     for q in out["queue"]}
    return out


# ----------------------------------------------------------------------------- 3. segments

def measure_segments(examples: list, workdir: Path) -> dict:
    """Answer every question as the SMS channel does, each from a new citizen."""
    os.environ["SANDBOX_DB"] = str(workdir / "segments-sandbox.db")  # read by runtime.build
    os.environ.pop("PORTAL_URL", None)
    from channels import runtime
    from channels.app import create_app
    from channels.config import Settings
    from channels.gsm7 import segments
    from channels.queue import ThreadQueue
    from channels.sms.conversation import SmsConversation
    from channels.sms.inbox import IncomingSms
    from channels.sms.render import split, text_of

    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{workdir / 'segments.db'}",
                                  "SANDBOX_DB": os.environ["SANDBOX_DB"]})
    rt = runtime.build(settings)
    create_app(rt=rt)  # tasks the dialogs queue run in this app's context (local outbox)
    sent: list[str] = []
    replies: list = []
    conversation = SmsConversation(
        rt.manager, rt.inbox, rt.store, lambda user, text, **_kw: sent.append(text),
        max_segments=settings.sms_max_segments, rate_limit=settings.sms_rate_limit,
        track_code=settings.ussd_service_code)
    render = conversation._reply

    def keep_reply(user: str, reply, key: str) -> None:
        replies.append(reply)
        render(user, reply, key)

    conversation._reply = keep_reply
    rows = []
    started = time.monotonic()
    try:
        for i, example in enumerate(examples):
            sent.clear()
            replies.clear()
            message = IncomingSms(id=i + 1, provider_id=f"bench-q{i}",
                                  sender=f"+2290195{i:06d}", recipient=SHORT_CODE,
                                  text=example.text, link_id=None, status="received")
            outcome = conversation.handle(message)
            first = sent[0] if sent else ""
            whole = text_of(replies[0]) if replies else first
            lang = replies[0].lang if replies else example.language
            rows.append({"lang": example.language, "outcome": outcome, "question": example.text,
                         "first": segments(first) if first else 0,
                         "whole": segments(whole) if whole else 0,
                         "messages": len(split(whole, lang, settings.sms_max_segments))
                         if whole else 0})
    finally:
        if isinstance(rt.queue, ThreadQueue):
            rt.queue.drain(10)
        rt.close()
    seconds = time.monotonic() - started
    answered = [r for r in rows if r["first"]]

    def stats(key: str, rows: list[dict]) -> dict:
        values = [r[key] for r in rows]
        if not values:
            return {}
        return {"avg": round(statistics.fmean(values), 3), "max": max(values),
                "within_1": round(sum(v <= 1 for v in values) / len(values), 3),
                "within_3": round(sum(v <= 3 for v in values) / len(values), 3)}

    longest = max(answered, key=lambda r: (r["whole"], r["first"]), default=None)
    return {
        "questions": len(rows), "answered": len(answered),
        "outcomes": dict(Counter(r["outcome"] for r in rows)),
        "first_sms": stats("first", answered), "whole_answer": stats("whole", answered),
        "sms_per_answer": round(statistics.fmean(r["messages"] for r in answered), 3)
        if answered else 0.0,
        "by_language": {lang: {"questions": sum(r["lang"] == lang for r in answered),
                               "first_avg": stats("first", [r for r in answered
                                                            if r["lang"] == lang])["avg"],
                               "whole_avg": stats("whole", [r for r in answered
                                                            if r["lang"] == lang])["avg"]}
                        for lang in sorted({r["lang"] for r in answered})},
        "longest": {k: longest[k] for k in ("question", "lang", "whole", "first")}
        if longest else None,
        "ms_per_answer": round(1000 * seconds / len(rows), 1) if rows else 0.0,
    }


# ----------------------------------------------------------------------------- report

def print_table(out: dict) -> None:
    s = out["setup"]
    if "inbound" in out:
        i = out["inbound"]
        print(f"POST /sms/inbound, {s['connections']} connections (a new one every "
              f"{s['per_connection']} callbacks), {s['workers']} workers x {s['threads']} "
              f"threads, {s['cpus']} CPUs, {s['seconds']:g} s x {s['rounds']} round(s) after "
              f"{s['warmup']:g} s warm-up")
        print(f"{'target':<10}{'acks/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'acks':>8}{'errors':>8}"
              f"{'server CPU/ack':>16}{'queued/acked':>15}")
        for name in ("baseline", "guichet"):
            if name in i:
                r = i[name]
                print(f"{name:<10}{r['req_per_s']:>9.1f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
                      f"{r['requests']:>8}{r['errors']:>8}{r['server_cpu_us_per_req']:>13} us"
                      f"{r['queued']:>8}/{r['acks_total']}")
        if "ratio" in i:
            print(f"ratio guichet/baseline acks/s: {i['ratio']:.3f}; server CPU per ack, "
                  f"baseline/guichet: {i['cpu_ratio']:.2f}")
        for name in ("baseline", "guichet"):
            if i.get(name, {}).get("samples"):
                print(f"{name} errors, first ones: {i[name]['samples']}")
            if i.get(name, {}).get("log_tail"):
                print(f"--- end of {name}'s log\n{i[name]['log_tail']}")
        for name, failures in i["start_failures"].items():
            print(f"note: {name} had to be started again: {failures}")
        print()
    if "outbound" in out:
        o = out["outbound"]
        print(f"outbound to the loopback fake Africa's Talking API, 1 recipient per request: "
              f"{s['direct_messages']} messages per direct loop, {s['messages']} through the "
              f"queue ({s['rq_workers']} burst workers, from the first enqueue to the last "
              "message at the fake)")
        print(f"{'path':<30}{'msgs/s':>9}{'seconds':>9}{'delivered':>11}{'distinct':>10}"
              f"{'exactly once':>14}")
        for r in o["direct"] + [o["sender"]] + o["queue"]:
            print(f"{r['path']:<30}{r['msgs_per_s']:>9.1f}{r['seconds']:>9.2f}"
                  f"{r['delivered']:>11}{r['distinct']:>10}{'yes' if r['exact'] else 'NO':>14}")
        for q in o["queue"]:
            print(f"ratio {q['path']} / best direct ({o['best_direct_msgs_per_s']:.1f} msgs/s): "
                  f"{o['ratios'][q['path']]:.3f}  (steady {q['steady_msgs_per_s']:.1f} msgs/s "
                  f"after the first delivery at {q['first_delivery_s']} s)")
        for r in o["direct"] + [o["sender"]] + o["queue"]:
            if not r["exact"]:
                print(f"{r['path']}: rejections {r['rejections']}, "
                      + (f"failures {r['failure_samples']}" if "failures" in r else
                         f"failed jobs {r['failed_jobs']}, left {r['jobs_left']}, "
                         f"timed out {r['timed_out']}\n{r.get('worker_log_tail', '')}"))
        print()
    if "segments" in out:
        g = out["segments"]
        print(f"segments per answer: {g['answered']} of {g['questions']} held-out NLU "
              f"questions answered, outcomes {g['outcomes']}, {g['ms_per_answer']} ms each")
        print(f"{'':<28}{'avg':>7}{'max':>5}{'<= 1':>8}{'<= 3':>8}")
        for key, label in (("first_sms", "first SMS (sent now)"),
                           ("whole_answer", "whole answer (with PLUS)")):
            r = g[key]
            print(f"{label:<28}{r['avg']:>7.2f}{r['max']:>5}{r['within_1']:>8.1%}"
                  f"{r['within_3']:>8.1%}")
        print(f"SMS per answer (1 + PLUS pages): {g['sms_per_answer']:.2f}; by language, "
              "first SMS / whole: " + ", ".join(
                  f"{lang} {v['first_avg']:.2f}/{v['whole_avg']:.2f} ({v['questions']})"
                  for lang, v in g["by_language"].items()))
        if g["longest"]:
            print(f"longest answer: {g['longest']['whole']} segments, for "
                  f"{g['longest']['question']!r} ({g['longest']['lang']})")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=("inbound", "outbound", "segments"),
                        help="run only this measure (repeatable; default: all three)")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="inbound: measured seconds per target and round (default 5)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="inbound: unmeasured seconds before each measure (default 2)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="inbound: baseline then guichet, this many times (default 2)")
    parser.add_argument("--connections", type=int, default=32,
                        help="inbound: concurrent connections (default 32)")
    parser.add_argument("--per-connection", type=int, default=4,
                        help="inbound: callbacks per connection before a new one (default 4)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="inbound: skip the bare Flask floor")
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("WEB_CONCURRENCY", "2")),
                        help="gunicorn workers (WEB_CONCURRENCY, default 2)")
    parser.add_argument("--threads", type=int,
                        default=int(os.environ.get("GUNICORN_THREADS", "4")),
                        help="gthread threads per worker (GUNICORN_THREADS, default 4)")
    parser.add_argument("--messages", type=int, default=1000,
                        help="outbound: jobs through the queue (default 1000; at most 60 for "
                             "the plain rq worker run)")
    parser.add_argument("--direct-messages", type=int, default=1000,
                        help="outbound: messages per direct loop (default 1000: the direct "
                             "paths are fast, a longer run steadies their rate)")
    parser.add_argument("--rq-workers", type=int, default=2,
                        help="outbound: rq worker --burst processes (default 2)")
    parser.add_argument("--direct-threads", type=int, default=4,
                        help="outbound: threads of the concurrent direct loop (default 4)")
    parser.add_argument("--no-rq-worker", action="store_true",
                        help="outbound: skip the comparison run with a plain rq worker "
                             "(a fork and a fresh import per job)")
    parser.add_argument("--queue-timeout", type=float, default=300.0,
                        help="outbound: give up on a queue run after this many seconds")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a callback failed or a message was lost or doubled")
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 600 and 0 <= args.warmup <= 60 and 1 <= args.rounds <= 10
            and 1 <= args.connections <= 256 and 1 <= args.per_connection <= 10_000
            and 1 <= args.workers <= 16 and 1 <= args.threads <= 64
            and 1 <= args.messages <= 100_000 and 1 <= args.direct_messages <= 100_000
            and 1 <= args.rq_workers <= 16
            and 1 <= args.direct_threads <= 64 and 1 <= args.queue_timeout <= 3600):
        parser.error("out of range: seconds 0-600, warmup 0-60, rounds 1-10, connections "
                     "1-256, per-connection 1-10000, workers 1-16, threads 1-64, messages and "
                     "direct-messages 1-100000, rq-workers 1-16, direct-threads 1-64, "
                     "queue-timeout 1-3600")
    args.only = set(args.only or ("inbound", "outbound", "segments"))
    return args


def failed(out: dict) -> bool:
    inbound = out.get("inbound", {})
    outbound = out.get("outbound", {})
    return (any(inbound.get(n, {}).get("errors") for n in ("baseline", "guichet"))
            or any(not r["exact"] for r in outbound.get("direct", []) + outbound.get("queue", [])
                   + ([outbound["sender"]] if "sender" in outbound else []))
            or bool(out.get("segments") and out["segments"]["answered"]
                    < out["segments"]["questions"]))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below
    examples = questions()
    procs = Processes()
    out: dict = {"setup": {
        "connections": args.connections, "per_connection": args.per_connection,
        "seconds": args.seconds, "warmup": args.warmup, "rounds": args.rounds,
        "workers": args.workers, "threads": args.threads, "cpus": os.cpu_count(),
        "messages": args.messages, "direct_messages": args.direct_messages,
        "rq_workers": args.rq_workers,
        "direct_threads": args.direct_threads, "questions": len(examples)}}
    with tempfile.TemporaryDirectory(prefix="guichet-bench-sms-") as tmp:
        workdir = Path(tmp)
        try:
            if args.only & {"inbound", "outbound"}:
                redis_url = ussd.start_redis(procs, workdir)
                fake_port = start_fake(procs, workdir)
                env = {k: v for k, v in os.environ.items()
                       if k not in ("PORTAL_URL", "PROMETHEUS_MULTIPROC_DIR", "HOST", "PORT",
                                    "AT_SENDER_ID")}
                env.update(REDIS_URL=redis_url, WEB_CONCURRENCY=str(args.workers),
                           GUNICORN_THREADS=str(args.threads), PYTHONDONTWRITEBYTECODE="1")
                metrics_dir = workdir / "prometheus"
                metrics_dir.mkdir()
                guichet_env = {**env, "SANDBOX_DB": str(workdir / "sandbox-portal.db"),
                               "DATABASE_URL": f"sqlite:///{workdir / 'guichet.db'}",
                               "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
                               "AT_USERNAME": AT_USERNAME, "AT_API_KEY": AT_API_KEY,
                               "AT_API_URL": f"http://{HOST}:{fake_port}"}
                if "inbound" in args.only:
                    texts = [e.text for e in examples]
                    out["inbound"] = measure_inbound(args, procs, env, guichet_env, workdir,
                                                     texts)
                if "outbound" in args.only:
                    out["outbound"] = measure_outbound(args, procs, guichet_env, workdir,
                                                       fake_port)
            procs.stop_all()
            if "segments" in args.only:
                out["segments"] = measure_segments(examples, workdir)
        finally:
            procs.stop_all()
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print_table(out)
    return 1 if args.strict and failed(out) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers are already stopped by main's cleanup
        sys.exit("interrupted")
