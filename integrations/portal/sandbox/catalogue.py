"""Load the sandbox catalogue (``catalogue.yaml``) into the JSON shapes the API serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).with_name("catalogue.yaml")

_PROCEDURE_KEYS = (
    "slug",
    "category",
    "title",
    "abbreviations",
    "summary",
    "cost_xof",
    "cost_note",
    "delay",
    "validity",
    "documents",
    "where",
    "online",
    "online_url",
    "eservice",
    "keywords",
    "variants",
    "short_code",
)
_FIELD_KEYS = (
    "name",
    "label",
    "type",
    "required",
    "pattern",
    "hint",
    "options",
    "max_length",
    "not_future",
)

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it: ten times faster, and the sandbox
is built for nearly every test."""


class CatalogueError(ValueError):
    """The catalogue file cannot be served: missing, not YAML, or not in the schema."""


@dataclass(frozen=True)
class SandboxCatalogue:
    """The catalogue as plain JSON-ready dicts, indexed for the routes."""

    categories: list[dict[str, Any]]
    procedures: dict[str, dict[str, Any]]
    forms: dict[str, dict[str, Any]]

    def procedures_in(self, category: str | None) -> list[dict[str, Any]]:
        return [p for p in self.procedures.values() if category in (None, p["category"])]


def _procedure(raw: dict[str, Any], forms: dict[str, Any]) -> dict[str, Any]:
    out = {key: raw.get(key) for key in _PROCEDURE_KEYS}
    out["abbreviations"] = list(raw.get("abbreviations") or [])
    out["online"] = str(raw.get("online") or "no")
    out["eservice"] = raw["slug"] in forms
    keywords = raw.get("keywords") or {}
    if not isinstance(keywords, dict):
        raise ValueError(f"{raw['slug']}: keywords must be a {{lang: [words]}} map")
    out["keywords"] = {str(k): [str(w) for w in v or []] for k, v in keywords.items()}
    variants = raw.get("variants") or {}
    if not isinstance(variants, dict):
        raise ValueError(f"{raw['slug']}: variants must be a {{name: facts}} map")
    out["variants"] = {str(k): {"label": v.get("label"), "cost_xof": v.get("cost_xof"),
                                "delay": v.get("delay")} for k, v in variants.items()}
    code = raw.get("short_code")
    out["short_code"] = None if code is None else str(code)
    return out


def _form(slug: str, raw: dict[str, Any], title: dict[str, str]) -> dict[str, Any]:
    fields = []
    for field in raw["fields"]:
        item = {key: field.get(key) for key in _FIELD_KEYS}
        item["type"] = item["type"] or "text"
        item["required"] = bool(field.get("required", True))
        item["options"] = list(field.get("options") or [])
        item["hint"] = item["hint"] or {}
        item["not_future"] = bool(field.get("not_future", False))
        fields.append(item)
    return {"slug": slug, "title": title, "fee_xof": raw.get("fee_xof"), "fields": fields}


def load_catalogue(path: str | Path | None = None) -> SandboxCatalogue:
    """Read and check the YAML; a broken catalogue fails at start-up, not on a citizen's hop.
    Any problem is a :class:`CatalogueError` naming the file."""
    path = path or DEFAULT_PATH
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.load(handle, Loader=SAFE_LOADER)
        return _checked(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"cannot read catalogue {path}: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise CatalogueError(f"catalogue {path} is not in the sandbox schema: {what}") from exc


def _checked(raw: Any) -> SandboxCatalogue:
    if not isinstance(raw, dict):
        raise ValueError("expected a mapping with categories and procedures")
    category_slugs = {c["slug"] for c in raw["categories"]}
    forms_raw: dict[str, Any] = raw.get("eservices") or {}
    procedures: dict[str, dict[str, Any]] = {}
    for item in raw["procedures"]:
        if item["category"] not in category_slugs:
            raise ValueError(f"{item['slug']}: unknown category {item['category']!r}")
        procedures[item["slug"]] = _procedure(item, forms_raw)
    seen: set[str] = set()
    # Served as published, like the portal would (Guichet drops a code it cannot use: 98,
    # "5"...); a code published twice is kept on the first procedure only.
    for proc in procedures.values():
        if proc["short_code"] in seen:
            proc["short_code"] = None
        elif proc["short_code"]:
            seen.add(proc["short_code"])
    unknown = set(forms_raw) - set(procedures)
    if unknown:
        raise ValueError(f"e-services without a procedure: {sorted(unknown)}")
    forms = {slug: _form(slug, f, procedures[slug]["title"]) for slug, f in forms_raw.items()}
    categories = [{"slug": c["slug"], "title": c["title"]} for c in raw["categories"]]
    return SandboxCatalogue(categories=categories, procedures=procedures, forms=forms)
