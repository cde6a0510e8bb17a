"""The console templates' filters (times in the office's zone, durations, names of languages,
reasons and slots in French) and the CSRF token global."""

from __future__ import annotations

from channels.agent import auth
from channels.agent.console import _agent_time, bp
from dialogs.i18n import LANGUAGE_NAMES


@bp.app_template_global("csrf_token")
def _csrf_token() -> str:
    return auth.csrf_token()


bp.app_template_filter("agent_time")(_agent_time)


@bp.app_template_filter("agent_duration")
def _agent_duration(seconds: int | float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d}"


@bp.app_template_filter("language_name")
def _language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "")


REASONS = {"asked": "demandé par le citoyen", "misunderstood": "l'assistant n'a pas compris",
           "eservice_failed": "échec d'une démarche en ligne"}
SLOTS = {"asap": "dès que possible", "morning": "le matin", "afternoon": "l'après-midi"}


@bp.app_template_filter("handoff_reason")
def _handoff_reason(reason: str | None) -> str:
    return REASONS.get(reason or "", reason or "")


ROLES = {"agent": "conseiller", "supervisor": "superviseur"}
"""Role names as the French console shows them (the records keep the English codes)."""


@bp.app_template_filter("role_name")
def _role_name(role: str | None) -> str:
    return ROLES.get(role or "", role or "")


@bp.app_template_filter("count_of")
def _count_of(count: int | None, word: str) -> str:
    """``1 note``, ``2 notes``, ``0 note``: French puts 0 and 1 in the singular."""
    count = count or 0
    return f"{count} {word}" + ("s" if count > 1 else "")


@bp.app_template_filter("citizen")
def _citizen(user: str | None) -> str:
    """Who the citizen is, for a person: a number, or a web visitor who proved none (their
    address there is only a session id, which means nothing to an agent)."""
    if (user or "").startswith("web:"):
        return "Visiteur web (numéro non vérifié)"
    return user or ""


@bp.app_template_filter("callback_slot")
def _callback_slot(slot: str | None) -> str:
    return SLOTS.get(slot or "", slot or "")
