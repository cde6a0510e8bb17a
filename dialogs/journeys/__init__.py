"""The conversation's journeys, one module each, wired together in :mod:`dialogs.journeys.table`.

``language`` (the first question), ``home`` (the main menu), ``catalogue`` (procedures by
theme, a procedure's sheet), ``eservice`` (filling, reviewing and resuming a form),
``tracking`` (a request's status, "my requests"), ``people`` (handing the conversation to a
person or a callback), ``verify`` (proving a web visitor's number), ``intents`` (free text).
"""
