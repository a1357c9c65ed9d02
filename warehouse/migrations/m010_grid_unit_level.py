"""Migration 10: grids are a unit level of the score tables (issue 15, finding 6).

No table or column changes: `level` is text. Only the column comments, which the data
dictionary prints, now name the grid level the engine stores next to department,
community and street.
"""

DDL = """
COMMENT ON COLUMN score_units.level IS 'department | community | street | grid';
COMMENT ON COLUMN score_indicators.level IS 'worker | department | community | street | grid';
COMMENT ON COLUMN score_adjustments.level IS 'worker | department | community | street | grid';
COMMENT ON COLUMN score_uncertainty.level IS 'worker, department, community, street or grid';
"""
