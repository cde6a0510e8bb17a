"""How sure the NLU must be before a reading is acted on: one number for the dialogs that answer,
the insights that count what the model "now answers", and the held-out evaluation that scores
what a citizen would be told, so the three never drift apart."""

from __future__ import annotations

MIN_CONFIDENCE = 0.45
"""Below this intent confidence the manager says it did not understand rather than guess."""
