"""What every browser test imports first: Playwright's ``expect``, or a skip of the whole
module when Playwright is missing - except under ``CI=true``, where a missing browser stack
is a failure, not a quiet skip."""

from __future__ import annotations

import os

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the dev extra installs it
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("playwright is not installed (make test installs it)", allow_module_level=True)

__all__ = ["expect"]
