"""The pillar kinds of the total: the one declaration every layer reads.

A score is the sum of three pillars (the 4:1:5 rule of the default scheme). Their keys
are part of the stored schema — `score_workers` and `score_units` hold a column set per
pillar (`<key>`, `<key>_coverage`, `<key>_reason`, `<key>_points`) — so they are fixed
kinds, declared here once: key, where its value comes from, default weight, names and
the colour the dashboard draws it in. A scheme may set each pillar's weight, names and
items, but it cannot invent a pillar or leave one out (`metrics.scheme` refuses both,
naming the key). It lives in the lowest layer because the warehouse schema needs the keys.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PillarKind:
    """A fixed pillar kind.

    Attributes:
        key: the stored column name and the scheme's `[pillars.<key>]` table.
        source: where the pillar's value comes from (indicators, skill_assessments, survey).
        weight: the default weight out of a 100-point cap (the scheme may change it).
        name_zh / name_en: the short names column headers show (the scheme names it in full).
        colour: the colour the dashboard draws the pillar in.
    """

    key: str
    source: str
    weight: float
    name_zh: str
    name_en: str
    colour: str


PILLAR_KINDS: tuple[PillarKind, ...] = (
    PillarKind("results", "indicators", 40.0, "工作实绩", "Work results", "#0969da"),
    PillarKind("skills", "skill_assessments", 10.0, "业务技能", "Job skills", "#8250df"),
    PillarKind("satisfaction", "survey", 50.0, "群众满意度", "Satisfaction", "#1a7f37"),
)

PILLAR_KEYS: tuple[str, ...] = tuple(k.key for k in PILLAR_KINDS)
"""The pillar keys in their fixed order: ('results', 'skills', 'satisfaction')."""

DEFAULT_WEIGHTS: dict[str, float] = {k.key: k.weight for k in PILLAR_KINDS}
"""Default weight of each pillar: {'results': 40.0, 'skills': 10.0, 'satisfaction': 50.0}."""


def pillar_kind(key: str) -> PillarKind:
    """The declared pillar kind `key`.

    Examples:
        >>> pillar_kind("skills").source
        'skill_assessments'

    Raises:
        KeyError: `key` is not a declared pillar kind.
    """
    for kind in PILLAR_KINDS:
        if kind.key == key:
            return kind
    raise KeyError(f"unknown pillar {key!r} (allowed: {', '.join(PILLAR_KEYS)})")
