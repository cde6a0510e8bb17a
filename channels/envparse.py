"""Reading one environment variable and checking it: the parsers ``Settings.from_env`` uses.

Apart from ``channels.config`` so the settings themselves stay one readable list; every parser
raises :class:`ConfigError` naming the variable, so a bad value stops the service at start-up.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import re
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

log = logging.getLogger("channels.config")
OLD_DEFAULT_SECRET = "dev-only-secret"
"""The constant every install used to fall back to: anyone could forge tokens with it."""
MIN_SECRET_LENGTH = 32
ENVIRONMENTS = ("development", "production")
DEFAULT_OFFICE_HOURS = "mon-fri 08:00-17:30"
LANGUAGES = ("fr", "en", "fon", "yo")
"""Languages offered to citizens, in menu order (``LANGUAGES=fr,en,fon,yo``); each needs a
catalogue in ``locales/`` except French, the source."""


class ConfigError(ValueError):
    """A configuration variable has a value the service cannot run with."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        raise ConfigError(name, f"expected a {'/'.join(schemes)} URL, got {value!r}")
    return value.rstrip("/")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"expected a number from {low} to {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"expected a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"expected a number from {low} to {high}, got {value}")
    return value


def _languages(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Language codes in menu order; each must have a catalogue (French is the source)."""
    from dialogs.i18n import has_catalogue

    raw = env.get(name, "").strip()
    if not raw:
        return LANGUAGES
    codes = tuple(dict.fromkeys(c.strip().lower().replace("-", "_") for c in raw.split(",")
                                if c.strip()))
    if not codes:
        raise ConfigError(name, "expected language codes like fr,en,fon,yo")
    for code in codes:
        if not re.fullmatch(r"[a-z]{2,3}(_[a-z0-9]{2,4})?", code, re.IGNORECASE):
            raise ConfigError(name, f"expected language codes like fr,en,fon,yo, got {code!r}")
        if not has_catalogue(code):
            raise ConfigError(name, f"no catalogue locales/{code}/LC_MESSAGES/messages.po "
                                    f"for {code!r}")
    return codes


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    """A rate limit in Flask-Limiter's notation (``10/minute``, ``5 per second;100/hour``)."""
    from limits import parse_many

    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(name, f"expected a rate like 10/minute, got {raw!r}") from None
    return raw


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(name, f"expected true or false, got {raw!r}")


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of web origins, each ``scheme://host[:port]`` without a path."""
    found = []
    for raw in env.get(name, "").split(","):
        value = raw.strip().rstrip("/")
        if not value:
            continue
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.path \
                or parsed.query or parsed.fragment or "*" in value:
            raise ConfigError(name, f"expected origins like https://portal.example.bj, "
                                    f"got {value!r}")
        found.append(f"{parsed.scheme}://{parsed.netloc.lower()}")
    return tuple(dict.fromkeys(found))


def _office_hours(env: Mapping[str, str]) -> tuple[str, str, str | None]:
    """``OFFICE_HOURS``, ``OFFICE_TIMEZONE`` and ``OFFICE_HOLIDAYS`` (whose public holidays close
    the line, default ``BJ``, or ``none``), checked by parsing them once together."""
    from dialogs.desk.hours import TIMEZONE, HoursError, OfficeHours

    hours = env.get("OFFICE_HOURS", "").strip() or DEFAULT_OFFICE_HOURS
    timezone = env.get("OFFICE_TIMEZONE", "").strip() or TIMEZONE
    calendar = env.get("OFFICE_HOLIDAYS", "").strip().upper() or "BJ"
    holidays = None if calendar == "NONE" else calendar
    try:
        OfficeHours.parse(hours, timezone, calendar=holidays)
    except HoursError as exc:
        if "holidays" in str(exc):
            raise ConfigError("OFFICE_HOLIDAYS", f"{exc} (expected a country code like BJ, "
                                                 "or none)") from None
        name = "OFFICE_TIMEZONE" if "time zone" in str(exc) else "OFFICE_HOURS"
        raise ConfigError(name, f"{exc} (expected e.g. 'mon-fri 08:00-17:30; sat 09:00-12:00')"
                          ) from None
    return hours, timezone, holidays


def _dates(env: Mapping[str, str], name: str) -> tuple[dt.date, ...]:
    """A comma-separated list of ``YYYY-MM-DD`` dates."""
    found = []
    for raw in env.get(name, "").split(","):
        if raw.strip():
            try:
                found.append(dt.date.fromisoformat(raw.strip()))
            except ValueError:
                raise ConfigError(name, f"expected dates like 2026-12-24, got {raw.strip()!r}"
                                  ) from None
    return tuple(found)


def _environment(env: Mapping[str, str]) -> str:
    value = env.get("GUICHET_ENV", "").strip().lower() or "development"
    if value not in ENVIRONMENTS:
        raise ConfigError("GUICHET_ENV", f"expected development or production, got {value!r}")
    return value


def _secret_key(env: Mapping[str, str], production: bool, key_file: Path) -> str:
    """``SECRET_KEY``: in production it must be set, long and not the old constant; in
    development an unset key is generated once into ``var/`` and shared by every worker, so that
    tokens and agent sessions survive a restart without a constant anyone can read."""
    secret = env.get("SECRET_KEY", "").strip()
    if production:
        if not secret:
            raise ConfigError("SECRET_KEY", "must be set when GUICHET_ENV=production")
        if secret == OLD_DEFAULT_SECRET:
            raise ConfigError("SECRET_KEY", "is the old public default: generate a new one with "
                                            "python -c 'import secrets; "
                                            "print(secrets.token_urlsafe(48))'")
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError("SECRET_KEY", f"must be at least {MIN_SECRET_LENGTH} characters "
                                            f"when GUICHET_ENV=production, got {len(secret)}")
        return secret
    return secret or _generated_key(key_file)


def _generated_key(path: Path) -> str:
    """Read the development key at ``path``, creating it first if needed (``O_EXCL``: two workers
    starting together agree on one key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _attempt in range(50):  # the other worker may still be writing it
            key = path.read_text(encoding="ascii").strip()
            if len(key) >= MIN_SECRET_LENGTH:
                return key
            time.sleep(0.02)
        raise ConfigError("SECRET_KEY", f"{path} holds no usable key: delete it") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    log.info("generated a development SECRET_KEY", extra={"path": str(path)})
    return key


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of addresses or networks (``196.201.214.0/24``), checked."""
    found = []
    for raw in env.get(name, "").split(","):
        value = raw.strip()
        if not value:
            continue
        try:
            found.append(str(ipaddress.ip_network(value, strict=False)))
        except ValueError:
            raise ConfigError(name, f"expected addresses or networks like 196.201.214.0/24, "
                                    f"got {value!r}") from None
    return tuple(found)


def _random_key() -> str:
    return secrets.token_urlsafe(48)




def _catalogue_file(env: Mapping[str, str], name: str) -> str | None:
    """A sandbox catalogue file, loaded once now so that a broken file stops the start with
    the variable's name rather than an error on a citizen's first hop."""
    value = env.get(name, "").strip()
    if not value:
        return None
    from integrations.portal.sandbox.catalogue import CatalogueError, load_catalogue

    try:
        load_catalogue(value)
    except CatalogueError as exc:
        raise ConfigError(name, str(exc)) from None
    return value
