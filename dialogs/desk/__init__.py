"""The hand-off desk as a domain: queue, routing by language and topic, wait estimates, office
hours, records, accounts, audit, recent exchanges and the desk's retention.

The dialog manager sees it through the :class:`dialogs.handoff.Desk` port; the agent console
(``channels.agent``) is an HTTP edge over :class:`HandoffDesk`; it sends citizens messages only
through the :class:`dialogs.sender.Senders` the composition root injects, and reads the portal
only through the ``requests_of`` function injected with it.
"""

from __future__ import annotations

from dialogs.desk.desk import Conv, DeskError, HandoffDesk, Notifier
from dialogs.desk.later import RecordLater

__all__ = ["Conv", "DeskError", "HandoffDesk", "Notifier", "RecordLater"]
