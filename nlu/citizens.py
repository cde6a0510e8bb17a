"""``python -m nlu.citizens`` (part of ``make nlu-eval``): the held-out citizens' questions.

Reads ``nlu/eval/citizens.yml`` (written apart from the training data) and reports intent
accuracy, procedure accuracy, the out-of-catalogue questions refused, aspects and variants
found, and the answers that would give another procedure's facts (must be zero). A procedure
is added to the catalogue as a refresh would add it: its questions must be refused before and
understood after.

With ``--url`` (a running ``make run``), every question is also sent as an SMS to the service
(``POST /sms/inbound``, answer read back from ``/simulator/outbox``) and the answer is checked
against the catalogue's facts: the procedure's title and asked fee, or the refusal with the 135
and no other procedure's title. ``--catalogue`` names the ``SANDBOX_CATALOGUE`` file the service
reads: the script adds the procedures there and waits for one refresh.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlu.lexicon import CATALOGUE_PATH, shipped_catalogue
from nlu.thresholds import MIN_CONFIDENCE

HELDOUT = Path(__file__).resolve().parent / "eval" / "citizens.yml"
REFUSE, NONE = "REFUSE", "NONE"


@dataclass(frozen=True)
class Question:
    lang: str
    text: str
    intent: str
    procedure: str  # a slug, REFUSE or NONE
    aspects: tuple[str, ...] = ()
    variant: str | None = None


@dataclass
class Score:
    n: int = 0
    intent_ok: int = 0
    procedure_n: int = 0
    procedure_ok: int = 0
    refusals_n: int = 0
    refused: int = 0
    wrong_procedure: int = 0
    aspects_n: int = 0
    aspects_ok: int = 0
    variants_n: int = 0
    variants_ok: int = 0
    errors: list[str] = field(default_factory=list)


def _question(row: Any) -> Question:
    if isinstance(row, dict):
        return Question(row["lang"], row["text"], row["intent"], row.get("procedure") or NONE,
                        tuple(row.get("aspects") or ()), row.get("variant"))
    lang, text, slug, aspects, *rest = row
    return Question(lang, text, "ask_procedure", slug, tuple(aspects), rest[0] if rest else None)


def load(path: Path = HELDOUT) -> tuple[list[Question], list[dict], list[Question]]:
    """The questions, the procedures added while running, and the questions about them."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    added = doc.get("added") or {}
    return ([_question(r) for r in doc["questions"]], list(added.get("procedures") or []),
            [_question(r) for r in added.get("questions") or []])


def _values(result: dict, entity: str) -> list[str]:
    return [e["value"] for e in result["entities"] if e["entity"] == entity]


def score(questions: Iterable[Question], parse: Callable[[str], dict],
          into: Score | None = None) -> Score:
    s = into or Score()
    for q in questions:
        result = parse(q.text)
        intent = result["intent"]["name"]
        if result["intent"]["confidence"] < MIN_CONFIDENCE:
            intent = "out_of_scope"
        procs = sorted(set(_values(result, "procedure")))
        s.n += 1
        s.intent_ok += intent == q.intent
        problems = [] if intent == q.intent else [f"intent {intent}"]
        if q.procedure == REFUSE:
            s.refusals_n += 1
            s.refused += not procs
            s.wrong_procedure += bool(procs)
            if procs:
                problems.append(f"WRONG PROCEDURE {procs} (must refuse)")
        elif q.procedure == NONE:
            s.wrong_procedure += bool(procs) and q.intent == "ask_procedure"
        else:
            s.procedure_n += 1
            s.procedure_ok += procs == [q.procedure]
            if procs and q.procedure not in procs:
                s.wrong_procedure += 1
                problems.append(f"WRONG PROCEDURE {procs}")
            elif procs != [q.procedure]:
                problems.append(f"procedure {procs}")
        if q.aspects:
            s.aspects_n += 1
            ok = set(q.aspects) <= set(_values(result, "aspect"))
            s.aspects_ok += ok
            if not ok:
                problems.append(f"aspects {_values(result, 'aspect')}")
        if q.variant:
            s.variants_n += 1
            ok = q.variant in _values(result, "variant")
            s.variants_ok += ok
            if not ok:
                problems.append("variant missed")
        if problems:
            s.errors.append(f"[{q.lang}] {q.text[:70]!r}: {'; '.join(problems)}")
    return s


