"""The portal's signed events (``POST /portal/events``): request status changes and payments,
told to the citizen on the channel they used (:mod:`dialogs.news`).

:mod:`.signature` checks the HMAC, :mod:`.intake` validates an event, records its id once and
queues it (the same path for a verified POST and the in-process sandbox's events),
:mod:`.tasks` acts on it off the request, :mod:`.polling` asks the portal about open requests
when events stop coming.
"""

from channels.portal_events.blueprint import bp

__all__ = ["bp"]
