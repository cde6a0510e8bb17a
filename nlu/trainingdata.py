"""Read NLU training data written in Rasa 3.1 YAML.

The data stays in Rasa's format so the same files train Rasa (DIET) and the embedded model; this
module reads the small part of the format we use: ``- intent:`` items with ``examples: |`` lines,
entity annotations ``[text]{"entity": ..., "value": ...}`` or ``[text](entity)``, and intent-level
``metadata`` carrying the ``language`` (and ``reviewed: false`` for unreviewed Fon/Yoruba).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\{(?P<json>[^}]*)\}|\((?P<name>[^)]+)\))")


@dataclass(frozen=True)
class Span:
    entity: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    language: str
    entities: tuple[Span, ...] = field(default_factory=tuple)
    reviewed: bool = True
    style: str = ""
    source: str = ""


def parse_annotated(line: str) -> tuple[str, tuple[Span, ...]]:
    """Strip Rasa entity annotations from one example, returning plain text and the spans."""
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    length = 0
    for m in _ANNOTATION.finditer(line):
        before = line[pos : m.start()]
        out.append(before)
        length += len(before)
        text = m.group("text")
        if m.group("json") is not None:
            meta = json.loads("{" + m.group("json") + "}")
            entity, value = meta["entity"], str(meta.get("value", text))
        else:
            entity, value = m.group("name"), text
        spans.append(Span(entity, value, length, length + len(text)))
        out.append(text)
        length += len(text)
        pos = m.end()
    out.append(line[pos:])
    return "".join(out), tuple(spans)


def _example_lines(block: str) -> Iterator[str]:
    for raw in block.splitlines():
        raw = raw.strip()
        if raw.startswith("- "):
            yield raw[2:].strip()


def load_file(path: Path) -> list[Example]:
    """Every intent example of one Rasa NLU YAML file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples: list[Example] = []
    for item in doc.get("nlu", []) or []:
        if "intent" not in item:
            continue
        meta = item.get("metadata") or {}
        for line in _example_lines(item.get("examples", "")):
            text, spans = parse_annotated(line)
            examples.append(
                Example(
                    text=text,
                    intent=str(item["intent"]),
                    language=str(meta.get("language", "fr")),
                    entities=spans,
                    reviewed=bool(meta.get("reviewed", True)),
                    style=str(meta.get("style", "")),
                    source=path.name,
                )
            )
    return examples


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """Examples of several files, in a stable order."""
    result: list[Example] = []
    for path in sorted(paths):
        result += load_file(path)
    return result


def iter_entity_spans(path: Path) -> Iterator[tuple[str, str, str]]:
    """``(entity, annotated text, value)`` for every annotation in a file."""
    for ex in load_file(path):
        for span in ex.entities:
            yield span.entity, ex.text[span.start : span.end], span.value
