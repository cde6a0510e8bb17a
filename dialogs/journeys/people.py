"""Handing the conversation to a person: the agents' queue, or a callback from the 135.

Channels where the citizen can wait (``Inbound.can_wait``: SMS, WhatsApp, web chat) join the
desk's queue when the line is open; USSD, which cannot wait, and any channel outside office
hours, leave a callback request.  Without a desk, or when it fails, the 135 number still works.
"""

from __future__ import annotations

import logging

from dialogs.i18n import when
from dialogs.journeys.core import Dialog
from dialogs.model import Choice, Conversation, Handoff, Inbound, Reply
from dialogs.phones import to_e164

log = logging.getLogger("dialogs.manager")


def handoff(d: Dialog, conv: Conversation, reason: str) -> Reply:
    """Hand the conversation to a person, the way this channel can."""
    if d.desk is None:
        return d.goto(conv, "agent")
    topic = conv.state.get("topic")  # the procedure last looked at, for routing and the agent
    if conv.via is not None and not conv.via.can_wait:  # cannot wait in a queue: call back
        return d.goto(conv, "callback", {"topic": topic, "reason": reason})
    try:
        hours = d.desk.hours()
        if not hours.open:
            return d.goto(conv, "line_closed", {"topic": topic, "reason": reason,
                                                "opens_at": hours.opens_at})
        ticket = d.desk.enqueue(channel=conv.channel, session=conv.session,
                                user=conv.user, lang=d.lang(conv), reason=reason,
                                topic=topic)
    except Exception:  # the desk is down: the 135 line still works
        log.exception("hand-off failed")
        return d.goto(conv, "agent")
    return d.goto(conv, "with_agent", {"position": ticket.position,
                                       "wait": ticket.wait_minutes, "reason": reason,
                                       "topic": topic})


def show_agent(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    return d.reply(
        conv,
        [_("Pour parler à un conseiller, appelez le 135 (Allo Service Public).")],
        end=True, expects="nothing", handoff=Handoff(reason="asked"),
    )


def on_agent(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    return d.home(conv)  # the screen ended the session: whatever comes next starts again


def show_with_agent(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    data = conv.state["data"]
    lines = [_("Un conseiller va vous répondre.")]
    if data.get("position"):
        lines.append(_("Vous êtes n°{position} dans la file.").format(position=data["position"]))
    if data.get("wait"):
        lines.append(_("Attente estimée : {minutes} min.").format(minutes=data["wait"]))
    lines.append(_("Écrivez votre message : il lui sera transmis."))
    return d.reply(conv, lines, expects="text", navigable=False,
                   handoff=Handoff(reason=data.get("reason", "asked"), topic=data.get("topic")))


def on_with_agent(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    """While a person has the conversation, the bot stays quiet; the desk shows the text."""
    if d.desk is not None and d.desk.with_agent(conv.channel, conv.session):
        return d.reply(conv, [], expects="text", navigable=False)
    d.home(conv)  # the agent handed back: the bot answers again
    return d.restep(conv, inbound)


def show_line_closed(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    opens = conv.state["data"].get("opens_at")
    lines = [_("Le 135 est fermé pour le moment.")]
    if opens:
        lines.append(_("Il ouvre {when}.").format(when=when(opens, d.lang(conv))))
    lines.append(_("Voulez-vous être rappelé ?"))
    return d.reply(conv, lines, choices=(Choice("yes", _("Oui, rappelez-moi")),
                                         Choice("no", _("Non, merci"))))


def on_line_closed(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    choice = d.choice(conv, inbound)
    if choice == "yes":
        return d.goto(conv, "callback", dict(conv.state["data"]))
    if choice == "no":
        return d.home(conv)
    return d.invalid(conv)


def show_callback(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    choices = [Choice("other", _("Sur un autre numéro"))]
    if to_e164(conv.user):
        choices.insert(0, Choice("self", _("Sur ce numéro")))
    return d.reply(conv, [_("Un conseiller du 135 peut vous rappeler.")],
                   choices=tuple(choices))


def on_callback(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    choice = d.choice(conv, inbound)
    data = dict(conv.state["data"])
    if choice == "self" and to_e164(conv.user):
        return d.goto(conv, "callback_slot", {**data, "phone": conv.user})
    if choice == "other":
        return d.goto(conv, "callback_phone", data)
    return d.invalid(conv)


def show_callback_phone(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    return d.reply(conv, [_("Numéro à rappeler ?"), _("Exemple : 0197000000")], expects="text")


def on_callback_phone(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    _ = d.t(conv)
    phone = to_e164(inbound.text or "")
    if phone is None:
        return d.show(conv).with_error(_("Numéro invalide. Exemple : 0197000000"))
    return d.goto(conv, "callback_slot", {**conv.state["data"], "phone": phone})


def _slots(d: Dialog, conv: Conversation) -> dict[str, str]:
    _ = d.t(conv)
    return {"asap": _("Dès que possible"), "morning": _("Le matin"),
            "afternoon": _("L'après-midi")}


def show_callback_slot(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    return d.reply(conv, [_("Quand ?")], choices=tuple(
        Choice(f"slot:{slot}", label) for slot, label in _slots(d, conv).items()))


def on_callback_slot(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    _ = d.t(conv)
    slot = d.picked(conv, inbound, "slot:")
    if slot not in _slots(d, conv):
        return d.invalid(conv)
    data, lang = conv.state["data"], d.lang(conv)
    try:
        if d.desk is None:
            raise LookupError("no desk to call back from")
        d.desk.request_callback(
            channel=conv.channel, session=conv.session, user=conv.user,
            phone=data["phone"], slot=slot, lang=lang, topic=data.get("topic"))
    except Exception:
        log.exception("callback request failed")
        return d.goto(conv, "agent")
    label = _slots(d, conv)[slot].lower()
    d.effects.send_text(conv.user, _(
        "Service Public : un conseiller du 135 vous rappellera ({slot}) au {phone}."
    ).format(slot=label, phone=data["phone"]), lang=lang,
        key=f"callback:{conv.channel}:{conv.session}")
    return d.reply(conv, [_(
        "C'est noté : un conseiller vous rappellera ({slot}). Un SMS vous le confirme."
    ).format(slot=label)], end=True, expects="nothing",
        handoff=Handoff(reason=data.get("reason", "asked"), topic=data.get("topic")))
