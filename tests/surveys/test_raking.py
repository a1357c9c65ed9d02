"""Raking of respondent weights to register margins (surveys.raking): hand case, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.raking import rake, raked_means


def test_raking_hand_worked_example() -> None:
    # methodology A15: one elderly respondent of four, 50 of 100 households elderly
    w = rake(np.zeros(4, dtype=int), np.array([[1], [0], [0], [0]]), np.array([[50.0]]), np.array([100.0]))
    assert w.tolist() == pytest.approx([50.0, 50 / 3, 50 / 3, 50 / 3])
    assert raked_means(np.zeros(4, dtype=int), np.array([100.0, 40, 40, 40]), w, 1).tolist() == pytest.approx([70.0])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), grids=st.integers(1, 6))
def test_raked_weights_match_every_margin_when_untrimmed(seed: int, grids: int) -> None:
    rng = np.random.default_rng(seed)
    r = rng.integers(25, 60, grids)
    g = np.repeat(np.arange(grids), r)
    traits = (rng.random((len(g), 3)) < np.array([0.3, 0.1, 0.4])).astype(float)
    pop = rng.integers(300, 600, grids).astype(float)
    # register shares near the sample's, so no trimming binds
    share = np.stack([np.bincount(g, weights=traits[:, v], minlength=grids) / r for v in range(3)], axis=1)
    targets = np.clip(share + rng.uniform(-0.03, 0.03, share.shape), 0.01, 0.99) * pop[:, None]
    targets = np.where((share > 0) & (share < 1), targets, share * pop[:, None])  # a category nobody answered from
    w = rake(g, traits, targets, pop, low=0.01, high=100, iterations=500, tol=1e-10)
    got = np.stack([np.bincount(g, weights=w * traits[:, v], minlength=grids) for v in range(3)], axis=1)
    assert got == pytest.approx(targets, abs=1e-6)
    assert np.bincount(g, weights=w, minlength=grids) == pytest.approx(pop, rel=1e-9)
    assert (w > 0).all()


def test_raking_trims_and_skips_an_unmatched_category() -> None:
    g = np.zeros(10, dtype=int)
    traits = np.zeros((10, 2))
    traits[0, 0] = 1  # one elderly respondent; the register says 90 % elderly
    w = rake(g, traits, np.array([[90.0, 5.0]]), np.array([100.0]))  # nobody low-income answered
    base = 10.0
    assert w.max() <= 3 * base + 1e-9 and w.min() >= 0.3 * base - 1e-9
    assert np.isfinite(w).all()
