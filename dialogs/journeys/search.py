"""Finding a procedure by typing part of its name, or the short code the portal publishes.

A catalogue of 150 procedures (1,000 tomorrow) cannot be browsed on a 160-character screen:
letters are typeable on every feature phone, so a caller types "acte naiss", "CIP" or
"permis" and picks among a few best matches.  Accents and case are ignored; every word typed
must start a word of the title (or be an abbreviation, or appear inside one, for a slip), so a
whole question ("combien coûte le passeport") finds nothing here and goes to the NLU instead.
The same search serves every channel: USSD's "Rechercher" entry, and text typed on a list in
a chat.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from dialogs.journeys.core import Dialog
from dialogs.model import Choice, Conversation, Inbound, Reply
from dialogs.texts import short_title
from integrations.portal.errors import PortalError
from integrations.portal.models import Procedure, pick

MAX_RESULTS = 6
"""Matches shown at once: more than a screen or two helps nobody, refining does."""
MAX_QUERY = 40
STOPWORDS = frozenset({"de", "du", "des", "d", "la", "le", "les", "l", "un", "une", "a", "au",
                       "aux", "et", "en", "pour", "of", "the", "for", "and"})
LIST_STATES = frozenset({"procedures", "category", "eservices", "ecategory", "found"})
"""States showing a list of the catalogue: text typed there is first tried as a search."""


def fold(text: str) -> str:
    """Lower case without accents: "État" and "etat" are the same word to a caller."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[^0-9a-z]+", fold(text)) if w]


def _query(text: str) -> list[str]:
    found = words(text[:MAX_QUERY])
    kept = [w for w in found if w not in STOPWORDS]
    return kept or found


@functools.lru_cache(maxsize=8192)
def _index(title: str, title_fr: str, slug: str,
           abbreviations: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[str]]:
    """A procedure's searchable words, folded once (a search runs over 1,000 of them)."""
    found = words(title) + (words(title_fr) if title_fr != title else [])
    return (tuple(found + words(slug.replace("-", " "))),
            frozenset(fold(a) for a in abbreviations))


def _score(proc: Procedure, terms: list[str], lang: str) -> int:
    """How well ``proc`` matches every term (0: it does not)."""
    title_words, abbreviations = _index(pick(proc.title, lang)[0] or "",
                                        proc.title.get("fr", ""), proc.slug, proc.abbreviations)
    score = 0
    for term in terms:
        if term in abbreviations:
            score += 5
        elif term in title_words:
            score += 3
        elif any(w.startswith(term) for w in title_words):
            score += 2
        elif len(term) >= 3 and any(term in w for w in title_words):
            score += 1
        else:
            return 0
    first = title_words[0] if title_words else ""
    return score * 2 + (1 if terms and first.startswith(terms[0]) else 0)


def matches(procedures: list[Procedure], text: str, lang: str) -> list[Procedure]:
    """The procedures matching every word of ``text``, best first (shorter titles first)."""
    terms = _query(text)
    if not terms:
        return []
    scored = [(s, p) for p in procedures if (s := _score(p, terms, lang))]
    scored.sort(key=lambda sp: (-sp[0], len(short_title(sp[1], lang))))
    return [p for _s, p in scored]


NAMED_MIN_WORDS = 2
NAMED_MAX_RESULTS = 3
"""A question's words read as a typed name: at least two words in a row, and a few matches at
most (more is a guess, not a name)."""


def named_in(procedures: list[Procedure], text: str, lang: str) -> list[Procedure]:
    """The procedures a question names by the start of their title's words, when the NLU named
    none: "combien pour le relevé de notes du bac" holds "relevé notes bac", every word the
    start of a word of "Relevé de notes du baccalauréat".

    The longest run of consecutive words (stopwords left out) that matches between one and
    :data:`NAMED_MAX_RESULTS` procedures wins; a single word never does ("combien", "permis"),
    so the question words around a name cannot pick a procedure on their own."""
    terms = _query(text[:200])
    for size in range(min(len(terms), 6), NAMED_MIN_WORDS - 1, -1):
        for start in range(len(terms) - size + 1):
            run = terms[start:start + size]
            scored = [(s, p) for p in procedures if (s := _score(p, run, lang))]
            if 0 < len(scored) <= NAMED_MAX_RESULTS:
                scored.sort(key=lambda sp: (-sp[0], len(short_title(sp[1], lang))))
                return [p for _s, p in scored]
    return []


