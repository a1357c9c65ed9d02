"""Migration 9: which satisfaction estimate scored, rank sets and the tied mark (issue 19).

score_runs records the scheme's estimator and estimand; worker and unit scores the
estimator actually used, the scored value's own error, the population and mix-adjusted
values; score_uncertainty the simultaneous rank sets, the weight-sensitivity rank range
and the statistically-tied mark.
"""

DDL = """
ALTER TABLE score_runs ADD COLUMN satisfaction_estimator VARCHAR;
ALTER TABLE score_runs ADD COLUMN satisfaction_estimand VARCHAR;
COMMENT ON COLUMN score_runs.satisfaction_estimator IS 'the scheme''s satisfaction estimator: direct | shrinkage | fay_herriot';
COMMENT ON COLUMN score_runs.satisfaction_estimand IS 'the scheme''s satisfaction estimand: population | mix_adjusted';
ALTER TABLE score_workers ADD COLUMN satisfaction_scored_se DOUBLE PRECISION;
ALTER TABLE score_workers ADD COLUMN satisfaction_estimator VARCHAR;
ALTER TABLE score_workers ADD COLUMN satisfaction_estimand VARCHAR;
ALTER TABLE score_workers ADD COLUMN satisfaction_note VARCHAR;
ALTER TABLE score_workers ADD COLUMN satisfaction_population DOUBLE PRECISION;
ALTER TABLE score_workers ADD COLUMN satisfaction_adjusted DOUBLE PRECISION;
ALTER TABLE score_workers ADD COLUMN satisfaction_mix DOUBLE PRECISION;
COMMENT ON COLUMN score_workers.satisfaction_scored_se IS 'error of the scored satisfaction value (the estimator''s own SE / √MSE; the Monte Carlo draws from it)';
COMMENT ON COLUMN score_workers.satisfaction_estimator IS 'estimator that gave the scored value: direct | shrinkage | fay_herriot | members (a unit without its own estimate)';
COMMENT ON COLUMN score_workers.satisfaction_estimand IS 'population (the grid''s population mean) | mix_adjusted (at the city''s standard resident mix)';
COMMENT ON COLUMN score_workers.satisfaction_note IS 'why the scheme''s estimator or estimand fell back (too_few_units, grid_level_only, no_mix_model)';
COMMENT ON COLUMN score_workers.satisfaction_population IS 'the estimator''s population mean (what residents feel)';
COMMENT ON COLUMN score_workers.satisfaction_adjusted IS 'the estimator''s mix-adjusted value (at the city''s standard resident mix)';
COMMENT ON COLUMN score_workers.satisfaction_mix IS 'points the residents'' mix moves the value: population − adjusted';
ALTER TABLE score_units ADD COLUMN satisfaction_scored_se DOUBLE PRECISION;
ALTER TABLE score_units ADD COLUMN satisfaction_estimator VARCHAR;
ALTER TABLE score_units ADD COLUMN satisfaction_estimand VARCHAR;
ALTER TABLE score_units ADD COLUMN satisfaction_note VARCHAR;
ALTER TABLE score_units ADD COLUMN satisfaction_population DOUBLE PRECISION;
ALTER TABLE score_units ADD COLUMN satisfaction_adjusted DOUBLE PRECISION;
ALTER TABLE score_units ADD COLUMN satisfaction_mix DOUBLE PRECISION;
COMMENT ON COLUMN score_units.satisfaction_scored_se IS 'error of the scored satisfaction value (the estimator''s own SE / √MSE; the Monte Carlo draws from it)';
COMMENT ON COLUMN score_units.satisfaction_estimator IS 'estimator that gave the scored value: direct | shrinkage | fay_herriot | members (a unit without its own estimate)';
COMMENT ON COLUMN score_units.satisfaction_estimand IS 'population (the grid''s population mean) | mix_adjusted (at the city''s standard resident mix)';
COMMENT ON COLUMN score_units.satisfaction_note IS 'why the scheme''s estimator or estimand fell back (too_few_units, grid_level_only, no_mix_model)';
COMMENT ON COLUMN score_units.satisfaction_population IS 'the estimator''s population mean (what residents feel)';
COMMENT ON COLUMN score_units.satisfaction_adjusted IS 'the estimator''s mix-adjusted value (at the city''s standard resident mix)';
COMMENT ON COLUMN score_units.satisfaction_mix IS 'points the residents'' mix moves the value: population − adjusted';
ALTER TABLE score_uncertainty ADD COLUMN rank_set_low DOUBLE PRECISION;
ALTER TABLE score_uncertainty ADD COLUMN rank_set_high DOUBLE PRECISION;
ALTER TABLE score_uncertainty ADD COLUMN weight_rank_low DOUBLE PRECISION;
ALTER TABLE score_uncertainty ADD COLUMN weight_rank_high DOUBLE PRECISION;
ALTER TABLE score_uncertainty ADD COLUMN tied BOOLEAN;
COMMENT ON COLUMN score_uncertainty.rank_set_low IS 'simultaneous rank confidence set, best rank (csranks; data noise only)';
COMMENT ON COLUMN score_uncertainty.rank_set_high IS 'simultaneous rank confidence set, worst rank';
COMMENT ON COLUMN score_uncertainty.weight_rank_low IS 'best rank under the scheme''s weight jitter alone (weight sensitivity)';
COMMENT ON COLUMN score_uncertainty.weight_rank_high IS 'worst rank under the scheme''s weight jitter alone';
COMMENT ON COLUMN score_uncertainty.tied IS 'statistically tied: P(own grade) from data noise below the scheme''s tied_below';
"""
