"""The agent console (``/agent/``): the HTTP edge over the hand-off desk (:mod:`dialogs.desk`):
blueprint, login and session cookie, throttle, templates, static files and the console's texts.
The blueprint is in :mod:`channels.agent.console`; the accounts command line in
:mod:`channels.agent.accounts`.
"""
