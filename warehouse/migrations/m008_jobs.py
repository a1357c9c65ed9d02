"""Migration 8: the `jobs` table of the server's job runner (issue 16).

One row per job that `gridscore serve` runs for the CLI, the API or the dashboard:
kind, parameters, who, state, progress, message, result. Frozen: rendered once from
`warehouse/schema_jobs.py` with `python -m warehouse.migrations.render jobs`.
"""

DDL = """
CREATE TABLE jobs (
    job_id INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    params VARCHAR NOT NULL,
    who VARCHAR NOT NULL,
    writes BOOLEAN NOT NULL,
    state VARCHAR NOT NULL,
    progress_done DOUBLE PRECISION DEFAULT 0 NOT NULL,
    progress_total DOUBLE PRECISION,
    progress_unit VARCHAR,
    message VARCHAR,
    result VARCHAR,
    result_file VARCHAR,
    cancel_requested BOOLEAN DEFAULT false NOT NULL,
    submitted_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    started_at TIMESTAMP WITHOUT TIME ZONE,
    ended_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (job_id)
);
COMMENT ON TABLE jobs IS 'office work run by the server as jobs: state, progress, outcome';
COMMENT ON COLUMN jobs.job_id IS 'job number, 1, 2, … in order of submission';
COMMENT ON COLUMN jobs.kind IS 'what the job does: ingest | score | report | …';
COMMENT ON COLUMN jobs.params IS 'the job''s parameters (JSON object)';
COMMENT ON COLUMN jobs.who IS 'who submitted it (account, or the OS user of a local CLI)';
COMMENT ON COLUMN jobs.writes IS 'it writes to the database (runs one at a time, in order)';
COMMENT ON COLUMN jobs.state IS 'queued | running | done | failed | cancelled | interrupted';
COMMENT ON COLUMN jobs.progress_done IS 'units of work done so far';
COMMENT ON COLUMN jobs.progress_total IS 'units of work in all (NULL: not known yet)';
COMMENT ON COLUMN jobs.progress_unit IS 'what is counted: files, steps, percent …';
COMMENT ON COLUMN jobs.message IS 'the current step or the outcome, in plain words';
COMMENT ON COLUMN jobs.result IS 'the outcome (JSON) once done';
COMMENT ON COLUMN jobs.result_file IS 'file written for download (report, export), if any';
COMMENT ON COLUMN jobs.cancel_requested IS 'someone asked to cancel it';
COMMENT ON COLUMN jobs.submitted_at IS 'when it was submitted (UTC)';
COMMENT ON COLUMN jobs.started_at IS 'when it started running (UTC)';
COMMENT ON COLUMN jobs.ended_at IS 'when it finished, failed, was cancelled or interrupted (UTC)';
"""
