"""What every page and callback starts from: who asks, about which period and unit.

`make_context` is the one place a view's inputs are parsed and checked: the unit
must lie in the user's scope (else `AccessDenied`, HTTP 403) and the role must
allow the action. Pages take a `ViewContext` and never re-read the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dashboard.access import (
    AccessDenied,
    OrgTree,
    OutOfScope,
    UnknownUnit,
    allowed,
    load_tree,
    require,
)
from dashboard.auth import User
from dashboard.data import default_period
from dashboard.i18n import lang_of
from warehouse.db import Database


@dataclass(frozen=True)
class ViewContext:
    """A checked request: database, user, org tree, period, unit and language."""

    db: Database
    user: User
    tree: OrgTree
    period: str | None
    unit: str | None
    lang: str

    def query(self, **extra: str | None) -> str:
        """The URL query string keeping period, unit and language (plus `extra`)."""
        from urllib.parse import urlencode

        params = {"period": self.period, "unit": self.unit, "lang": self.lang, **extra}
        return "?" + urlencode({k: v for k, v in params.items() if v})


def _clean(value: object, limit: int = 64) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text[:limit] or None


def make_context(
    db: Database,
    user: User | None,
    *,
    period: object = None,
    unit: object = None,
    lang: object = None,
    action: str = "view",
) -> ViewContext:
    """Parse and check a view's inputs.

    Raises:
        UnknownUnit: the unit asked for is no org unit, worker or department.
        OutOfScope: the unit exists but lies outside the user's scope.
        AccessDenied: no user or a role without `action` (both above are AccessDenied too).
    """
    tree = load_tree(db)
    unit_id = _clean(unit)
    if user is not None and unit_id is None:
        unit_id = user.scope_unit_id
    if unit_id is not None and tree.resolve(unit_id) is None:
        raise UnknownUnit(user, action, unit_id)
    if allowed(user, action) and user is not None and not tree.contains(user.scope_unit_id, unit_id):
        raise OutOfScope(user, action, unit_id)
    require(user, action, unit_id, tree=tree)
    if user is None:  # require() already refuses; this narrows the type
        raise AccessDenied(user, action, unit_id)
    return ViewContext(
        db=db, user=user, tree=tree, period=_clean(period) or default_period(db),
        unit=unit_id, lang=lang_of(lang),
    )


def current_db() -> Database:
    """The process's database (opened once by `create_app`)."""
    from flask import current_app

    return current_app.extensions["gridscore"].db


def current_user() -> User | None:
    """The signed-in user of this request (set by the app's before-request guard)."""
    from flask import g

    return getattr(g, "user", None)


def request_context(action: str = "view", **params: Any) -> ViewContext:
    """`make_context` for the current Flask request."""
    return make_context(current_db(), current_user(), action=action, **params)


