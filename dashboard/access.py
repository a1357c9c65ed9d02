"""Who may do what, where: roles × actions, and org-subtree scope.

Every page layout, callback and download calls `require(user, action, unit_id)`
on the server before touching data (Dash callbacks can be called with any input).
A refusal raises `AccessDenied`, a werkzeug `Forbidden`, so over HTTP it is a 403.

Roles:
    admin      everything, everywhere (also accounts and loading data).
    assessor   district-wide: view, export, decide vetoes, finalise, what-if, surveys.
    supervisor only their org subtree: view, export, appeal vetoes, what-if, surveys.
    viewer     view only (within a scope if one is set).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import polars as pl
from werkzeug.exceptions import Forbidden

from dashboard.auth import User
from warehouse.db import Database, fetch_pl

Action = Literal[
    "view", "export", "veto_decide", "veto_appeal", "finalise", "whatif", "survey_ops", "manage_users",
    "manage_data",
]
ACTIONS: tuple[str, ...] = (
    "view", "export", "veto_decide", "veto_appeal", "finalise", "whatif", "survey_ops", "manage_users",
    "manage_data",
)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(ACTIONS),
    "assessor": frozenset({"view", "export", "veto_decide", "veto_appeal", "finalise", "whatif", "survey_ops"}),
    "supervisor": frozenset({"view", "export", "veto_appeal", "whatif", "survey_ops"}),
    "viewer": frozenset({"view"}),
}


class AccessDenied(Forbidden):
    """The user's role or scope does not allow this action on this unit (HTTP 403)."""

    def __init__(self, user: User | None, action: str, unit_id: str | None) -> None:
        who = user.name if user else "anonymous"
        super().__init__(description=f"{who} may not {action} {unit_id or ''}".strip())
        self.action = action
        self.unit_id = unit_id


class UnknownUnit(AccessDenied):
    """The unit named in a request (`?unit=`) is no org unit, worker or department (HTTP 403).

    A subclass of `AccessDenied`, so over HTTP it is refused like any other unit the user
    may not see; a page says which one and why (`dashboard.pagekit.page_layout`).
    """


class OutOfScope(AccessDenied):
    """The unit named in a request exists but lies outside the user's scope (HTTP 403)."""


@dataclass(frozen=True)
class OrgTree:
    """Parent links of org units plus the unit each worker and department belongs to."""

    parent: dict[str, str | None]
    names: dict[str, str]
    levels: dict[str, str]
    worker_unit: dict[str, str]
    dept_unit: dict[str, str]

    def ancestors(self, unit_id: str) -> list[str]:
        """`unit_id` and all units above it (empty if unknown)."""
        chain: list[str] = []
        current: str | None = unit_id
        while current is not None and current in self.parent and current not in chain:
            chain.append(current)
            current = self.parent[current]
        return chain

    def resolve(self, subject_id: str | None) -> str | None:
        """The org unit of a unit, worker or department id (None if unknown)."""
        if subject_id is None:
            return None
        if subject_id in self.parent:
            return subject_id
        if subject_id in self.worker_unit:
            return self.worker_unit[subject_id]
        return self.dept_unit.get(subject_id)

    def contains(self, scope_unit_id: str | None, subject_id: str | None) -> bool:
        """True when `subject_id` (unit, worker or department) lies in the scope's subtree."""
        if scope_unit_id is None:
            return True
        unit = self.resolve(subject_id)
        return unit is not None and scope_unit_id in self.ancestors(unit)

    def children(self, unit_id: str | None) -> list[str]:
        """The org units directly under `unit_id`, by id; for None the tops of the tree, or
        (one district only) that district's own children, so "the whole city" opens on streets."""
        if unit_id is None:
            roots = sorted(u for u, p in self.parent.items() if p is None)
            return self.children(roots[0]) if len(roots) == 1 else roots
        return sorted(u for u, p in self.parent.items() if p == unit_id)

    def subtree(self, scope_unit_id: str | None) -> set[str] | None:
        """All unit ids under (and including) the scope; None means everything."""
        if scope_unit_id is None:
            return None
        return {u for u in self.parent if scope_unit_id in self.ancestors(u)}


