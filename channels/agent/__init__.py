"""The agent console (``/agent/``): the HTTP edge over the hand-off desk (:mod:`dialogs.desk`):
blueprint, login and session cookie, throttle, templates, static files and the console's texts.
The blueprint is in :mod:`channels.agent.console`, the supervisors' insights in
:mod:`channels.agent.insights`, its live updates and template filters in
:mod:`channels.agent.live` and :mod:`channels.agent.filters` (imported here, so that they are
registered on the blueprint whichever module is imported first, and none imports the other
back); the accounts command line in :mod:`channels.agent.accounts`.
"""

from channels.agent import console, filters, insights, live  # noqa: F401  (routes, filters on bp)