def _ratio(ok: int, n: int) -> str:
    return f"{ok / n:.3f} ({ok}/{n})" if n else "n/a"


def report(s: Score, title: str) -> None:
    print(f"== {title}: {s.n} questions")
    print(f"intent accuracy      {_ratio(s.intent_ok, s.n)}")
    print(f"procedure accuracy   {_ratio(s.procedure_ok, s.procedure_n)}")
    print(f"out-of-catalogue     refused {_ratio(s.refused, s.refusals_n)}")
    print(f"aspects (all asked)  {_ratio(s.aspects_ok, s.aspects_n)}")
    print(f"variants             {_ratio(s.variants_ok, s.variants_n)}")
    print(f"wrong-procedure answers: {s.wrong_procedure}")
    for line in s.errors:
        print("  miss", line)


def evaluate_embedded(path: Path = HELDOUT) -> Score:
    """Parse-level figures with the embedded model, before and after the added procedures."""
    from nlu.embedded import load_or_train

    questions, added, about_added = load(path)
    base = load_or_train().with_catalogue(shipped_catalogue())
    s = score(questions, base.parse)
    s = score([Question(q.lang, q.text, q.intent, REFUSE, q.aspects) for q in about_added],
              base.parse, s)  # before the refresh: not in the catalogue
    grown = base.with_catalogue(shipped_catalogue() + added)
    return score(about_added, grown.parse, s)  # after: understood


# -- end to end by SMS against a running service -----------------------------------------------

