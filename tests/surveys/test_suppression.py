"""Complementary suppression (A11): no single hidden figure follows from the published ones."""

from __future__ import annotations

import polars as pl

from surveys.suppression import suppressed_units

# street S1: community C1 (grids a–d), community C2 (grids e, f); street S2: community C3 (g, h)
TREE = pl.DataFrame({
    "grid_id": list("abcdefgh"),
    "community_id": ["C1"] * 4 + ["C2"] * 2 + ["C3"] * 2,
    "street_id": ["S1"] * 6 + ["S2"] * 2,
    "district_id": ["D1"] * 8,
})


def _run(respondents: dict[str, int], k: int = 5) -> dict[tuple[str, str], str]:
    grids = pl.DataFrame({"unit_id": list(respondents), "respondents": list(respondents.values())})
    out = suppressed_units(grids, TREE, k)
    return {(lv, u): why for lv, u, why in out.iter_rows()}


BIG = {"a": 40, "b": 30, "c": 20, "d": 50, "e": 25, "f": 35, "g": 30, "h": 30}


def test_suppression_nothing_small_nothing_hidden() -> None:
    assert _run(BIG) == {}


def test_suppression_one_small_grid_hides_the_next_smallest_in_its_community() -> None:
    got = _run({**BIG, "a": 3})
    assert got == {("grid", "a"): "small", ("grid", "c"): "complementary"}


def test_suppression_two_small_grids_below_k_together_hide_a_third() -> None:
    got = _run({**BIG, "a": 2, "b": 2})
    assert got == {("grid", "a"): "small", ("grid", "b"): "small", ("grid", "c"): "complementary"}


def test_suppression_two_small_grids_with_k_together_are_enough() -> None:
    assert _run({**BIG, "a": 3, "b": 4}) == {("grid", "a"): "small", ("grid", "b"): "small"}


def test_suppression_grid_without_respondents_exposes_nothing() -> None:
    assert _run({**BIG, "a": 0}) == {("grid", "a"): "small"}


def test_suppression_small_community_hides_its_street() -> None:
    """C2 has 4 respondents: S1 minus C1 would reveal C2, so S1 is hidden; D1 minus S2 would reveal S1's residue."""
    got = _run({**BIG, "e": 2, "f": 2})
    assert got[("community", "C2")] == "small"
    assert got[("street", "S1")] == "complementary"
    assert got[("district", "D1")] == "complementary"
    assert ("community", "C1") not in got and ("street", "S2") not in got
