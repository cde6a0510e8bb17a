"""Free text: a message in the citizen's own words (SMS, WhatsApp, web chat) answered by intent.

The NLU names an intent and the entities it found (procedures, aspects such as cost or delay,
references, languages); :data:`INTENTS` says which step answers each.  Below a confidence
floor the bot says it did not understand rather than guess; twice in a row, a person takes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from dialogs.journeys import eservice, language, people, tracking
from dialogs.journeys.core import Dialog, via
from dialogs.model import Conversation, Reply
from dialogs.references import normalise as normalise_reference
from dialogs.texts import ASPECTS
from integrations.portal.errors import PortalError

log = logging.getLogger("dialogs.manager")

MIN_CONFIDENCE = 0.45
"""Below this intent confidence the manager says it did not understand rather than guess."""
LANGUAGE_CONFIDENCE = 0.6

Found = dict[str, list[str]]
Intent = Callable[[Dialog, Conversation, Found], "Reply | None"]


def understand(d: Dialog, conv: Conversation, text: str) -> Reply:
    """Answer a message written in the citizen's own words."""
    try:
        result = d.nlu(text[:1000], conv.profile.get("lang"))  # type: ignore[misc]
    except Exception:  # the NLU must never take a conversation down
        log.exception("nlu failed")
        conv.state["nlu"] = {"intent": None, "procedure": None}
        return misunderstood(d, conv)
    detected = result.get("language") or {}
    if (not conv.profile.get("lang") and detected.get("code") in d.languages
            and detected.get("confidence", 0) >= LANGUAGE_CONFIDENCE):
        conv.state["lang"] = detected["code"]  # answer in the language of the question
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
    handler = INTENTS.get(name)
    reply = handler(d, conv, found) if handler is not None else None
    if reply is None:
        return misunderstood(d, conv)
    conv.state["misses"] = 0
    return reply


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
        "Je n'ai pas compris. Posez une question courte (ex : prix du passeport) "
        "ou choisissez :"))


def ask_procedure(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    _ = d.t(conv)
    slugs = found.get("procedure", [])
    aspects = [a for a in found.get("aspect", []) if a in ASPECTS]
    if len(slugs) > 1:
        return d.goto(conv, "clarify", {"slugs": slugs[:5], "aspects": aspects})
    if not slugs:
        return d.prefixed(d.goto(conv, "procedures"), _("De quelle démarche s'agit-il ?"))
    return d.goto(conv, "sheet", {"slug": slugs[0], "aspects": aspects})


def start_eservice(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    _ = d.t(conv)
    slugs = found.get("procedure", [])
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


AFFIRM = {"confirm": "confirm", "resume": "yes"}
DENY = {"confirm": "cancel", "resume": "no"}
"""What "yes" and "no" pick on the screens that ask a yes/no question."""


def affirm(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    answer = AFFIRM.get(conv.state.get("at", ""))
    return None if answer is None else d.step(conv, via(conv, choice=answer))


def deny(d: Dialog, conv: Conversation, found: Found) -> Reply | None:
    answer = DENY.get(conv.state.get("at", ""))
    return None if answer is None else d.step(conv, via(conv, choice=answer))


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
