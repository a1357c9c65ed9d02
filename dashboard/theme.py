"""Colours used everywhere in the dashboard: grades always look the same."""

from __future__ import annotations

from warehouse.pillars import PILLAR_KINDS

GRADE_ORDER: tuple[str, ...] = ("excellent", "good", "pass", "fail")

GRADE_COLOURS: dict[str, str] = {
    "excellent": "#1a7f37",
    "good": "#2f81f7",
    "pass": "#d4a72c",
    "fail": "#cf222e",
}

PILLAR_COLOURS: dict[str, str] = {
    **{k.key: k.colour for k in PILLAR_KINDS},  # the pillars' own colours (warehouse.pillars)
    "deductions": "#cf222e",
    "bonus": "#2da44e",
    "veto": "#6e7781",
}

NEUTRAL = "#57606a"
NOT_RANKED_COLOUR = "#afb8c1"  # scored, not ranked: no grade, so no grade colour
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'


def grade_colour(grade: str | None) -> str:
    """Colour of a grade code; neutral grey for none/unknown."""
    return GRADE_COLOURS.get(grade or "", NEUTRAL)
