"""Tables written only by the synthetic-city generator.

`synthetic_truth` keeps each generated worker's latent quality, the hidden cause of
their records, skill scores and residents' satisfaction. Tests and benchmarks read it
to check that scoring recovers the ordering; scoring code never reads it (the survey
simulator is the one other reader).
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
