"""Free text: a message in the citizen's own words (SMS, WhatsApp, web chat) answered by intent.

The NLU names an intent and the entities it found (procedures, aspects such as cost or delay,
references, languages); :data:`INTENTS` says which step answers each.  Below a confidence
floor the bot says it did not understand rather than guess; twice in a row, a person takes it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from dialogs.journeys import eservice, language, people, search, tracking
from dialogs.journeys.core import Dialog, via
from dialogs.model import Conversation, Reply
from dialogs.references import normalise as normalise_reference
from dialogs.texts import ASPECTS
from integrations.portal.errors import PortalError
from nlu.thresholds import MIN_CONFIDENCE

log = logging.getLogger("dialogs.manager")

LANGUAGE_CONFIDENCE = 0.6
"""A citizen who chose no language yet is answered in the language of their question above this."""
SWITCH_CONFIDENCE = 0.75
"""A citizen who chose a language is answered in another one only when their message is in it
at least this surely (of four languages: the runner-up has at most 0.25, a margin of 0.5 or
more).  The NLU reads the language from the words around the names it recognised and scales
the confidence down for one- or two-word messages (at most 0.8 for two words)."""
SWITCH_WORDS = 2
"""...and only when at least this many words remain once the names the NLU recognised
(procedures, references) are taken out: a procedure's name typed alone ("casier judiciaire",
French words in any language) never switches; "Nɛ̌ nú casier judiciaire ?" has two Fon words."""
NAMES = ("procedure", "reference", "npi")
"""Entities written the same in every language: they say nothing of the message's language."""
WRITTEN_BY_ALL = "fr"
"""French never pulls a citizen out of the language they chose: it is the written language of
the administration (and of every procedure's name), and many who chose Fon or Yoruba to read
their answers type in French.  A message in Fon, Yoruba or English is a deliberate sign."""
_WORD = re.compile(r"[^\W\d_]+")

Found = dict[str, list[str]]
MESSAGE = "_message"
"""The message itself, beside the entities found in it (for the title search)."""
Intent = Callable[[Dialog, Conversation, Found], "Reply | None"]


def understand(d: Dialog, conv: Conversation, text: str) -> Reply:
    """Answer a message written in the citizen's own words."""
    try:
        # No remembered language is passed: the NLU would return it as a certainty and a
        # question written in another language would be answered in the chosen one.
        result = d.nlu(text[:1000], None)  # type: ignore[misc]
    except Exception:  # the NLU must never take a conversation down
        log.exception("nlu failed")
        conv.state["nlu"] = {"intent": None, "procedure": None}
        return misunderstood(d, conv)
    follow_language(d, conv, result)
    intent = result.get("intent") or {}
    name = intent.get("name") or "out_of_scope"
    if intent.get("confidence", 0) < MIN_CONFIDENCE:
        name = "out_of_scope"
    procedures = [e.get("value") for e in result.get("entities") or []
                  if e.get("entity") == "procedure"]
    aspects = [e.get("value") for e in result.get("entities") or []
               if e.get("entity") == "aspect"]
    conv.state["nlu"] = {"intent": name, "procedure": procedures[0] if procedures else None,
                         "aspect": aspects[0] if aspects else None}
    found: Found = {}
    for entity in result.get("entities") or []:
        values = found.setdefault(entity.get("entity", ""), [])
        if entity.get("value") not in values:
            values.append(entity.get("value"))
    found[MESSAGE] = [text[:1000]]
    if name == "out_of_scope" and aspects and not procedures and _named_by_title(d, conv, found):
        name = "ask_procedure"  # "taxe foncière unique où payer": a title's words, an aspect
    if name == "out_of_scope" and aspects and not procedures:
        # "divorce délai", "adoption combien": a fee or a delay asked of something the
        # catalogue does not name. Refused with the way forward (135, service-public.bj),
        # not "not understood", which would send the citizen round the same question.
        conv.state["misses"] = 0
        conv.state["nlu"]["answered"] = False  # the insights show what the catalogue lacks
        return not_in_catalogue(d, conv, found)
    handler = INTENTS.get(name)
    reply = handler(d, conv, found) if handler is not None else None
    if reply is None:
        return misunderstood(d, conv)
    conv.state["misses"] = 0
    return reply


