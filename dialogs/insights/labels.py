"""The learning loop: a supervisor says what an unanswered question meant, the labels go into
the NLU's training data in Rasa's format, and the next model answers such questions.

A label is an intent (``ask_procedure`` with a procedure and an aspect, ``start_eservice``...),
or "out of scope" (then the example teaches ``out_of_scope``).  Each label is audited (who,
what, when).  :func:`export_yaml` writes the labels as Rasa 3.1 NLU YAML, the format of every
file in ``nlu/data``, with the procedure and aspect as entity annotations
(``make nlu-import-labelled`` writes ``nlu/data/labelled.yml``, which the trainer reads with the
others); the texts are the masked ones, never the raw question.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
import yaml

from dialogs.desk.records import now, write_audit
from dialogs.insights.records import labels
from nlu.entities import Entity, EntityExtractor
from nlu.lexicon import build_lexicon

Extract = Callable[[str], list[Entity]]
"""Where the entities of a text are (the NLU's rule-based extractor): finds the span that names
the procedure and the aspect word a supervisor picked."""

INTENTS = ("ask_procedure", "start_eservice", "track_request", "human_handoff",
           "change_language", "greet", "goodbye", "thanks", "help", "affirm", "deny",
           "out_of_scope")
"""The NLU's intents (the contract's list): a label names one of them."""
ASPECTS = ("cost", "documents", "delay", "where", "validity", "online")


class LabelError(ValueError):
    """A label that cannot be kept (unknown intent or aspect, empty text)."""


@dataclass(frozen=True)
class Label:
    text: str
    lang: str
    intent: str
    procedure: str | None = None
    aspect: str | None = None

    @property
    def out_of_scope(self) -> bool:
        return self.intent == "out_of_scope"


def check(text: str, lang: str, intent: str, procedure: str | None, aspect: str | None,
          procedures: set[str] | None = None) -> Label:
    """A valid label or :class:`LabelError` saying what is wrong (in the console's French)."""
    text = " ".join((text or "").split())[:300]
    if not text:
        raise LabelError("Question vide.")
    if intent not in INTENTS:
        raise LabelError("Intention inconnue.")
    procedure = (procedure or "").strip() or None
    aspect = (aspect or "").strip() or None
    if aspect is not None and aspect not in ASPECTS:
        raise LabelError("Aspect inconnu.")
    if procedure is not None and procedures is not None and procedure not in procedures:
        raise LabelError("Démarche inconnue.")
    if intent == "out_of_scope":
        procedure = aspect = None
    return Label(text, (lang or "fr")[:8], intent, procedure, aspect)


def save(engine: sa.Engine, label: Label, *, agent_id: int, login: str,
         ip: str | None = None) -> None:
    """Keep ``label`` (a new label of the same text replaces the old one, not yet exported
    again) and write the audit line in the same transaction."""
    at = now()
    values = {"intent": label.intent, "procedure": label.procedure, "aspect": label.aspect,
              "out_of_scope": label.out_of_scope, "labelled_by": login, "labelled_at": at,
              "exported_at": None}
    with engine.begin() as db:
        updated = db.execute(labels.update().where(labels.c.text == label.text,
                                                   labels.c.lang == label.lang)
                             .values(**values)).rowcount
        if not updated:
            db.execute(labels.insert().values(text=label.text, lang=label.lang, **values))
        detail = (f"intent={label.intent} procedure={label.procedure or '-'} "
                  f"aspect={label.aspect or '-'} lang={label.lang}")
        write_audit(db, action="insight_label", agent_id=agent_id, login=login,
                    target=label.text[:100], detail=detail, ip=ip, at=at)


def listed(engine: sa.Engine, limit: int = 200) -> list[dict]:
    """The labels, newest first, as the page shows them."""
    with engine.connect() as db:
        rows = db.execute(sa.select(labels).order_by(labels.c.labelled_at.desc())
                          .limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def labelled_texts(engine: sa.Engine) -> set[tuple[str, str]]:
    with engine.connect() as db:
        return {(t, lang) for t, lang in db.execute(sa.select(labels.c.text, labels.c.lang))}


@dataclass
class Export:
    """What :func:`export_yaml` wrote: the YAML, how many examples, and which labelled
    procedure or aspect it could not find in its question (kept with the intent only)."""

    body: str
    count: int
    unplaced: list[str] = field(default_factory=list)


def default_extractor() -> Extract:
    """The NLU's entity extractor over the shipped catalogue's lexicon."""
    return EntityExtractor(build_lexicon()).extract


def _annotation(span: str, entity: str, value: str) -> str:
    """Rasa 3.x: ``[span](entity)`` when the span is the value itself (Rasa takes the span's
    words as the value), else the JSON form naming the value."""
    if span == value:
        return f"[{span}]({entity})"
    return f"[{span}]{json.dumps({'entity': entity, 'value': value}, ensure_ascii=False)}"


def annotate(text: str, procedure: str | None, aspect: str | None,
             extract: Extract) -> tuple[str, list[str]]:
    """One example line with the procedure and aspect the supervisor picked as entity
    annotations where the extractor finds them in ``text``, and what it did not find.

    Why annotate: the embedded NLU and Rasa's DIET learn which words name a procedure or an
    aspect from the annotations; an example without them would teach "ask_procedure" with no
    procedure, and the dialog would ask again which procedure the citizen means."""
    text = " ".join(text.split())  # "[nom]" (a masked name) must not read as markup:
    text = text.replace("](", "] (").replace("]{", "] {").replace("][", "] [")
    wanted = {"procedure": procedure, "aspect": aspect}
    found: dict[str, Entity] = {}
    for e in extract(text):
        if wanted.get(e.entity) == e.value and e.entity not in found \
                and e.start is not None and e.end is not None:
            found[e.entity] = e
    spans = sorted(found.values(), key=lambda e: e.start or 0)
    if len(spans) == 2 and (spans[0].end or 0) > (spans[1].start or 0):
        spans = spans[:1]  # overlapping: the procedure's (found first) wins
    out, pos = [], 0
    for e in spans:
        assert e.start is not None and e.end is not None
        out += [text[pos:e.start], _annotation(text[e.start:e.end], e.entity, e.value)]
        pos = e.end
    out.append(text[pos:])
    placed = {e.entity for e in spans}
    missing = [f"{name}={value}" for name, value in wanted.items()
               if value and name not in placed]
    return "".join(out), missing


class _Block(str):
    """A string YAML writes as a literal block (``examples: |``), as Rasa's files do."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Block, lambda dumper, data: dumper.represent_scalar(
    "tag:yaml.org,2002:str", str(data), style="|"))


def export_yaml(engine: sa.Engine, *, mark: bool = True,
                extract: Extract | None = None) -> Export:
    """Every label as Rasa 3.1 NLU YAML (one block per intent and language), the procedure and
    aspect as entity annotations where their words are found; with ``mark``, the labels are
    stamped as exported."""
    extract = extract or default_extractor()
    with engine.begin() as db:
        rows = db.execute(sa.select(labels).order_by(labels.c.intent, labels.c.lang,
                                                     labels.c.text)).mappings().all()
        if mark and rows:
            db.execute(labels.update().values(exported_at=now()))
    blocks: dict[tuple[str, str], list[str]] = {}
    unplaced: list[str] = []
    for row in rows:
        intent = "out_of_scope" if row["out_of_scope"] else row["intent"]
        line, missing = annotate(row["text"], row["procedure"], row["aspect"], extract)
        if missing:
            unplaced.append(f"{row['text']!r}: {', '.join(missing)} not found in the text, "
                            f"kept with the intent {intent} only")
        blocks.setdefault((intent, row["lang"]), []).append(line)
    nlu = [{"intent": intent, "metadata": {"language": lang, "style": "labelled"},
            "examples": _Block("".join(f"- {line}\n" for line in lines))}
           for (intent, lang), lines in sorted(blocks.items())]
    header = ("# Unanswered questions labelled by supervisors on /agent/insights, masked\n"
              "# (digits as #, names as [nom]).  Written by `make nlu-import-labelled`;\n"
              "# review before training.  Rasa 3.1 format.\n")
    body = yaml.dump({"version": "3.1", "nlu": nlu}, Dumper=_Dumper, allow_unicode=True,
                     sort_keys=False, width=1000)
    return Export(header + body, len(rows), unplaced)


def since(days: int, until: dt.datetime | None = None) -> dt.datetime:
    return (until or now()) - dt.timedelta(days=days)
