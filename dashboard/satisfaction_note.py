"""How a subject's satisfaction was estimated and how sure its grade and rank are, in words.

One function for the worker page and the printed report, so both say the same: the
estimator that gave the scored value (surveys.scored), the estimand and how far the
grid's residents move it, why a value fell back, the "statistically tied" mark, the
simultaneous rank set and the rank range under the weights alone (metrics.uncertainty).
"""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.i18n import enum_label, fmt_int, fmt_num, fmt_pct, t
from metrics.scheme import Scheme

ESTIMATOR_KEYS = ("direct", "shrinkage", "fay_herriot", "members")
NOTE_KEYS = ("too_few_units", "grid_level_only", "no_mix_model")


def scheme_settings(scheme: Scheme) -> dict[str, float]:
    """The scheme's thresholds `method_lines` quotes (tied mark, weight jitter, rank-set level)."""
    u = scheme.uncertainty
    return {"tied_below": u.tied_below, "jitter": u.weight_jitter, "rank_level": u.rank_set}


def method_section(row: dict[str, Any], lang: str, scheme: Scheme, element_id: str) -> html.Div:
    """The heading and sentences of `method_lines` as a page block (worker and unit pages)."""
    lines = method_lines(row, lang, **scheme_settings(scheme))
    if not lines:
        return html.Div(id=element_id)
    return html.Div([html.H6(t("fair.heading", lang), className="mb-1"),
                     html.Ul([html.Li(x) for x in lines], className="mb-0 small")], className="mb-3", id=element_id)


def own_grade_probability(row: dict[str, Any]) -> float | None:
    """P(the subject's own grade) under data noise, None without a grade or draws."""
    grade = row.get("grade")
    return row.get(f"p_grade_{grade}") if grade else None


def is_tied(row: dict[str, Any]) -> bool:
    """The stored "statistically tied" mark (False when the run has none)."""
    return bool(row.get("tied"))


def method_lines(row: dict[str, Any], lang: str, *, tied_below: float = 0.8, jitter: float = 0.25,
                 rank_level: float = 0.9, compact: bool = False) -> list[str]:
    """Sentences for one scored subject (a row of `metrics.results.worker_scores`).

    `compact` (the one-page score sheet): `_compact`.
    """
    if compact:
        return _compact(row, lang)
    lines: list[str] = []
    est = row.get("satisfaction_estimator")
    if est in ESTIMATOR_KEYS:
        value = row.get("satisfaction_adjusted") if row.get("satisfaction_estimand") == "mix_adjusted" else None
        value = row.get("satisfaction_population") if value is None else value
        lines.append(t("fair.used", lang, name=t(f"fair.estimator.{est}", lang),
                       value=fmt_num(value if value is not None else row.get("satisfaction_raw"), lang),
                       se=fmt_num(row.get("satisfaction_scored_se"), lang)))
    estimand = row.get("satisfaction_estimand")
    if estimand in ("population", "mix_adjusted"):
        lines.append(t(f"fair.estimand.{estimand}", lang))
    mix, pop, adj = row.get("satisfaction_mix"), row.get("satisfaction_population"), row.get("satisfaction_adjusted")
    if mix is not None and pop is not None and adj is not None:
        lines.append(t("fair.mix.words", lang, direction=t("fair.mix.up" if mix >= 0 else "fair.mix.down", lang),
                       points=fmt_num(abs(mix), lang), pop=fmt_num(pop, lang), adj=fmt_num(adj, lang)))
    note = row.get("satisfaction_note")
    if note in NOTE_KEYS:
        lines.append(t(f"fair.note.{note}", lang))
    p_own = own_grade_probability(row)
    if is_tied(row) and p_own is not None:
        lines.append(t("fair.tied", lang, grade=enum_label("grade", row.get("grade"), lang), p=fmt_pct(p_own, lang, digits=0),
                       threshold=fmt_pct(tied_below, lang, digits=0)))
    if row.get("rank_set_low") is not None and row.get("rank_set_high") is not None:
        lines.append(t("fair.rank_set", lang, level=fmt_pct(rank_level, lang, digits=0),
                       low=fmt_int(row["rank_set_low"], lang), high=fmt_int(row["rank_set_high"], lang)))
    if row.get("weight_rank_low") is not None and row.get("weight_rank_high") is not None:
        lines.append(t("fair.weights", lang, j=fmt_pct(jitter, lang, digits=0),
                       low=fmt_int(row["weight_rank_low"], lang), high=fmt_int(row["weight_rank_high"], lang)))
    return lines


def _compact(row: dict[str, Any], lang: str) -> list[str]:
    """The score sheet's version: estimator, estimand and mix in one short line, the tied mark in another."""
    est, estimand = row.get("satisfaction_estimator"), row.get("satisfaction_estimand")
    if est not in ESTIMATOR_KEYS:
        return []
    mix = row.get("satisfaction_mix")
    note = row.get("satisfaction_note")
    lines = [t("fair.compact", lang, name=t(f"fair.short.{est}", lang),
               estimand=t(f"fair.short.{estimand}", lang) if estimand in ("population", "mix_adjusted") else "—",
               mix=("+" if (mix or 0) >= 0 else "") + fmt_num(mix, lang) if mix is not None else "—",
               note=t("fair.short.fallback", lang, reason=t(f"fair.short.note.{note}", lang)) if note in NOTE_KEYS else "")]
    p_own = own_grade_probability(row)
    if is_tied(row) and p_own is not None:
        lines.append(t("fair.short.tied", lang, p=fmt_pct(p_own, lang, digits=0)))
    return lines
