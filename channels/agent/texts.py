"""The agents' canned answers, per language, from ``canned.yaml`` (one list per language; a
language without its own list gets French).  What the desk tells citizens is the desk's own
(:mod:`dialogs.desk.texts`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml


@lru_cache(maxsize=1)
def _canned() -> dict[str, list[dict[str, str]]]:
    path = Path(__file__).with_name("canned.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {lang: [{"title": str(i["title"]), "text": str(i["text"])} for i in items or []]
            for lang, items in data.items()}


def canned(lang: str) -> list[dict[str, str]]:
    """The canned answers for ``lang`` (French when the language has none)."""
    answers = _canned()
    return answers.get(lang) or answers.get("fr", [])
