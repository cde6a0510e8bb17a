"""``python -m nlu.evaluate`` (``make nlu-eval``): figures on the held-out set.

Prints intent, procedure, aspect and language accuracy, per-intent and per-language precision,
recall and F1, the misclassified examples, parse latency p50/p99, training time and the memory
the model takes. With ``RASA_URL`` set, the same figures for the Rasa server (trained on the same
data by ``make rasa-train``) are printed beside ours; its language comes from our identifier,
as in the service, and its latency includes the HTTP hop.

Procedure accuracy is over the examples that name a procedure (the predicted set of slugs must
equal the annotated set); aspect accuracy likewise over the examples that ask an aspect.
Spurious procedures (predicted where none is annotated) are counted separately.
"""

from __future__ import annotations

import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sklearn.metrics import precision_recall_fscore_support

from nlu.embedded import EmbeddedNLU, fingerprint
from nlu.trainingdata import Example, load_file

HELDOUT = Path(__file__).resolve().parent / "tests" / "heldout.yml"

Parser = Callable[[str], dict]


@dataclass
class Report:
    n: int = 0
    intent_accuracy: float = 0.0
    procedure_accuracy: float = 0.0
    procedure_total: int = 0
    spurious_procedures: int = 0
    aspect_accuracy: float = 0.0
    aspect_total: int = 0
    language_accuracy: float = 0.0
    per_intent: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)
    per_language: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    p50_ms: float = 0.0
    p99_ms: float = 0.0


def _values(entities: list[dict], name: str) -> set[str]:
    return {e["value"] for e in entities if e["entity"] == name}


def _prf(gold: list[str], pred: list[str]) -> dict[str, tuple[float, float, float, int]]:
    labels = sorted(set(gold))
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    return {lab: (p[i], r[i], f[i], int(s[i])) for i, lab in enumerate(labels)}


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def score(parse: Parser, examples: list[Example], rounds: int = 5) -> Report:
    """Run ``parse`` over ``examples`` (``rounds`` times, for latency) and score the first run."""
    results = [parse(ex.text) for ex in examples]
    latencies = []
    for _ in range(rounds):
        for ex in examples:
            started = time.perf_counter()
            parse(ex.text)
            latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    rep = Report(n=len(examples), p50_ms=_percentile(latencies, 0.5),
                 p99_ms=_percentile(latencies, 0.99))
    gold_i, pred_i, gold_l, pred_l = [], [], [], []
    proc_ok = aspect_ok = 0
    for ex, res in zip(examples, results, strict=True):
        gold_procs = {s.value for s in ex.entities if s.entity == "procedure"}
        gold_aspects = {s.value for s in ex.entities if s.entity == "aspect"}
        procs, aspects = _values(res["entities"], "procedure"), _values(res["entities"], "aspect")
        intent, lang = res["intent"]["name"], res["language"]["code"]
        gold_i.append(ex.intent)
        pred_i.append(intent)
        gold_l.append(ex.language)
        pred_l.append(lang)
        wrong = []
        if intent != ex.intent:
            wrong.append(f"intent {intent} (want {ex.intent})")
        if gold_procs:
            rep.procedure_total += 1
            proc_ok += procs == gold_procs
        elif procs:
            rep.spurious_procedures += 1
        if procs != gold_procs:
            wrong.append(f"procedure {sorted(procs)} (want {sorted(gold_procs)})")
        if gold_aspects:
            rep.aspect_total += 1
            aspect_ok += aspects == gold_aspects
            if aspects != gold_aspects:
                wrong.append(f"aspect {sorted(aspects)} (want {sorted(gold_aspects)})")
        if lang != ex.language:
            wrong.append(f"language {lang} (want {ex.language})")
        if wrong:
            rep.errors.append(f"[{ex.language}] {ex.text!r}: " + "; ".join(wrong))
    rep.intent_accuracy = sum(g == p for g, p in zip(gold_i, pred_i, strict=True)) / rep.n
    rep.language_accuracy = sum(g == p for g, p in zip(gold_l, pred_l, strict=True)) / rep.n
    rep.procedure_accuracy = proc_ok / max(1, rep.procedure_total)
    rep.aspect_accuracy = aspect_ok / max(1, rep.aspect_total)
    rep.per_intent = _prf(gold_i, pred_i)
    rep.per_language = _prf(gold_l, pred_l)
    return rep


