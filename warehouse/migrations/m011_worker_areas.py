"""Migration 11: `worker_areas`, the areas a worker serves beyond one grid (issue 15, finding 3).

A coordinator serves several grids of a community; the scheme takes their residents'
satisfaction from those grids. Frozen: rendered once from `warehouse/schema.py` with
`python -m warehouse.migrations.render worker_areas`.
"""

DDL = """
CREATE TABLE worker_areas (
    worker_id VARCHAR NOT NULL,
    unit_id VARCHAR NOT NULL,
    batch_id VARCHAR,
    PRIMARY KEY (worker_id, unit_id)
);
COMMENT ON TABLE worker_areas IS 'areas a worker serves beyond a single grid (e.g. a coordinator''s grids); the scheme''s role rules take the worker''s satisfaction from their residents';
COMMENT ON COLUMN worker_areas.worker_id IS 'worker';
COMMENT ON COLUMN worker_areas.unit_id IS 'org unit (grid, community, street or district) whose residents the worker serves';
COMMENT ON COLUMN worker_areas.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
"""
