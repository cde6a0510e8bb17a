"""The call-centre desk: hand-off queue, callbacks, records and the agent console (``/agent/``).

Kept light on purpose (the settings module imports :mod:`channels.agent.hours`): the desk lives
in :mod:`channels.agent.desk`, the console blueprint in :mod:`channels.agent.console`.
"""