_TREE_SQL = """
WITH units AS (SELECT unit_id, parent_id, name, level FROM org_units),
     worker_units AS (
        SELECT w.worker_id, coalesce(w.grid_id, d.unit_id) AS unit_id
        FROM workers AS w LEFT JOIN departments AS d USING (dept_id)
     )
SELECT 'u' AS kind, unit_id AS id, parent_id AS parent, name, level FROM units
UNION ALL
SELECT 'w', worker_id, unit_id, NULL, NULL FROM worker_units WHERE unit_id IS NOT NULL
UNION ALL
SELECT 'd', dept_id, unit_id, NULL, NULL FROM departments WHERE unit_id IS NOT NULL
"""

_cache: dict[str, tuple[float, OrgTree]] = {}
_cache_lock = threading.Lock()
TREE_TTL_SECONDS = 60.0


def db_key(db: Database) -> str:
    """A key unique to this open database object, for the dashboard's caches.

    (`id(db)` could be reused by another database after this one is closed.)
    """
    key = db.__dict__.get("_dashboard_key")
    if key is None:
        key = uuid.uuid4().hex
        db.__dict__["_dashboard_key"] = key
    return key


def load_tree(db: Database, *, fresh: bool = False) -> OrgTree:
    """The org tree of `db`, cached for a minute (the server is the only writer)."""
    key = db_key(db)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and not fresh and now - hit[0] < TREE_TTL_SECONDS:
            return hit[1]
    cur = db.cursor()
    try:
        frame = fetch_pl(cur, _TREE_SQL)
    finally:
        cur.close()
    units = frame.filter(pl.col("kind") == "u")
    tree = OrgTree(
        parent=dict(zip(units["id"].to_list(), units["parent"].to_list(), strict=True)),
        names=dict(zip(units["id"].to_list(), units["name"].to_list(), strict=True)),
        levels=dict(zip(units["id"].to_list(), units["level"].to_list(), strict=True)),
        worker_unit=dict(frame.filter(pl.col("kind") == "w").select("id", "parent").iter_rows()),
        dept_unit=dict(frame.filter(pl.col("kind") == "d").select("id", "parent").iter_rows()),
    )
    with _cache_lock:
        _cache[key] = (now, tree)
    return tree


def allowed(user: User | None, action: str) -> bool:
    """Whether the role may do `action` at all (scope aside)."""
    return user is not None and action in ROLE_ACTIONS.get(user.role, frozenset())


def require(
    user: User | None, action: str, unit_id: str | None = None, *, tree: OrgTree | None = None
) -> None:
    """Refuse (raise `AccessDenied`, HTTP 403) unless `user` may do `action` on `unit_id`.

    `unit_id` may be an org unit, a worker or a department id; None means "the
    whole city", which only unscoped users may ask for.
    """
    if user is None or not allowed(user, action):
        raise AccessDenied(user, action, unit_id)
    if user.scope_unit_id is None:
        return
    if unit_id is None or tree is None or not tree.contains(user.scope_unit_id, unit_id):
        raise AccessDenied(user, action, unit_id)


def filter_frame(
    frame: pl.DataFrame, tree: OrgTree, unit_id: str | None, *, columns: Iterable[str]
) -> pl.DataFrame:
    """Rows of `frame` whose id in one of `columns` lies in `unit_id`'s subtree.

    Used after `require` so a page shows only the subtree it is about.
    """
    if unit_id is None or frame.height == 0:
        return frame
    keep = tree.subtree(unit_id) or set()
    ids = {wid for wid, u in tree.worker_unit.items() if u in keep}
    ids |= {d for d, u in tree.dept_unit.items() if u in keep}
    ids |= keep
    cols = [c for c in columns if c in frame.columns]
    if not cols:
        return frame.clear()
    cond = pl.lit(False)
    for c in cols:
        cond = cond | pl.col(c).is_in(list(ids))
    return frame.filter(cond)