def follow_language(d: Dialog, conv: Conversation, result: dict) -> None:
    """Answer in the language the message is written in, when that is clear.

    Without a chosen language, a fair guess is enough (the first question sets it).  With one
    (the citizen's, or the one the channel said, such as the web chat's language list),
    a message confidently in another offered language switches the conversation, and the
    citizen's profile, to it: the citizen just wrote in it, so answering in it is what they
    expect, and asking first ("Voulez-vous continuer en fon ?") would cost a turn to say what
    the message already says.  The switch is shown (the web chat's controls and the agent
    console's language tag follow) and undone the same way it is done: the language menu, or
    the next message written in the other language.
    """
    detected = result.get("language") or {}
    code, confidence = detected.get("code"), detected.get("confidence", 0)
    if code not in d.languages:
        return
    chosen = conv.state.get("lang") or conv.profile.get("lang")
    if not chosen:
        if confidence >= LANGUAGE_CONFIDENCE:
            conv.state["lang"] = code  # answer in the language of the question
        return
    if code in (chosen, WRITTEN_BY_ALL) or confidence < SWITCH_CONFIDENCE:
        return
    text = result.get("text") or ""
    named = [e for e in result.get("entities") or [] if e.get("entity") in NAMES]
    for entity in sorted(named, key=lambda e: -int(e.get("start", 0))):
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int):
            text = text[:start] + " " + text[end:]
    if len(_WORD.findall(text)) < SWITCH_WORDS:
        return
    log.info("answering in the language of the message",
             extra={"from_lang": chosen, "to_lang": code, "confidence": confidence})
    language.set_language(d, conv, code)


