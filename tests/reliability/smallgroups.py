"""Small groups (< k respondents) in response bodies: make one, know its hidden figures, find them.

`make_small_grid` cuts one grid's responses of a period to fewer than k and rescores
the period (a real small grid is small when it is scored too); it returns that grid's
unsuppressed estimate (computed with k = 1, never shown by the product) and the same
figures for a normal control grid. `records` splits a body into the parts that talk
about one grid — JSON objects and chart rows naming the grid or its workers, HTML
table rows, CSV lines, XLSX rows — and `hidden_figures_in` looks there for the
grid's mean, interval and shrunk value as the product would print them.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dashboard.i18n import fmt_num
from surveys.suppression import K_MIN
from warehouse.db import Database

SATISFACTION_KEYS = ("satisfaction", "satisfaction_raw", "satisfaction_se", "mean", "ci_low", "ci_high",
                     "shrunk", "p_satisfied", "se")


@dataclass(frozen=True)
class Group:
    """A grid, the labels that name it (ids and names of it and its workers) and its hidden figures."""

    grid_id: str
    workers: tuple[str, ...]
    labels: frozenset[str]
    respondents: int
    figures: dict[str, float]

    @property
    def forms(self) -> set[str]:
        """How the figures look when printed: 1 or 2 decimals, a raw float cut after 2, the KPI text."""
        out = {self.kpi}
        for value in self.figures.values():
            raw = repr(float(value))
            out |= {f"{value:.1f}", f"{value:.2f}", raw[: raw.index(".") + 3] if "." in raw else raw}
        return out

    @property
    def kpi(self) -> str:
        """The worker page's satisfaction card text: "mean [low, high]"."""
        f = self.figures
        return f"{fmt_num(f['mean'])} [{fmt_num(f['ci_low'])}, {fmt_num(f['ci_high'])}]"


def _group(db: Database, grid_id: str, estimates: Any) -> Group:
    row = estimates.filter(estimates["unit_id"] == grid_id).row(0, named=True)
    people = db.query("SELECT worker_id, name FROM workers WHERE grid_id = ? ORDER BY worker_id", [grid_id])
    name = db.scalar("SELECT name FROM org_units WHERE unit_id = ?", [grid_id])
    labels = {grid_id, name, *people["worker_id"].to_list(), *people["name"].to_list()}
    return Group(grid_id=grid_id, workers=tuple(people["worker_id"].to_list()),
                 labels=frozenset(v for v in labels if v and len(v) >= 2), respondents=int(row["respondents"]),
                 figures={k: float(row[k]) for k in ("mean", "ci_low", "ci_high", "shrunk") if row[k] is not None})


def make_small_grid(db: Database, period_id: str, small: str, control: str, *, keep: int = 3,
                    seed: int = 20251) -> tuple[Group, Group]:
    """Cut `small` to `keep` (< k) responses in `period_id`, rescore; return (small, control) groups."""
    from metrics.runs import score_period
    from surveys.estimate import estimate

    assert keep < K_MIN
    # keep three answers to the overall question that differ and whose mean is not a whole
    # number, so the hidden figures print as distinctive text (not a round 100.0)
    from itertools import combinations

    from surveys.questionnaire import load_questionnaire

    rows = db.query(
        """SELECT r.response_id, a.score FROM survey_responses r JOIN survey_answers a USING (response_id)
           WHERE r.period_id = ? AND r.grid_id = ? AND a.item_key = ? ORDER BY r.response_id""",
        [period_id, small, load_questionnaire().overall_item]).rows()
    kept = next(c for c in combinations(rows, keep)
                if len({score for _id, score in c}) > 1 and sum(score for _id, score in c) % keep)
    keep_ids = {rid for rid, _score in kept}
    doomed = db.query("SELECT response_id FROM survey_responses WHERE period_id = ? AND grid_id = ?",
                      [period_id, small])["response_id"].to_list()
    doomed = [rid for rid in doomed if rid not in keep_ids]
    with db.transaction() as cur:
        for table in ("survey_answers", "survey_quality_flags", "survey_responses"):
            cur.execute(f"DELETE FROM {table} WHERE list_contains($ids, response_id)", {"ids": doomed})
    score_period(db, period_id, seed=seed, draws=200)
    shown = estimate(db, period_id, level="grid")
    assert shown.filter(shown["unit_id"] == small)["suppressed"].to_list() == [True]
    hidden = estimate(db, period_id, level="grid", k_min=1)
    group, ctrl = _group(db, small, hidden), _group(db, control, hidden)
    assert group.respondents == keep and ctrl.respondents >= K_MIN and len(group.figures) == 4
    return group, ctrl


def _json_records(node: Any, labels: frozenset[str]) -> Iterator[tuple[str, Any]]:
    """(text, object) for every JSON object naming a label, and chart rows/columns labelled by one."""
    if isinstance(node, dict):
        if any(isinstance(v, str) and v in labels for v in node.values()):
            yield json.dumps(node, ensure_ascii=False), node
        for axis, other in (("y", "z"), ("x", "y")):  # heat-map rows, bar/line points
            names, values = node.get(axis), node.get(other)
            if isinstance(names, list) and isinstance(values, list) and len(names) == len(values):
                for name, value in zip(names, values, strict=True):
                    if isinstance(name, str) and name in labels:
                        yield json.dumps(value, ensure_ascii=False), None
        for value in node.values():
            yield from _json_records(value, labels)
    elif isinstance(node, list):
        for value in node:
            yield from _json_records(value, labels)


def records(body: str | bytes, labels: frozenset[str]) -> list[tuple[str, Any]]:
    """The parts of a response body that talk about the labelled grid (see the module doc)."""
    if isinstance(body, bytes):
        if body[:2] == b"PK":  # XLSX
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(body), read_only=True)
            rows = ["\t".join("" if c is None else str(c) for c in row)
                    for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
            return [(r, None) for r in rows if any(label in r for label in labels)]
        body = body.decode("utf-8", errors="replace")
    stripped = body.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return list(_json_records(json.loads(stripped), labels))
        except ValueError:
            pass
    parts = re.findall(r"<tr\b.*?</tr>", body, flags=re.S) if "<tr" in body else body.splitlines()
    return [(p, None) for p in parts if any(label in p for label in labels)]


def hidden_figures_in(body: str | bytes, group: Group, *, whole: bool = False) -> list[str]:
    """Where a grid's figures appear in the parts of `body` about it (empty: none).

    `whole`: the body is a view of the grid or one of its workers, so its satisfaction
    card text ("mean [low, high]") is looked for anywhere in it too.
    """
    found = []
    if whole and group.kpi in (body if isinstance(body, str) else body.decode("utf-8", errors="replace")):
        found.append(f"card text {group.kpi!r}")
    forms = group.forms
    for text, obj in records(body, group.labels):
        hits = sorted(f for f in forms if f in text)
        if hits:
            found.append(f"{hits[:3]} in {text[:160]}")
        if isinstance(obj, dict):
            shown = {k: obj[k] for k in SATISFACTION_KEYS if obj.get(k) not in (None, "", "—")}
            if shown and (any(obj.get(k) == group.grid_id for k in ("grid_id", "unit_id", "subject_id"))
                          or any(obj.get(k) in group.workers for k in ("worker_id", "subject_id"))):
                found.append(f"satisfaction fields {shown} for {group.grid_id}")
    return found
