"""WhatsApp message templates: what may be sent once a user's 24-hour window has closed.

Meta sends nothing but approved templates outside the window.  Guichet uses two, configured by
name (``WHATSAPP_TEMPLATE_NEWS``, ``WHATSAPP_TEMPLATE_REOPEN``) with the language code each of
our languages uses at Meta (``WHATSAPP_TEMPLATE_LANGUAGES``, e.g. ``fr:fr,en:en,yo:yo,fon:fr``):

- ``news`` (utility), body ``Guichet - {{1}} : {{2}}``: the request's reference and the news;
- ``reopen`` (utility), no parameter, e.g. "Un conseiller du 135 a une réponse pour vous.
  Répondez à ce message pour la lire.": an agent's answer to a citizen who has gone quiet.

Meta refuses a template it does not know or whose parameters do not fit with a 132xxx error;
:mod:`channels.whatsapp.outbound` records it for an operator (dead letter, metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Templates:
    names: dict[str, str] = field(default_factory=dict)
    """Purpose (``news``, ``reopen``) -> approved template name."""
    languages: dict[str, str] = field(default_factory=dict)
    """Our language code -> the template's language code at Meta (French when missing)."""

    def message(self, purpose: str, lang: str, params: Sequence[str]) -> dict | None:
        """The Graph API ``template`` message object, or None when no template is set up."""
        name = self.names.get(purpose)
        if not name:
            return None
        template: dict = {"name": name,
                          "language": {"code": self.languages.get(lang)
                                       or self.languages.get("fr", "fr")}}
        if params:
            template["components"] = [{"type": "body", "parameters": [
                {"type": "text", "text": " ".join(str(p).split())[:1024] or "-"}
                for p in params]}]
        return {"type": "template", "template": template}
