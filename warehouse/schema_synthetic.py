"""Tables written only by the synthetic-city generator.

`synthetic_truth` keeps each generated worker's latent quality, the hidden cause of
their records, skill scores and residents' satisfaction. Tests and benchmarks read it
to check that scoring recovers the ordering; scoring code never reads it (the survey
simulator is the one other reader).

`synthetic_grid_truth` keeps, per grid and period the simulator surveyed, the true
population mean satisfaction and the worker's own effect (`surveys.truth`), so the
fairness harness can measure how close the estimators come to the truth.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.schema import metadata

synthetic_truth = sa.Table(
    "synthetic_truth",
    metadata,
    sa.Column("worker_id", sa.String, primary_key=True, comment="generated worker"),
    sa.Column(
        "quality",
        sa.Double,
        nullable=False,
        comment="latent quality, standard normal (higher = better); drives the worker's records",
    ),
    comment="generator's hidden truth per worker (tests and benchmarks only; scoring never reads it)",
)

SYNTHETIC_TABLES = [synthetic_truth]

synthetic_grid_truth = sa.Table(
    "synthetic_grid_truth",
    metadata,
    sa.Column("grid_id", sa.String, primary_key=True, comment="grid"),
    sa.Column("period_id", sa.String, primary_key=True, comment="surveyed period"),
    sa.Column("scenario", sa.String, nullable=False, comment="resident-mix scenario of surveys.truth.SCENARIOS"),
    sa.Column("population", sa.Integer, nullable=False, comment="active households in the register"),
    sa.Column("worker_quality", sa.Double, nullable=False, comment="latent quality of the grid worker (0 if none)"),
    sa.Column("true_mean", sa.Double, nullable=False, comment="mean 0–100 score all households would give"),
    sa.Column("expected_mean", sa.Double, nullable=False, comment="model expectation of true_mean given the grid's mix"),
    sa.Column("adjusted_mean", sa.Double, nullable=False, comment="expected mean with this worker at the city's standard mix"),
    sa.Column("worker_effect", sa.Double, nullable=False, comment="adjusted_mean minus that of an average worker (points)"),
    sa.Column("mix_effect", sa.Double, nullable=False, comment="expected_mean minus adjusted_mean: the residents' part (points)"),
    comment="simulator's true satisfaction per grid and period (tests and benchmarks only; scoring never reads it)",
)

