"""Role × scope × page/callback/download matrix: out-of-scope is always refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dashboard.access import AccessDenied, allowed, require
from dashboard.auth import User
from dashboard.context import make_context
from dashboard.pages import PAGES, finalise, rankings, scheme, vetoes, worker
from tests.dashboard.conftest import IN_SCOPE, OUT_OF_SCOPE, users
from warehouse.db import Database

USERS = users()
SCOPED = [n for n, u in USERS.items() if u.scope_unit_id]


def _search(unit: str | None) -> str:
    return f"?period=2025&unit={unit}" if unit else "?period=2025"


def _page(page: Any) -> Callable[[Database, User, str | None], Any]:
    def call(db: Database, user: User, unit: str | None) -> Any:
        return page.view(make_context(db, user, period="2025", unit=unit, lang="zh"), {})
    return call


def _veto_in(db: Database, unit: str) -> str | None:
    frame = db.query(
        "SELECT v.veto_id FROM veto_events v LEFT JOIN workers w ON w.worker_id = v.subject_id "
        "WHERE coalesce(w.grid_id, v.subject_id) LIKE ? ORDER BY v.veto_id LIMIT 1", [unit + "%"])
    return frame["veto_id"][0] if frame.height else None


HANDLERS: dict[str, tuple[str, Callable[[Database, User, str | None], Any]]] = {
    **{f"page:{p.PATH}": ("view" if p is not PAGES[5] else "survey_ops", _page(p)) for p in PAGES},
    "callback:rankings.level": ("view", lambda db, u, unit: rankings.on_level(db, u, "street", _search(unit))),
    "callback:rankings.rows": ("view", lambda db, u, unit: rankings.on_rows(
        db, u, {"startRow": 0, "endRow": 50}, "workers", None, _search(unit))),
    "download:rankings.csv": ("export", lambda db, u, unit: rankings.on_export(db, u, "workers", _search(unit))),
    "callback:scheme.whatif": ("whatif", lambda db, u, unit: scheme.on_whatif(db, u, _search(unit), [30, 20, 50])),
    "callback:worker.pick": ("view", lambda db, u, unit: worker.on_pick(
        db, u, db.scalar("SELECT min(worker_id) FROM workers WHERE grid_id LIKE ?", [(unit or "D01") + "%"]) or "W000001", _search(unit))),
    "callback:worker.search": ("view", lambda db, u, unit: worker.on_search(db, u, "王", None, _search(unit))),
    "callback:vetoes.confirm": ("veto_decide", lambda db, u, unit: vetoes.act(db, u, _veto_in(db, unit or "D01") or "NO-SUCH-VETO", "confirm", "")),
    "callback:vetoes.appeal": ("veto_appeal", lambda db, u, unit: vetoes.act(db, u, _veto_in(db, unit or "D01") or "NO-SUCH-VETO", "appeal", "")),
    "callback:finalise": ("finalise", lambda db, u, unit: finalise.on_finalise(db, u, "?period=2099" + (f"&unit={unit}" if unit else ""))),
}

MATRIX = [(name, handler) for name in USERS for handler in HANDLERS]


@pytest.mark.parametrize(("user_name", "handler"), MATRIX)
def test_matrix_out_of_scope_is_refused(dash_db: Database, user_name: str, handler: str) -> None:
    """A scoped user asking about a unit outside their subtree is refused; so is an unknown unit."""
    user = USERS[user_name]
    _action, call = HANDLERS[handler]
    target = OUT_OF_SCOPE if user.scope_unit_id else "NO-SUCH-UNIT"
    if handler.startswith("callback:vetoes") and user.scope_unit_id:
        assert _veto_in(dash_db, OUT_OF_SCOPE) is not None, f"the seeded city has a veto in {OUT_OF_SCOPE}"
    with pytest.raises(AccessDenied):
        call(dash_db, user, target)


@pytest.mark.parametrize(("user_name", "handler"), MATRIX)
def test_matrix_in_scope_follows_role(dash_db: Database, user_name: str, handler: str) -> None:
    """In scope, a handler runs exactly when the role has its action."""
    user = USERS[user_name]
    action, call = HANDLERS[handler]
    unit = user.scope_unit_id
    if action == "finalise":
        unit = None
    may = allowed(user, action) and not (action == "finalise" and user.scope_unit_id)
    if handler.startswith("callback:vetoes"):
        assert _veto_in(dash_db, unit or "D01") is not None, f"the seeded city has a veto in {unit or 'D01'}"
    if may:
        call(dash_db, user, unit)
    else:
        with pytest.raises(AccessDenied):
            call(dash_db, user, unit)


def test_require_refuses_anonymous_and_unknown_action() -> None:
    with pytest.raises(AccessDenied):
        require(None, "view")
    with pytest.raises(AccessDenied):
        require(USERS["admin"], "no_such_action")


def test_worker_detail_refuses_worker_outside_scope(dash_db: Database) -> None:
    sup = USERS["sup"]
    ctx = make_context(dash_db, sup, period="2025", unit=IN_SCOPE, lang="zh")
    outsider = dash_db.scalar("SELECT min(worker_id) FROM workers WHERE grid_id LIKE ?", [OUT_OF_SCOPE + "%"])
    with pytest.raises(AccessDenied):
        worker.worker_detail(ctx, outsider)


def test_scoped_user_sees_only_subtree_rows(dash_db: Database) -> None:
    sup = USERS["sup"]
    ctx = make_context(dash_db, sup, period="2025", unit=None, lang="zh")
    assert ctx.unit == IN_SCOPE
    frame = rankings.level_frame(ctx, "workers")
    assert frame is not None and frame.height > 0
    units = {ctx.tree.resolve(w) for w in frame["worker_id"].to_list()}
    assert all(IN_SCOPE in ctx.tree.ancestors(u) for u in units if u)
    csv = rankings.export_csv(ctx)
    outsider_names = dash_db.query(
        "SELECT name FROM workers WHERE grid_id LIKE ?", [OUT_OF_SCOPE + "%"])["name"].to_list()
    inside_names = set(frame["name"].to_list())
    leaked = [n for n in outsider_names if n not in inside_names and f",{n}," in csv]
    assert leaked == []
