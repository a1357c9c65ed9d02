"""Small HTTP helpers shared by the live-server suites: one keep-alive session per thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import requests

from dashboard.i18n import t

_LOCAL = threading.local()


def session() -> requests.Session:
    """This thread's keep-alive session (cookies are not shared between threads)."""
    current = getattr(_LOCAL, "session", None)
    if current is None:
        current = requests.Session()
        _LOCAL.session = current
    return current


def survey_state(status: int, body: str) -> str:
    """What the survey page told the resident: thanks | closed | busy | form | error."""
    if status >= 500:
        return "error"
    if t("survey.thanks_title", "zh") in body:
        return "thanks"
    if t("survey.closed_title", "zh") in body:
        return "closed"
    if t("survey.busy", "zh") in body:
        return "busy"
    if 'name="submission_id"' in body:
        return "form"
    return "error"


@dataclass(frozen=True)
class Outcome:
    """One request's answer as the client saw it."""

    token: str
    submission_id: str
    status: int
    state: str
    seconds: float
