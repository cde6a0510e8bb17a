"""What citizens ask and where they give up: the anonymous record of every exchange, on every
channel, and what supervisors read from it (``/agent/insights``).

- :mod:`dialogs.insights.events`: the :class:`Event` a hop leaves (channel, language, intent,
  procedure, aspect, screen and form step, answered or not, hand-off, outcome) and the
  :class:`Recorder` port the manager hands it to, off the hop's path.
- :mod:`dialogs.insights.mask`: the masking of an unanswered question (digits and names).
- :mod:`dialogs.insights.records`: the tables (events, labels), owned by the Alembic history.
- :mod:`dialogs.insights.report`: the aggregates of ``/agent/insights.json``.
- :mod:`dialogs.insights.labels`: the learning loop (label, export in Rasa's format).
"""

from dialogs.insights.events import Event, NullRecorder, Recorder

__all__ = ["Event", "NullRecorder", "Recorder"]
