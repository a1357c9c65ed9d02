"""The reason codes scores are stored with: the one declaration docs, views and tests read.

Stored rows carry short codes, never sentences, so they stay the same in every language;
the dashboard's catalogue (`dashboard.i18n.reason_label`) turns each into words, and a test
fails when a declared code has no words or a page shows a code. Where each code lives:

- `score_workers.ineligible_reason` / `score_units.ineligible_reason`: why a subject is
  "scored, not ranked" (B9), several codes joined by `REASON_SEPARATOR` in the order
  below; `in_post_lt_<n>m` carries the scheme's `min_months_in_post` (e.g. 6).
- `<pillar>_reason`: why a pillar is missing (B6): an item's missing reason when no item
  of the pillar was observed, else `coverage_below_threshold`.
- `score_indicators.missing_reason`: why an item is missing.
- `grade_reason`: what decided the grade (B7, B8): `band`, `quota`, `veto <veto_id>` (failed
  by the veto) or `veto cap <veto_id>` (capped by it).
"""

from __future__ import annotations

import re

REASON_SEPARATOR = ";"
"""Joins several codes in one stored field (`in_post_lt_6m;satisfaction_missing`)."""

IN_POST_PATTERN = re.compile(r"^in_post_lt_(\d+(?:\.\d+)?)m$")
"""`in_post_lt_<n>m`: in post fewer than n months at the period end (n from the scheme)."""

INELIGIBLE_REASONS: dict[str, str] = {
    "in_post_lt_<n>m": "in post fewer than n months at the period end (B9; n = eligibility.min_months_in_post)",
    "results_missing": "the work results pillar is missing (see results_reason)",
    "skills_missing": "the job skills pillar is missing (see skills_reason)",
    "satisfaction_missing": "the satisfaction pillar is missing (see satisfaction_reason)",
    "survey_n_lt_min": "fewer survey respondents than eligibility.survey_n_min",
    "reliability_lt_min": "grid survey reliability below eligibility.min_reliability",
    "pending_appeal": "a veto against the subject is under appeal (status appealed)",
    "vetoed": "a confirmed veto of severity fail",
}
"""Codes of `ineligible_reason`, in the order they are joined."""

MISSING_REASONS: dict[str, str] = {
    "no_workload": "the indicator's denominator is zero for the period",
    "no_assessment": "no skill assessment in the period",
    "no_survey": "the grid has no survey estimate for the period (no sample or no answers)",
    "suppressed_small": "the grid's survey estimate is suppressed: fewer than k respondents (A11)",
    "suppressed_complementary": "the grid's survey estimate is suppressed as complementary (A11)",
    "coverage_below_threshold": "the observed items' weight share is below the pillar's min_coverage",
}
"""Codes of `score_indicators.missing_reason` and `<pillar>_reason`."""

GRADE_REASONS: dict[str, str] = {
    "band": "the grade band holding the rounded total",
    "quota": "moved down one grade by the top-grade quota",
    "veto <veto_id>": "failed by that veto (severity fail: 不合格)",
    "veto cap <veto_id>": "capped by that veto (severity grade_cap or no_award: at best the scheme's cap grade)",
}
"""Forms of `grade_reason`."""


def split_reasons(value: str | None) -> list[str]:
    """The codes of a stored reason field (empty for None).

    Examples:
        >>> split_reasons("in_post_lt_6m;satisfaction_missing")
        ['in_post_lt_6m', 'satisfaction_missing']
    """
    return [c for c in (value or "").split(REASON_SEPARATOR) if c]


def declared(code: str) -> bool:
    """True when `code` is a declared reason code (the in-post form with any n)."""
    return (code in INELIGIBLE_REASONS or code in MISSING_REASONS or code in GRADE_REASONS
            or bool(IN_POST_PATTERN.match(code)) or code.startswith("veto "))
