"""Validated ingest of CSV, Excel and Parquet files (see docs/ingest.md).

Public API:
    ingest_file(db, kind, path) -> IngestResult
    read_tabular(path, spec) -> pl.DataFrame     (all-text columns + row_number)
    get_spec(kind) -> KindSpec, KINDS, SPECS, ColumnSpec, KindSpec, ForeignKey, RowCheck
"""

from __future__ import annotations

from warehouse.ingest.load import IngestResult, ingest_file
from warehouse.ingest.read import map_headers, normalise_header, read_tabular
from warehouse.ingest.specs import (
    KINDS,
    SPECS,
    ColumnSpec,
    ForeignKey,
    KindSpec,
    RowCheck,
    get_spec,
)

__all__ = [
    "KINDS",
    "SPECS",
    "ColumnSpec",
    "ForeignKey",
    "IngestResult",
    "KindSpec",
    "RowCheck",
    "get_spec",
    "ingest_file",
    "map_headers",
    "normalise_header",
    "read_tabular",
]