def narrower(procedures: list[Procedure], proc: Procedure, text: str) -> Procedure | None:
    """The one procedure whose title is ``proc``'s plus words the question also says: "j'ai
    perdu mon permis de conduire, le duplicata coûte combien" asks about the "Duplicata du
    permis de conduire", though the name caught was "permis de conduire"."""
    said = set(words(text[:1000]))
    found = []
    for title in {t for t in proc.title.values() if t}:
        base = set(_query(title))
        for other in procedures:
            if other.slug == proc.slug or other in found:
                continue
            for other_title in {t for t in other.title.values() if t}:
                extra = set(_query(other_title)) - base
                if base < set(_query(other_title)) and extra <= said:
                    found.append(other)
                    break
    return found[0] if len(found) == 1 else None


def by_code(procedures: list[Procedure], code: str) -> Procedure | None:
    """The procedure whose published short code is ``code``."""
    code = code.strip()
    return next((p for p in procedures if p.short_code and p.short_code == code), None)


# -- the states --------------------------------------------------------------------------------


def show_search(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    return d.reply(conv, [_("Nom de la démarche (ex. : acte naiss, CIP) ou son code :")],
                   expects="text")


def on_search(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    return find(d, conv, inbound.text or "", push=True)


def find(d: Dialog, conv: Conversation, text: str, *, push: bool) -> Reply:
    """Search for ``text`` and show the matches, or say there are none (the 135 can help).

    From "Faire une demande" (``eservices`` in the state's data) only e-services are searched,
    and the one picked opens its form: the sheet's pages are not in the way.
    """
    _ = d.t(conv)
    text = " ".join(text.split())[:MAX_QUERY]
    apply = bool(conv.state.get("data", {}).get("eservices"))
    try:
        procedures = [p for p in d.portal.procedures() if p.eservice or not apply]
    except PortalError:
        return d.unavailable(conv)
    coded = by_code(procedures, text) if text.isdigit() else None
    found = [coded] if coded is not None else matches(procedures, text, d.lang(conv))
    if not found:
        reply = d.goto(conv, "search", {"eservices": apply}, push=push) \
            if conv.state.get("at") != "search" else d.show(conv)
        return reply.with_error(
            _("Aucun résultat pour : {text}. Essayez un autre mot ou appelez le "
              "135.").format(text=text or "-"))
    if len(found) == 1:
        return _open(d, conv, found[0].slug, apply, push=push)
    return d.goto(conv, "found", {"q": text, "slugs": [p.slug for p in found[:MAX_RESULTS]],
                                  "n": len(found), "eservices": apply}, push=push)


def _open(d: Dialog, conv: Conversation, slug: str, apply: bool, *, push: bool = True) -> Reply:
    """The procedure found: its form when the citizen is applying, else its sheet."""
    if apply:
        from dialogs.journeys import eservice  # eservice -> chunks -> search: import on use

        return eservice.start_form(d, conv, slug)  # "back" returns to the search
    return d.goto(conv, "sheet", {"slug": slug}, push=push)


def show_found(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    data = conv.state["data"]
    lang = d.lang(conv)
    choices = []
    for slug in data["slugs"]:
        try:
            choices.append(Choice(f"proc:{slug}", short_title(d.portal.procedure(slug), lang)))
        except PortalError:
            continue  # withdrawn since the search: not offered
    if data["n"] > len(choices):
        head = _("{n} résultats. Tapez plus de lettres, ou choisissez :").format(n=data["n"])
    else:
        head = _("Résultats pour : {text}").format(text=data["q"])
    return d.reply(conv, [head], choices=tuple(choices), expects="text")


def on_found(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    slug = d.picked(conv, inbound, "proc:")
    if slug is not None:
        return _open(d, conv, slug, bool(conv.state["data"].get("eservices")))
    if inbound.text and inbound.text.strip():  # more letters: search again, in place
        return find(d, conv, inbound.text, push=False)
    return d.invalid(conv)


def typed(d: Dialog, conv: Conversation, text: str) -> Reply | None:
    """Text typed on a list of the catalogue (a chat): its matches when it names procedures,
    ``None`` when it does not (a question for the NLU)."""
    if conv.state.get("at") not in LIST_STATES:
        return None
    try:
        procedures = d.portal.procedures()
    except PortalError:
        return None
    if not matches(procedures, text, d.lang(conv)):
        return None
    return find(d, conv, text, push=True)


def on_code(d: Dialog, conv: Conversation, code: str) -> Reply | None:
    """The sheet of the procedure whose short code was typed (home screen), else ``None``."""
    try:
        proc = by_code(d.portal.procedures(), code)
    except PortalError:
        return d.unavailable(conv)
    return None if proc is None else d.goto(conv, "sheet", {"slug": proc.slug})