def misunderstood(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    if "nlu" in conv.state:  # a question the bot could not answer: the insights keep it
        conv.state["nlu"]["answered"] = False
    conv.state["misses"] = conv.state.get("misses", 0) + 1
    if conv.state["misses"] >= 2:  # two in a row: a person will do better
        conv.state["misses"] = 0
        return d.prefixed(people.handoff(d, conv, "misunderstood"), _(
            "Je ne comprends toujours pas. Je vous passe un conseiller du 135."))
    return d.prefixed(d.home(conv), _(
        "Je n'ai pas compris. Posez une question courte (ex : prix du passeport), appelez "
        "le 135 ou voyez service-public.bj. Ou choisissez :"))


def not_in_catalogue(d: Dialog, conv: Conversation, found: Found) -> Reply:
    """A procedure the catalogue does not have ("permis de chasse"): say so and show the way
    forward, never the facts of the nearest procedure."""
    _ = d.t(conv)
    name = " ".join(found.get("unknown_procedure", [])[:1]) or _("cette démarche")
    conv.state["nlu"]["procedure"] = None
    # the catalogue has no answer: the insights list it with the questions left unanswered,
    # where a supervisor sees which procedures citizens look for in vain
    conv.state["nlu"]["answered"] = False
    return d.prefixed(d.home(conv), _(
        "Je ne trouve pas \"{name}\" dans le catalogue des démarches. Appelez le 135 "
        "(Allo Service Public) ou cherchez sur service-public.bj. Ou choisissez :").format(
        name=name))


def ask_procedure(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    _ = d.t(conv)
    slugs = found.get("procedure", [])
    aspects = [a for a in found.get("aspect", []) if a in ASPECTS]
    variants = found.get("variant", [])
    if not slugs and found.get("unknown_procedure"):
        return not_in_catalogue(d, conv, found)
    if not slugs:
        slugs = _named_by_title(d, conv, found)
    if len(slugs) > 1:
        return d.goto(conv, "clarify", {"slugs": slugs[:5], "aspects": aspects})
    if not slugs:
        return d.prefixed(d.goto(conv, "procedures"), _("De quelle démarche s'agit-il ?"))
    slug = _narrowed(d, conv, slugs[0], found)
    return d.goto(conv, "sheet", {"slug": slug, "aspects": aspects,
                                  "variant": variants[0] if variants else None})


def _named_by_title(d: Dialog, conv: Conversation, found: Found) -> list[str]:
    """The procedures the question names by the words of their title, when the NLU's word list
    caught none ("relevé de notes du bac"): the same search as "Rechercher"."""
    text = " ".join(found.get(MESSAGE, []))
    if not text:
        return []
    try:
        named = search.named_in(d.portal.procedures(), text, d.lang(conv))
    except PortalError:
        return []
    if named:
        conv.state["nlu"]["procedure"] = named[0].slug
    return [p.slug for p in named]


def _narrowed(d: Dialog, conv: Conversation, slug: str, found: Found) -> str:
    """``slug``, or the procedure whose title is its name plus words the question also says
    (the duplicate of the driving licence, not the licence)."""
    text = " ".join(found.get(MESSAGE, []))
    try:
        procedures = d.portal.procedures()
        proc = next((p for p in procedures if p.slug == slug), None)
    except PortalError:
        return slug
    other = search.narrower(procedures, proc, text) if proc is not None and text else None
    if other is None:
        return slug
    conv.state["nlu"]["procedure"] = other.slug
    return other.slug


def start_eservice(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    _ = d.t(conv)
    slugs = found.get("procedure", [])
    if not slugs and found.get("unknown_procedure"):
        return not_in_catalogue(d, conv, found)
    if not slugs:
        return d.goto(conv, "eservices")
    try:
        schema = d.portal.form(slugs[0])
    except PortalError:
        return d.unavailable(conv)
    if schema is None:
        reply = d.goto(conv, "sheet", {"slug": slugs[0], "aspects": ["online", "where"]})
        return d.prefixed(reply, _("Cette démarche ne peut pas être faite ici."))
    return eservice.start_form(d, conv, slugs[0])


def track_request(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    references = found.get("reference", [])
    if references and normalise_reference(references[0]):
        return tracking.status(d, conv, normalise_reference(references[0]) or "")
    return d.goto(conv, "track")


def human_handoff(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    return people.handoff(d, conv, "asked")


def change_language(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    wanted = [code for code in found.get("language", []) if code in d.languages]
    if not wanted:
        return d.goto(conv, "language")
    return language.chosen(d, conv, wanted[0])


def greet(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    _ = d.t(conv)
    return d.prefixed(d.home(conv), _(
        "Bonjour ! Posez votre question (ex : prix du passeport) ou choisissez :"))


def help_(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    _ = d.t(conv)
    return d.prefixed(d.home(conv), _(
        "Je réponds sur les démarches : coût, délai, pièces, où aller. "
        "Vous pouvez aussi faire ou suivre une demande."))


def thanks(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    _ = d.t(conv)
    return d.reply(conv, [_("Avec plaisir. Bonne journée !")], end=True, expects="nothing")


def goodbye(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    _ = d.t(conv)
    return d.reply(conv, [_("Au revoir et merci.")], end=True, expects="nothing")


AFFIRM = {"confirm": "confirm", "resume": "yes", "submitted": "pay", "pay_confirm": "confirm"}
DENY = {"confirm": "cancel", "resume": "no", "submitted": "done", "pay_confirm": "cancel"}
"""What "yes" and "no" pick on the screens that ask a yes/no question."""


def affirm(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    return _yes_no(d, conv, AFFIRM.get(conv.state.get("at", "")))


def deny(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    return _yes_no(d, conv, DENY.get(conv.state.get("at", "")))


def _yes_no(d: Dialog, conv: Conversation, answer: str | None) -> Reply | None:
    """Pick ``answer`` on the screen as if it had been chosen.  Within this hop (``restep``:
    the hop's transcript line and insights event are the typed words'), and as an answer to
    the screen's question, not a question of the citizen's (the insights count questions)."""
    if answer is None:
        return None
    if isinstance(conv.state.get("nlu"), dict):
        conv.state["nlu"]["screen_answer"] = True
    return d.restep(conv, via(conv, choice=answer))


INTENTS: dict[str, Intent] = {
    "ask_procedure": ask_procedure,
    "start_eservice": start_eservice,
    "track_request": track_request,
    "human_handoff": human_handoff,
    "change_language": change_language,
    "greet": greet,
    "help": help_,
    "thanks": thanks,
    "goodbye": goodbye,
    "affirm": affirm,
    "deny": deny,
}
"""Intent name -> the step that answers it; any other intent is not understood."""
