"""The one-vote veto (一票否决) workflow: proposed → confirmed → appealed → upheld / overturned.

Each step records actor, time and evidence in `veto_actions` and in the audit chain.
Only confirmed (and appealed or upheld, i.e. not overturned) vetoes act on scores; the
scheme's `veto.acting_statuses` says which. A transition changes the veto event, not any
stored run: re-score the draft run (`metrics.runs.rescore`) to apply it; final runs are
corrected by appeal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import polars as pl

from metrics import audit
from metrics.audit import first_row
from metrics.errors import ScoringError
from warehouse.db import Database

Action = Literal["confirm", "appeal", "uphold", "overturn"]
TRANSITIONS: dict[str, tuple[str, str]] = {
    "confirm": ("proposed", "confirmed"),
    "appeal": ("confirmed", "appealed"),
    "uphold": ("appealed", "upheld"),
    "overturn": ("appealed", "overturned"),
}


class VetoTransitionError(ScoringError):
    """The action is not allowed from the veto's current status."""


@dataclass(frozen=True)
class VetoAction:
    """One recorded step of the veto workflow."""

    action_id: str
    veto_id: str
    action: str
    from_status: str
    to_status: str
    actor: str
    acted_at: datetime
    evidence: str


def transition(db: Database, veto_id: str, *, action: Action, actor: str, evidence: str) -> VetoAction:
    """Move a veto event one step along its workflow (audited).

    Args:
        db: database opened for writing.
        veto_id: the veto event.
        action: confirm (proposed → confirmed), appeal (confirmed → appealed),
            uphold (appealed → upheld) or overturn (appealed → overturned).
        actor: who acts (required).
        evidence: evidence or reason (required).

    Raises:
        VetoTransitionError: the action is not allowed from the current status.
        ScoringError: unknown veto or action, missing actor or evidence.
    """
    if action not in TRANSITIONS:
        raise ScoringError(f"unknown veto action {action!r} (allowed: {', '.join(TRANSITIONS)})")
    if not actor or not actor.strip():
        raise ScoringError("veto action: actor is required")
    if not evidence or not evidence.strip():
        raise ScoringError("veto action: evidence is required")
    want, to = TRANSITIONS[action]
    with db.transaction() as cur:
        row = first_row(cur, "SELECT status FROM veto_events WHERE veto_id = ?", [veto_id])
        if row is None:
            raise ScoringError(f"veto {veto_id!r} does not exist")
        status = row[0]
        if status != want:
            raise VetoTransitionError(f"veto {veto_id}: cannot {action} from status {status!r} (needs {want!r})")
        n = first_row(cur, "SELECT count(*) FROM veto_actions")[0]
        action_id = f"VA{n + 1:06d}"
        at = audit.now()
        cur.execute("UPDATE veto_events SET status = ? WHERE veto_id = ?", [to, veto_id])
        cur.execute("INSERT INTO veto_actions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [action_id, veto_id, action, status, to, actor, at, evidence])
        audit.append(cur, actor=actor, action=f"veto_{action}", entity="veto", entity_id=veto_id,
                     payload={"action_id": action_id, "from": status, "to": to, "evidence": evidence})
    return VetoAction(action_id, veto_id, action, status, to, actor, at, evidence)


def history(db: Database, veto_id: str | None = None) -> pl.DataFrame:
    """The workflow steps (all vetoes, or one), oldest first."""
    if veto_id is None:
        return db.query("SELECT * FROM veto_actions ORDER BY acted_at, action_id")
    return db.query("SELECT * FROM veto_actions WHERE veto_id = ? ORDER BY acted_at, action_id", [veto_id])


def list_vetoes(db: Database, period_id: str | None = None) -> pl.DataFrame:
    """Veto events (optionally of one period) with their current status."""
    if period_id is None:
        return db.query("SELECT * EXCLUDE (batch_id) FROM veto_events ORDER BY period_id, veto_id")
    return db.query("SELECT * EXCLUDE (batch_id) FROM veto_events WHERE period_id = ? ORDER BY veto_id", [period_id])
