"""The demo city: every layer's data in one database, so every page has content.

`build_demo` is what `gridscore demo` (and `make demo`) runs after generating the
small synthetic city with one year of history (`DEMO_HISTORY`): survey fieldwork for
the previous year, the first half-year and the year, a finalised previous-year run (so
the report's 与上期比较 sheet and the trends have a year to compare with), a finalised
half-year run, a draft year run, and demo accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from warehouse.db import Database

DEMO_PASSWORD = "gridscore-demo"
DEMO_HISTORY = 1
"""Years generated before the demo year (the finalised previous year)."""


@dataclass(frozen=True)
class DemoAccount:
    """A sign-in the demo prints for the user."""

    name: str
    password: str
    role: str
    scope_unit_id: str | None


@dataclass(frozen=True)
class DemoSummary:
    """What `build_demo` added on top of the generated city."""

    final_run_id: str
    draft_run_id: str
    previous_run_id: str | None
    responses: int
    accounts: tuple[DemoAccount, ...]


def build_demo(
    db: Database, *, seed: int, year: int, step: Callable[[str], None] | None = None
) -> DemoSummary:
    """Survey, score and open accounts on a freshly generated city.

    The previous year (when the city has it) and the half-year runs are finalised
    (locked) and the year run stays a draft, so the finalise page, the draft
    watermark, the comparison with the previous year and the trend all have content.
    """
    from dashboard.auth import add_user
    from metrics.runs import finalise, score_period
    from surveys.synthetic import simulate

    say = step or (lambda _text: None)
    previous_run_id = None
    before = str(year - 1)
    if db.scalar("SELECT count(*) FROM periods WHERE period_id = ?", [before]):
        say(f"surveying residents ({before})")
        simulate(db, period_id=before, seed=seed + 2)
        say(f"scoring {before}")
        previous = score_period(db, before, seed=seed)
        finalise(db, previous.run_id, actor="demo")
        previous_run_id = previous.run_id
    half, full = f"{year}H1", f"{year}"
    say(f"surveying residents ({half})")
    simulate(db, period_id=half, seed=seed + 1)
    say(f"surveying residents ({full})")
    simulate(db, period_id=full, seed=seed)
    say(f"scoring {half}")
    first = score_period(db, half, seed=seed)
    finalise(db, first.run_id, actor="demo")
    say(f"scoring {full}")
    draft = score_period(db, full, seed=seed)
    street = db.scalar("SELECT min(unit_id) FROM org_units WHERE level = 'street'")
    accounts = (
        DemoAccount("admin", DEMO_PASSWORD, "admin", None),
        DemoAccount("street", DEMO_PASSWORD, "supervisor", street),
    )
    for account in accounts:
        add_user(db, account.name, account.password, role=account.role, scope_unit_id=account.scope_unit_id)
    responses = int(db.scalar("SELECT count(*) FROM survey_responses") or 0)
    return DemoSummary(first.run_id, draft.run_id, previous_run_id, responses, accounts)