def _plain(text: str) -> str:
    """Letters and digits only, lower case, no accents: GSM-7 answers and catalogue titles
    compare whatever the quotes and spaces became."""
    text = unicodedata.normalize("NFD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _digits(text: str) -> str:
    return re.sub(r"(?<=\d)[\s,.\u202f\xa0](?=\d{3})", "", text)


class SmsCitizen:
    """Texts the running service and reads its answer from the simulator's outbox."""

    _numbers = itertools.count(1)

    def __init__(self, url: str) -> None:
        import requests

        self.url, self.http = url.rstrip("/"), requests.Session()
        self.run = int(time.time()) % 100000

    def ask(self, text: str, timeout: float = 15.0) -> str:
        phone = f"+22901{self.run:05d}{next(self._numbers) % 1000:03d}"
        self.http.post(f"{self.url}/sms/inbound", timeout=5, data={
            "from": phone, "to": "1350", "text": text, "date": "2026-11-30 10:00:00",
            "id": f"ATXid_eval_{phone}_{time.time_ns()}", "linkId": "eval"}).raise_for_status()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.http.get(f"{self.url}/simulator/outbox", timeout=5,
                                  params={"phone": phone, "channel": "sms"}).json()
            if found.get("messages"):
                return str(found["messages"][0]["body"])
            time.sleep(0.2)
        return ""


def _titles(catalogue: list[dict]) -> dict[str, list[str]]:
    """Each procedure's titles (without their parenthesised detail), as compared."""
    return {p["slug"]: [_plain(re.sub(r"\s*\(.*?\)", "", t))
                        for t in (p.get("title") or {}).values()] for p in catalogue}


def check_answer(q: Question, answer: str, facts: dict[str, dict], titles: dict) -> str | None:
    """What is wrong with ``answer`` (``None``: right), against the catalogue's facts."""
    plain = _plain(answer)
    others = [slug for slug, names in titles.items()
              if slug != q.procedure and any(n and n in plain for n in names)]
    if q.procedure == REFUSE:
        if others:
            return f"another procedure's facts: {others}"
        return None if "135" in plain else "not said to be missing (no facts given)"
    if q.procedure == NONE or q.intent != "ask_procedure":  # a form, a status, a greeting
        return f"another procedure's facts: {others}" if others else None
    if not any(n in plain for n in titles.get(q.procedure, [])):
        return "the procedure's title is missing" + (f" (gave {others})" if others else "")
    proc = facts[q.procedure]
    cost = proc.get("cost_xof")
    if q.variant and (proc.get("variants") or {}).get(q.variant):
        cost = proc["variants"][q.variant].get("cost_xof")
    if "cost" in q.aspects and cost and str(cost) not in _digits(answer):
        return f"fee {cost} missing"
    return None


def evaluate_sms(url: str, catalogue_file: Path | None, path: Path = HELDOUT) -> tuple[int, int]:
    """(right, asked) over every question sent by SMS; prints the wrong answers."""
    questions, added, about_added = load(path)
    base_doc = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    if catalogue_file is not None:
        catalogue_file.write_text(yaml.safe_dump(base_doc, allow_unicode=True), encoding="utf-8")
    facts = {p["slug"]: p for p in base_doc["procedures"]}
    citizen = SmsCitizen(url)
    if catalogue_file is not None:  # the service may still serve another catalogue
        probe = next((q for q in questions if q.procedure in facts and "cost" in q.aspects),
                     None)
        if probe is not None:
            print("wrote the catalogue file; waiting for the service to serve it...")
            _until_right(citizen, probe, facts, _titles(base_doc["procedures"]))
    right = asked = 0
    rounds = [(questions, base_doc["procedures"])]
    if catalogue_file is not None and added:
        rounds.append(([Question(q.lang, q.text, q.intent, REFUSE) for q in about_added],
                       base_doc["procedures"]))
    for batch, procs in rounds:
        right, asked = _sms_round(citizen, batch, facts, _titles(procs), right, asked)
    if catalogue_file is not None and added:
        grown = dict(base_doc, procedures=base_doc["procedures"] + added)
        catalogue_file.write_text(yaml.safe_dump(grown, allow_unicode=True), encoding="utf-8")
        facts.update({p["slug"]: p for p in added})
        print("added procedures to the catalogue file; waiting for a refresh...")
        _until_right(citizen, about_added[0], facts, _titles(grown["procedures"]))
        right, asked = _sms_round(citizen, about_added, facts, _titles(grown["procedures"]),
                                  right, asked)
    return right, asked


def _until_right(citizen: SmsCitizen, probe: Question, facts: dict, titles: dict,
                 timeout: float = 600.0) -> None:
    """Ask ``probe`` until it is answered right: the catalogue file just written is served
    (one ``CATALOGUE_REFRESH_SECONDS`` later); questions asked before would be scored against
    the catalogue the service had."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check_answer(probe, citizen.ask(probe.text), facts, titles) is None:
            return
        time.sleep(2)


WRONG_FACTS = [0]
"""Answers by SMS that showed another procedure's title (must stay 0)."""


def _sms_round(citizen: SmsCitizen, batch: list[Question], facts: dict, titles: dict,
               right: int, asked: int) -> tuple[int, int]:
    for q in batch:
        answer = citizen.ask(q.text)
        problem = check_answer(q, answer, facts, titles) if answer else "no answer"
        asked += 1
        right += problem is None
        WRONG_FACTS[0] += bool(problem and problem.startswith("another procedure"))
        if problem:
            print(f"  wrong [{q.lang}] {q.text[:60]!r}: {problem}: {answer[:90]!r}")
    return right, asked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running service (make run), e.g. http://127.0.0.1:8000")
    parser.add_argument("--catalogue", type=Path, help="its SANDBOX_CATALOGUE file")
    args = parser.parse_args(argv)
    s = evaluate_embedded()
    report(s, "held-out citizens' questions, embedded model")
    failed = s.wrong_procedure > 0
    if args.url:
        right, asked = evaluate_sms(args.url, args.catalogue)
        print(f"== by SMS against {args.url}: answers right {_ratio(right, asked)}; "
              f"answers with another procedure's facts: {WRONG_FACTS[0]}")
        failed = failed or WRONG_FACTS[0] > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
