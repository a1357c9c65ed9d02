"""The dashboard's settings: one frozen object built at the edge (CLI, tests).

Nothing below the app factory reads the environment; `Settings.from_env` is the
one place that does, for `gridscore serve` (the database path through
`warehouse.db.resolve_path`, the one resolver of `GRIDSCORE_DB`). Every field and
variable is documented in docs/settings.md (a test checks it).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from warehouse.db import DEFAULT_DB, resolve_path

COOKIE_SECURE_ENV = "GRIDSCORE_COOKIE_SECURE"
CHROMIUM_ENV = "GRIDSCORE_CHROMIUM"
CHROMIUM_DEFAULT = "/usr/bin/chromium"  # Debian's package (scripts/system-deps.sh)


@dataclass(frozen=True)
class Settings:
    """Everything `create_app` needs.

    Attributes:
        db_path: DuckDB file opened once per process (":memory:" in tests).
        session_hours: absolute lifetime of a sign-in session.
        cookie_secure: mark the session cookie `Secure` (behind HTTPS).
        signin_burst / signin_per_minute: token bucket per client IP for sign-in.
        survey_burst / survey_per_minute: token bucket per client IP for the survey form.
        questionnaire_path: questionnaire TOML (None: the surveys default).
        default_lang: "zh" or "en".
        chromium_path: the Chromium that prints PDFs and renders report charts
            (`GRIDSCORE_CHROMIUM`; needs the `reports` extra).
        secret_key: Flask secret (only used by Flask internals; sessions are server-side).
    """

    db_path: str = DEFAULT_DB
    session_hours: float = 8.0
    cookie_secure: bool = False
    signin_burst: int = 10
    signin_per_minute: float = 10.0
    survey_burst: int = 30
    survey_per_minute: float = 30.0
    questionnaire_path: str | None = None
    default_lang: str = "zh"
    chromium_path: str = CHROMIUM_DEFAULT
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)

    @classmethod
    def from_env(cls, *, db_path: str | None = None, **overrides: object) -> Settings:
        """Settings for `gridscore serve`: arguments first, then GRIDSCORE_* variables."""
        secure = os.environ.get(COOKIE_SECURE_ENV, "") in {"1", "true", "yes"}
        overrides.setdefault("chromium_path", os.environ.get(CHROMIUM_ENV) or CHROMIUM_DEFAULT)
        return cls(db_path=resolve_path(db_path), cookie_secure=secure, **overrides)  # type: ignore[arg-type]
