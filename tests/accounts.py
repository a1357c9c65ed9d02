"""The test accounts (one per role, a scoped supervisor and viewer) shared by the dashboard and reliability suites."""

from __future__ import annotations

PASSWORD = "correct-horse-1"
ACCOUNTS: dict[str, tuple[str, str | None]] = {
    # name: (role, scope)
    "admin": ("admin", None),
    "assessor": ("assessor", None),
    "sup": ("supervisor", "D01S01"),
    "viewer": ("viewer", "D01S01"),
    "viewer_all": ("viewer", None),
}
IN_SCOPE = "D01S01"
OUT_OF_SCOPE = "D01S02"
