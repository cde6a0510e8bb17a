"""The hand-off desk: :class:`dialogs.handoff.Desk` for the dialog manager, and the operations
the agent console performs (take, reply, transfer, close and hand back, callbacks, figures).

One class assembled from parts kept in their own modules: :mod:`dialogs.desk.port` (the manager's
side), :mod:`dialogs.desk.agents` (the console's), :mod:`dialogs.desk.figures` (supervisors and
operators), over :mod:`dialogs.desk.base`.  Citizens are told things through the
:class:`dialogs.sender.Senders` the composition root hands in; the desk never knows how a channel
sends.

Routing: an agent sees the waiting conversations in the languages they speak (an account with no
language listed speaks them all), plus any in a language no account speaks, so nobody is stuck;
the conversations fewest colleagues can take come first (a Fon speaker gets Fon conversations
before French ones), then those on the agent's topics, then the oldest.  Supervisors see
everything.  A citizen's queue position counts the conversations waiting before theirs in the
same language; the estimated wait is that position times the recent average handling time,
shared among the online agents who speak the language.
"""

from __future__ import annotations

from dialogs.desk.agents import AgentOps
from dialogs.desk.base import Conv, DeskError, Notifier
from dialogs.desk.figures import Figures
from dialogs.desk.port import PortOps

__all__ = ["Conv", "DeskError", "HandoffDesk", "Notifier"]


class HandoffDesk(PortOps, AgentOps, Figures):
    """The desk over the call-centre records (see :mod:`dialogs.desk.records`)."""