def measure_training() -> tuple[EmbeddedNLU, float, float, float]:
    """Train the model, returning it, the training seconds (untraced run), the MB the trained
    model holds (tracemalloc, on a second run) and the peak resident-set growth in MB
    (ru_maxrss: an upper bound that includes training scratch and the imports it triggers)."""
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    model = EmbeddedNLU.train()
    seconds = time.perf_counter() - started
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    del model
    gc.collect()
    tracemalloc.start()
    model = EmbeddedNLU.train()
    gc.collect()
    held, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return model, seconds, held / 1e6, rss_growth


_WORKER_PROBE = """
import sys
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
import flask, requests, yaml  # a worker has these already
base = rss()
from nlu.embedded import load_or_train
from pathlib import Path
model = load_or_train(Path(sys.argv[1]))
model.parse("combien coute le passeport")
print(rss() - base, any(m.startswith("sklearn") for m in sys.modules))
"""


def worker_footprint(model: EmbeddedNLU) -> tuple[float, bool]:
    """Resident MB that loading ``model`` from its artefact adds to a fresh worker process
    (our imports included), and whether scikit-learn got imported (it should not)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nlu-model.pkl"
        model.fingerprint = fingerprint()
        model.save(path)
        out = subprocess.run([sys.executable, "-c", _WORKER_PROBE, str(path)], check=True,
                             capture_output=True, text=True, cwd=Path(__file__).parents[1])
    mb, sklearn_loaded = out.stdout.split()
    return float(mb), sklearn_loaded == "True"


def _fmt(value: float | None, pct: bool = True) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if pct else f"{value:.2f}"


def print_reports(reports: dict[str, Report], out=sys.stdout) -> None:
    names = list(reports)
    w = 12
    head = f"{'':28}" + "".join(f"{n:>{w}}" for n in names)
    print(head, file=out)
    rows = [
        ("examples", lambda r: str(r.n)),
        ("intent accuracy", lambda r: _fmt(r.intent_accuracy)),
        ("procedure accuracy", lambda r: f"{_fmt(r.procedure_accuracy)}/{r.procedure_total}"),
        ("spurious procedures", lambda r: str(r.spurious_procedures)),
        ("aspect accuracy", lambda r: f"{_fmt(r.aspect_accuracy)}/{r.aspect_total}"),
        ("language accuracy", lambda r: _fmt(r.language_accuracy)),
        ("parse p50 (ms)", lambda r: _fmt(r.p50_ms, False)),
        ("parse p99 (ms)", lambda r: _fmt(r.p99_ms, False)),
    ]
    for label, get in rows:
        print(f"{label:28}" + "".join(f"{get(reports[n]):>{w}}" for n in names), file=out)
    for title, attr in (("per intent", "per_intent"), ("per language", "per_language")):
        print(f"\n{title} (precision recall F1 support)", file=out)
        labels = sorted({k for r in reports.values() for k in getattr(r, attr)})
        for lab in labels:
            cells = []
            for n in names:
                p, r, f, s = getattr(reports[n], attr).get(lab, (0, 0, 0, 0))
                cells.append(f"{n}: {p:.2f} {r:.2f} {f:.2f} {s:>3}")
            print(f"  {lab:18}" + "   ".join(cells), file=out)
    for n in names:
        print(f"\nmisclassified by {n} ({len(reports[n].errors)}):", file=out)
        for line in reports[n].errors:
            print(f"  {line}", file=out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else HELDOUT
    examples = load_file(path)
    model, seconds, held_mb, rss_mb = measure_training()
    worker_mb, sklearn_loaded = worker_footprint(model)
    reports = {"embedded": score(model.parse, examples)}
    rasa_url = os.environ.get("RASA_URL")
    if rasa_url:
        from nlu.rasa_client import RasaClient, RasaError

        client = RasaClient(rasa_url, timeout=5.0)

        def rasa_parse(text: str) -> dict:
            result = client.parse(text)
            code, confidence = model.langid.identify(text)
            result["language"] = {"code": code, "confidence": confidence}
            return result

        try:
            reports["rasa"] = score(rasa_parse, examples, rounds=2)
        except RasaError as exc:
            print(f"Rasa at {rasa_url} unusable ({exc}); its column is left out", file=sys.stderr)
    print(f"held-out set: {path} ({len(examples)} examples)")
    print(f"embedded model: trained on {model.info['examples']} examples in {seconds:.2f} s; "
          f"memory held {held_mb:.1f} MB (tracemalloc); training peak RSS growth {rss_mb:.1f} MB")
    print(f"worker: loading var/nlu-model.pkl adds {worker_mb:.1f} MB RSS, imports included "
          f"(scikit-learn {'imported' if sklearn_loaded else 'not imported'})\n")
    print_reports(reports)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
