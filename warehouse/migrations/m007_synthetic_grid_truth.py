"""Migration 7: the survey simulator's true satisfaction per grid and period (issue 19)."""

DDL = """
CREATE TABLE synthetic_grid_truth (
    grid_id VARCHAR NOT NULL,
    period_id VARCHAR NOT NULL,
    scenario VARCHAR NOT NULL,
    population INTEGER NOT NULL,
    worker_quality DOUBLE PRECISION NOT NULL,
    true_mean DOUBLE PRECISION NOT NULL,
    expected_mean DOUBLE PRECISION NOT NULL,
    adjusted_mean DOUBLE PRECISION NOT NULL,
    worker_effect DOUBLE PRECISION NOT NULL,
    mix_effect DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (grid_id, period_id)
);
COMMENT ON TABLE synthetic_grid_truth IS 'simulator''s true satisfaction per grid and period (tests and benchmarks only; scoring never reads it)';
COMMENT ON COLUMN synthetic_grid_truth.grid_id IS 'grid';
COMMENT ON COLUMN synthetic_grid_truth.period_id IS 'surveyed period';
COMMENT ON COLUMN synthetic_grid_truth.scenario IS 'resident-mix scenario of surveys.truth.SCENARIOS';
COMMENT ON COLUMN synthetic_grid_truth.population IS 'active households in the register';
COMMENT ON COLUMN synthetic_grid_truth.worker_quality IS 'latent quality of the grid worker (0 if none)';
COMMENT ON COLUMN synthetic_grid_truth.true_mean IS 'mean 0–100 score all households would give';
COMMENT ON COLUMN synthetic_grid_truth.expected_mean IS 'model expectation of true_mean given the grid''s mix';
COMMENT ON COLUMN synthetic_grid_truth.adjusted_mean IS 'expected mean with this worker at the city''s standard mix';
COMMENT ON COLUMN synthetic_grid_truth.worker_effect IS 'adjusted_mean minus that of an average worker (points)';
COMMENT ON COLUMN synthetic_grid_truth.mix_effect IS 'expected_mean minus adjusted_mean: the residents'' part (points)';
"""
