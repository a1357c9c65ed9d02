"""Migration 6, the frozen baseline: the whole schema as it stood at version 6.

Until version 6 the migrations called `metadata.create_all` with the live table
definitions, so "the schema at version N" was whatever the code said that day. This
file replaces m001-m006: its DDL was generated once from those definitions (the
statements `create_all` ran for m001 core, m002 surveys, m003 scoring, m004 auth,
m005 synthetic and m006 survey_salts, in that order) and is plain text from now on.
Never edit it: its checksum is stored in every database and verified at open. A
database whose ledger still holds the six create_all-era rows is re-recorded once as
this baseline (`warehouse.migrations.legacy`). Changes go into a new `mNNN_name.py`
(docs/migrations.md).
"""

DDL = r"""
CREATE TABLE org_units (
    unit_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    name_en VARCHAR,
    level VARCHAR NOT NULL,
    parent_id VARCHAR,
    batch_id VARCHAR,
    PRIMARY KEY (unit_id)
);
COMMENT ON TABLE org_units IS 'administrative tree: district → street → community → grid';
COMMENT ON COLUMN org_units.unit_id IS 'unit code, e.g. D01-S02-C03-G04';
COMMENT ON COLUMN org_units.name IS 'Chinese name';
COMMENT ON COLUMN org_units.name_en IS 'English name (optional)';
COMMENT ON COLUMN org_units.level IS 'district | street | community | grid';
COMMENT ON COLUMN org_units.parent_id IS 'parent unit (NULL for a district)';
COMMENT ON COLUMN org_units.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE departments (
    dept_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    name_en VARCHAR,
    kind VARCHAR NOT NULL,
    unit_id VARCHAR,
    batch_id VARCHAR,
    PRIMARY KEY (dept_id)
);
COMMENT ON TABLE departments IS 'departments and units assessed on their own tasks and their area';
COMMENT ON COLUMN departments.dept_id IS 'department code';
COMMENT ON COLUMN departments.name IS 'Chinese name';
COMMENT ON COLUMN departments.name_en IS 'English name';
COMMENT ON COLUMN departments.kind IS 'functional | street_office | community';
COMMENT ON COLUMN departments.unit_id IS 'org unit the department serves (its area)';
COMMENT ON COLUMN departments.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE workers (
    worker_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    grid_id VARCHAR,
    dept_id VARCHAR,
    in_post_from DATE NOT NULL,
    in_post_to DATE,
    batch_id VARCHAR,
    PRIMARY KEY (worker_id)
);
COMMENT ON TABLE workers IS 'people assessed: grid workers, police, coordinators, staff';
COMMENT ON COLUMN workers.worker_id IS 'worker code';
COMMENT ON COLUMN workers.name IS 'name';
COMMENT ON COLUMN workers.role IS 'grid_worker | grid_head | grid_police | coordinator | community_staff | department_staff';
COMMENT ON COLUMN workers.grid_id IS 'grid the worker is responsible for (org unit of level grid)';
COMMENT ON COLUMN workers.dept_id IS 'department the worker belongs to';
COMMENT ON COLUMN workers.in_post_from IS 'first day in post';
COMMENT ON COLUMN workers.in_post_to IS 'last day in post (NULL: still in post)';
COMMENT ON COLUMN workers.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE households (
    household_id VARCHAR NOT NULL,
    grid_id VARCHAR NOT NULL,
    size INTEGER NOT NULL,
    tags VARCHAR,
    registered_on DATE,
    active BOOLEAN DEFAULT true NOT NULL,
    batch_id VARCHAR,
    PRIMARY KEY (household_id)
);
COMMENT ON TABLE households IS 'household register (the survey frame); no contact details here';
COMMENT ON COLUMN households.household_id IS 'household code';
COMMENT ON COLUMN households.grid_id IS 'grid of the household';
COMMENT ON COLUMN households.size IS 'number of residents (1–20)';
COMMENT ON COLUMN households.tags IS 'comma-separated tags: elderly, floating, key_person, low_income, disabled';
COMMENT ON COLUMN households.registered_on IS 'date entered in the register';
COMMENT ON COLUMN households.active IS 'still in the register';
COMMENT ON COLUMN households.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE household_identities (
    household_id VARCHAR NOT NULL,
    contact_name VARCHAR,
    phone VARCHAR,
    address VARCHAR,
    batch_id VARCHAR,
    PRIMARY KEY (household_id)
);
COMMENT ON TABLE household_identities IS 'contact details, kept apart: only the survey team''s token file reads them; scoring never does';
COMMENT ON COLUMN household_identities.household_id IS 'household code';
COMMENT ON COLUMN household_identities.contact_name IS 'contact person';
COMMENT ON COLUMN household_identities.phone IS 'phone number';
COMMENT ON COLUMN household_identities.address IS 'address';
COMMENT ON COLUMN household_identities.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE periods (
    period_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    batch_id VARCHAR,
    PRIMARY KEY (period_id)
);
COMMENT ON TABLE periods IS 'assessment periods';
COMMENT ON COLUMN periods.period_id IS 'period code, e.g. 2025, 2025H1, 2025Q3';
COMMENT ON COLUMN periods.kind IS 'year | half | quarter | month';
COMMENT ON COLUMN periods.starts_on IS 'first day';
COMMENT ON COLUMN periods.ends_on IS 'last day (inclusive)';
COMMENT ON COLUMN periods.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE work_records (
    record_id VARCHAR NOT NULL,
    worker_id VARCHAR NOT NULL,
    grid_id VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    opened_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    due_at TIMESTAMP WITHOUT TIME ZONE,
    closed_at TIMESTAMP WITHOUT TIME ZONE,
    status VARCHAR NOT NULL,
    outcome VARCHAR,
    warning_level VARCHAR,
    source VARCHAR,
    verified BOOLEAN,
    household_id VARCHAR,
    batch_id VARCHAR
);
COMMENT ON TABLE work_records IS 'the work the indicators are computed from';
COMMENT ON COLUMN work_records.record_id IS 'natural key from the source system';
COMMENT ON COLUMN work_records.worker_id IS 'worker who owns the record';
COMMENT ON COLUMN work_records.grid_id IS 'grid where the work happened';
COMMENT ON COLUMN work_records.type IS 'visit | dispute | dispute_screening | hazard_report | service_errand | petition | hotline | key_person_followup | drill | meeting';
COMMENT ON COLUMN work_records.opened_at IS 'opened / received';
COMMENT ON COLUMN work_records.due_at IS 'promised or required completion time';
COMMENT ON COLUMN work_records.closed_at IS 'closed (NULL while open); ≥ opened_at';
COMMENT ON COLUMN work_records.status IS 'open | closed | cancelled';
COMMENT ON COLUMN work_records.outcome IS 'success | partial | failed | referred (closed records)';
COMMENT ON COLUMN work_records.warning_level IS 'red | yellow | blue (disputes: impact and urgency)';
COMMENT ON COLUMN work_records.source IS 'patrol | resident | hotline | assigned | inspection';
COMMENT ON COLUMN work_records.verified IS 'confirmed by a supervisor''s spot check (NULL: not checked)';
COMMENT ON COLUMN work_records.household_id IS 'household concerned (visits, errands)';
COMMENT ON COLUMN work_records.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE skill_assessments (
    assessment_id VARCHAR NOT NULL,
    worker_id VARCHAR NOT NULL,
    period_id VARCHAR NOT NULL,
    item VARCHAR NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    max_score DOUBLE PRECISION NOT NULL,
    rater VARCHAR,
    assessed_on DATE,
    batch_id VARCHAR,
    PRIMARY KEY (assessment_id)
);
COMMENT ON TABLE skill_assessments IS 'job-skill scores (exams and panel ratings)';
COMMENT ON COLUMN skill_assessments.assessment_id IS 'natural key';
COMMENT ON COLUMN skill_assessments.worker_id IS 'worker assessed';
COMMENT ON COLUMN skill_assessments.period_id IS 'period';
COMMENT ON COLUMN skill_assessments.item IS 'skill item, e.g. policy exam, mediation practice, system use';
COMMENT ON COLUMN skill_assessments.score IS 'score awarded, 0 ≤ score ≤ max_score';
COMMENT ON COLUMN skill_assessments.max_score IS 'full marks of the item (> 0)';
COMMENT ON COLUMN skill_assessments.rater IS 'rater (panel member) or ''exam''';
COMMENT ON COLUMN skill_assessments.assessed_on IS 'date of the assessment';
COMMENT ON COLUMN skill_assessments.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE inspections (
    inspection_id VARCHAR NOT NULL,
    unit_id VARCHAR,
    worker_id VARCHAR,
    kind VARCHAR NOT NULL,
    inspected_on DATE NOT NULL,
    finding VARCHAR NOT NULL,
    deduction DOUBLE PRECISION NOT NULL,
    rectify_by DATE,
    rectified_at DATE,
    batch_id VARCHAR,
    PRIMARY KEY (inspection_id)
);
COMMENT ON TABLE inspections IS 'supervision findings with deductions and rectification deadlines';
COMMENT ON COLUMN inspections.inspection_id IS 'natural key';
COMMENT ON COLUMN inspections.unit_id IS 'org unit inspected';
COMMENT ON COLUMN inspections.worker_id IS 'worker held responsible (if any)';
COMMENT ON COLUMN inspections.kind IS 'open | covert | spot_check (明察暗访, 抽查)';
COMMENT ON COLUMN inspections.inspected_on IS 'date';
COMMENT ON COLUMN inspections.finding IS 'what was found';
COMMENT ON COLUMN inspections.deduction IS 'points deducted (≥ 0)';
COMMENT ON COLUMN inspections.rectify_by IS 'deadline to rectify (限期整改); ≥ inspected_on';
COMMENT ON COLUMN inspections.rectified_at IS 'date rectified (NULL: not yet)';
COMMENT ON COLUMN inspections.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE complaints (
    complaint_id VARCHAR NOT NULL,
    worker_id VARCHAR,
    unit_id VARCHAR,
    received_on DATE NOT NULL,
    channel VARCHAR NOT NULL,
    valid BOOLEAN NOT NULL,
    resolved BOOLEAN,
    summary VARCHAR,
    batch_id VARCHAR,
    PRIMARY KEY (complaint_id)
);
COMMENT ON TABLE complaints IS 'complaints; valid ones lead to deductions';
COMMENT ON COLUMN complaints.complaint_id IS 'natural key';
COMMENT ON COLUMN complaints.worker_id IS 'worker concerned';
COMMENT ON COLUMN complaints.unit_id IS 'unit concerned';
COMMENT ON COLUMN complaints.received_on IS 'date received';
COMMENT ON COLUMN complaints.channel IS 'hotline | letter | visit | online';
COMMENT ON COLUMN complaints.valid IS 'found valid (有效投诉) after review';
COMMENT ON COLUMN complaints.resolved IS 'resolved';
COMMENT ON COLUMN complaints.summary IS 'free-text summary (rendered as text only)';
COMMENT ON COLUMN complaints.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE bonus_events (
    bonus_id VARCHAR NOT NULL,
    worker_id VARCHAR,
    unit_id VARCHAR,
    period_id VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    points DOUBLE PRECISION NOT NULL,
    evidence VARCHAR NOT NULL,
    approved_by VARCHAR NOT NULL,
    event_on DATE,
    batch_id VARCHAR,
    PRIMARY KEY (bonus_id)
);
COMMENT ON TABLE bonus_events IS 'bonus (加分) events with evidence and approver';
COMMENT ON COLUMN bonus_events.bonus_id IS 'natural key';
COMMENT ON COLUMN bonus_events.worker_id IS 'worker rewarded';
COMMENT ON COLUMN bonus_events.unit_id IS 'unit rewarded';
COMMENT ON COLUMN bonus_events.period_id IS 'period';
COMMENT ON COLUMN bonus_events.category IS 'bonus category from the scheme';
COMMENT ON COLUMN bonus_events.points IS 'points (> 0)';
COMMENT ON COLUMN bonus_events.evidence IS 'evidence reference';
COMMENT ON COLUMN bonus_events.approved_by IS 'approver';
COMMENT ON COLUMN bonus_events.event_on IS 'date';
COMMENT ON COLUMN bonus_events.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE veto_events (
    veto_id VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    subject_id VARCHAR NOT NULL,
    period_id VARCHAR NOT NULL,
    event_on DATE,
    evidence VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    batch_id VARCHAR,
    PRIMARY KEY (veto_id)
);
COMMENT ON TABLE veto_events IS 'one-vote veto (一票否决) events';
COMMENT ON COLUMN veto_events.veto_id IS 'natural key';
COMMENT ON COLUMN veto_events.category IS 'veto category from the scheme';
COMMENT ON COLUMN veto_events.scope IS 'worker | grid | community | department';
COMMENT ON COLUMN veto_events.subject_id IS 'worker_id, unit_id or dept_id, by scope';
COMMENT ON COLUMN veto_events.period_id IS 'period';
COMMENT ON COLUMN veto_events.event_on IS 'date of the incident';
COMMENT ON COLUMN veto_events.evidence IS 'evidence reference / description';
COMMENT ON COLUMN veto_events.severity IS 'fail | grade_cap | no_award';
COMMENT ON COLUMN veto_events.status IS 'proposed | confirmed | appealed | upheld | overturned';
COMMENT ON COLUMN veto_events.batch_id IS 'ingest batch that loaded the row (NULL: generated)';
CREATE TABLE ingest_batches (
    batch_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    loaded_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (batch_id)
);
COMMENT ON TABLE ingest_batches IS 'one row per ingested file';
COMMENT ON COLUMN ingest_batches.batch_id IS 'sha256 of kind and file content';
COMMENT ON COLUMN ingest_batches.kind IS 'entity kind ingested';
COMMENT ON COLUMN ingest_batches.file_name IS 'file name as given';
COMMENT ON COLUMN ingest_batches.file_hash IS 'sha256 of the file bytes';
COMMENT ON COLUMN ingest_batches.rows_read IS 'data rows read';
COMMENT ON COLUMN ingest_batches.rows_accepted IS 'rows stored (or already present)';
COMMENT ON COLUMN ingest_batches.rows_rejected IS 'rows sent to ingest_rejects';
COMMENT ON COLUMN ingest_batches.loaded_at IS 'when the batch committed';
CREATE TABLE ingest_rejects (
    batch_id VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    row_number INTEGER NOT NULL,
    column_name VARCHAR,
    value VARCHAR,
    reason VARCHAR NOT NULL
);
COMMENT ON TABLE ingest_rejects IS 'rows refused by ingest, with the reason';
COMMENT ON COLUMN ingest_rejects.batch_id IS 'ingest batch';
COMMENT ON COLUMN ingest_rejects.file_name IS 'file name';
COMMENT ON COLUMN ingest_rejects.row_number IS '1-based data row number (header excluded)';
COMMENT ON COLUMN ingest_rejects.column_name IS 'column at fault (NULL: whole row)';
COMMENT ON COLUMN ingest_rejects.value IS 'offending value as text';
COMMENT ON COLUMN ingest_rejects.reason IS 'why the row was refused';
CREATE TABLE survey_designs (
    design_id VARCHAR NOT NULL,
    period_id VARCHAR NOT NULL,
    seed BIGINT NOT NULL,
    method VARCHAR NOT NULL,
    margin_kind VARCHAR NOT NULL,
    target_margin DOUBLE PRECISION NOT NULL,
    assumed_sd DOUBLE PRECISION NOT NULL,
    assumed_p DOUBLE PRECISION NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    response_rate DOUBLE PRECISION NOT NULL,
    exclude_last_k INTEGER NOT NULL,
    questionnaire_version VARCHAR NOT NULL,
    expires_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (design_id)
);
COMMENT ON TABLE survey_designs IS 'one row per drawn sample: how it was drawn (A1, A2), so it can be reproduced and audited';
COMMENT ON COLUMN survey_designs.design_id IS 'design code: ''<period>-s<seed>''';
COMMENT ON COLUMN survey_designs.period_id IS 'assessment period surveyed';
COMMENT ON COLUMN survey_designs.seed IS 'seed of the random draw (recorded so it can be re-drawn)';
COMMENT ON COLUMN survey_designs.method IS 'sampling method, ''srswor_by_grid'' (stratified SRSWOR, stratum = grid)';
COMMENT ON COLUMN survey_designs.margin_kind IS '''mean'' (score points) or ''proportion'' (share satisfied): what the margin refers to';
COMMENT ON COLUMN survey_designs.target_margin IS 'target half-width e of the 95 % interval (points for ''mean'', fraction for ''proportion'')';
COMMENT ON COLUMN survey_designs.assumed_sd IS 'assumed standard deviation σ of the 0–100 score (A1, mean)';
COMMENT ON COLUMN survey_designs.assumed_p IS 'assumed proportion p (A1, proportion)';
COMMENT ON COLUMN survey_designs.confidence IS 'confidence level of the target interval (0.95)';
COMMENT ON COLUMN survey_designs.response_rate IS 'expected response rate; invitations = completes needed / rate';
COMMENT ON COLUMN survey_designs.exclude_last_k IS 'households invited in the last k periods of the same kind are excluded (0: none)';
COMMENT ON COLUMN survey_designs.questionnaire_version IS 'questionnaire version the invitations answer';
COMMENT ON COLUMN survey_designs.expires_at IS 'when the design''s tokens expire';
COMMENT ON COLUMN survey_designs.created_at IS 'when the sample was drawn';
CREATE TABLE survey_strata (
    design_id VARCHAR NOT NULL,
    grid_id VARCHAR NOT NULL,
    population INTEGER NOT NULL,
    excluded INTEGER NOT NULL,
    frame INTEGER NOT NULL,
    completes_needed INTEGER NOT NULL,
    invited INTEGER NOT NULL,
    PRIMARY KEY (design_id, grid_id)
);
COMMENT ON TABLE survey_strata IS 'per-grid sample sizes of a design (A1)';
COMMENT ON COLUMN survey_strata.design_id IS 'sample design';
COMMENT ON COLUMN survey_strata.grid_id IS 'grid (the stratum)';
COMMENT ON COLUMN survey_strata.population IS 'N_h: active households in the grid''s register at the draw';
COMMENT ON COLUMN survey_strata.excluded IS 'households excluded because surveyed in the last k periods';
COMMENT ON COLUMN survey_strata.frame IS 'households eligible for the draw (population − excluded)';
COMMENT ON COLUMN survey_strata.completes_needed IS 'n_h: completes needed for the target margin, with FPC (A1)';
COMMENT ON COLUMN survey_strata.invited IS 'households drawn and invited: min(frame, ceil(n_h / response rate))';
CREATE TABLE survey_invitations (
    invitation_id VARCHAR NOT NULL,
    design_id VARCHAR NOT NULL,
    period_id VARCHAR NOT NULL,
    grid_id VARCHAR NOT NULL,
    household_id VARCHAR NOT NULL,
    weight_class VARCHAR NOT NULL,
    draw_rank INTEGER NOT NULL,
    token_hash VARCHAR NOT NULL,
    expires_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    used_at TIMESTAMP WITHOUT TIME ZONE,
    disposition VARCHAR,
    disposition_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (invitation_id),
    UNIQUE (token_hash)
);
COMMENT ON TABLE survey_invitations IS 'sampled households with their token hash and disposition (A2, A3); identity stays in household_identities';
COMMENT ON COLUMN survey_invitations.invitation_id IS 'invitation code: ''<design>-<household>''';
COMMENT ON COLUMN survey_invitations.design_id IS 'sample design';
COMMENT ON COLUMN survey_invitations.period_id IS 'period surveyed';
COMMENT ON COLUMN survey_invitations.grid_id IS 'grid of the sampled household';
COMMENT ON COLUMN survey_invitations.household_id IS 'sampled household (never copied to responses)';
COMMENT ON COLUMN survey_invitations.weight_class IS 'non-response weighting class from the register (A6): ''elderly'' | ''other''';
COMMENT ON COLUMN survey_invitations.draw_rank IS 'rank of the household''s seeded random key in its grid (1 = first drawn)';
COMMENT ON COLUMN survey_invitations.token_hash IS 'sha256 (hex) of the single-use token; the token itself is not stored';
COMMENT ON COLUMN survey_invitations.expires_at IS 'token expiry';
COMMENT ON COLUMN survey_invitations.used_at IS 'day the token was used (truncated to the day, so it cannot be matched to a response''s time)';
COMMENT ON COLUMN survey_invitations.disposition IS 'final outcome: complete | partial | refusal | non_contact | ineligible | unknown (NULL: pending)';
COMMENT ON COLUMN survey_invitations.disposition_at IS 'day the disposition was recorded (truncated to the day)';
CREATE TABLE survey_responses (
    response_id VARCHAR NOT NULL,
    period_id VARCHAR NOT NULL,
    design_id VARCHAR NOT NULL,
    grid_id VARCHAR NOT NULL,
    weight_class VARCHAR NOT NULL,
    questionnaire_version VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    submission_id VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    submitted_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    duration_seconds DOUBLE PRECISION,
    device_hash VARCHAR,
    address_hash VARCHAR,
    entered_by VARCHAR,
    PRIMARY KEY (response_id),
    UNIQUE (submission_id)
);
COMMENT ON TABLE survey_responses IS 'one row per completed questionnaire; no household, token, invitation or identity';
COMMENT ON COLUMN survey_responses.response_id IS 'random response code (uuid4), unrelated to the invitation';
COMMENT ON COLUMN survey_responses.period_id IS 'period surveyed';
COMMENT ON COLUMN survey_responses.design_id IS 'sample design';
COMMENT ON COLUMN survey_responses.grid_id IS 'grid the answers are about';
COMMENT ON COLUMN survey_responses.weight_class IS 'non-response weighting class (A6), copied from the register class of the sampled household';
COMMENT ON COLUMN survey_responses.questionnaire_version IS 'questionnaire version answered';
COMMENT ON COLUMN survey_responses.channel IS 'web | phone | paper';
COMMENT ON COLUMN survey_responses.submission_id IS 'client-chosen id of the submission (retry key)';
COMMENT ON COLUMN survey_responses.content_hash IS 'sha256 of the canonical answers (detects a changed resubmission)';
COMMENT ON COLUMN survey_responses.submitted_at IS 'hour the response arrived (truncated to the hour)';
COMMENT ON COLUMN survey_responses.duration_seconds IS 'seconds from opening the form to submitting (NULL: unknown, e.g. paper)';
COMMENT ON COLUMN survey_responses.device_hash IS 'salted hash of the device / browser fingerprint (quality screen A12)';
COMMENT ON COLUMN survey_responses.address_hash IS 'salted hash of the network address (quality screen A12)';
COMMENT ON COLUMN survey_responses.entered_by IS 'staff member who keyed in a phone / paper answer (quality screen A12)';
CREATE TABLE survey_answers (
    response_id VARCHAR NOT NULL,
    item_key VARCHAR NOT NULL,
    answer_code VARCHAR,
    score DOUBLE PRECISION,
    answer_text VARCHAR,
    PRIMARY KEY (response_id, item_key)
);
COMMENT ON TABLE survey_answers IS 'answers of a response, one row per answered item';
COMMENT ON COLUMN survey_answers.response_id IS 'response';
COMMENT ON COLUMN survey_answers.item_key IS 'questionnaire item key';
COMMENT ON COLUMN survey_answers.answer_code IS 'answer code (scale / choice items)';
COMMENT ON COLUMN survey_answers.score IS '0–100 score of a scale answer (questionnaire mapping); NULL otherwise';
COMMENT ON COLUMN survey_answers.answer_text IS 'free text (comment items), shown as text only';
CREATE TABLE survey_quality_flags (
    response_id VARCHAR NOT NULL,
    period_id VARCHAR NOT NULL,
    flag VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    flagged_at TIMESTAMP WITHOUT TIME ZONE NOT NULL
);
COMMENT ON TABLE survey_quality_flags IS 'quality screens (A12): flagged for review, never dropped from estimates';
COMMENT ON COLUMN survey_quality_flags.response_id IS 'response flagged';
COMMENT ON COLUMN survey_quality_flags.period_id IS 'period of the response';
COMMENT ON COLUMN survey_quality_flags.flag IS 'too_fast | straight_lining | duplicate_device | duplicate_address | entered_by_grid_worker';
COMMENT ON COLUMN survey_quality_flags.reason IS 'why, in words, with the figures';
COMMENT ON COLUMN survey_quality_flags.flagged_at IS 'when the screen ran';
CREATE TABLE score_runs (
    run_id VARCHAR NOT NULL,
    period_id VARCHAR NOT NULL,
    scheme_key VARCHAR NOT NULL,
    scheme_version VARCHAR NOT NULL,
    scheme_hash VARCHAR NOT NULL,
    scheme_toml VARCHAR,
    input_fingerprint VARCHAR NOT NULL,
    code_version VARCHAR NOT NULL,
    seed INTEGER NOT NULL,
    draws INTEGER NOT NULL,
    output_digest VARCHAR,
    status VARCHAR NOT NULL,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    finalised_by VARCHAR,
    finalised_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (run_id)
);
COMMENT ON TABLE score_runs IS 'score runs: one scoring of a period with a scheme; final runs are locked';
COMMENT ON COLUMN score_runs.run_id IS 'run code ''<period>-<nnn>''';
COMMENT ON COLUMN score_runs.period_id IS 'period scored';
COMMENT ON COLUMN score_runs.scheme_key IS 'scheme key';
COMMENT ON COLUMN score_runs.scheme_version IS 'scheme version';
COMMENT ON COLUMN score_runs.scheme_hash IS 'sha256 of the scheme''s canonical content';
COMMENT ON COLUMN score_runs.scheme_toml IS 'the scheme file''s text, so the run can be reproduced';
COMMENT ON COLUMN score_runs.input_fingerprint IS 'sha256 of the scoring inputs (indicators, skills, survey estimates, events)';
COMMENT ON COLUMN score_runs.code_version IS 'gridscore version + hash of the metrics code';
COMMENT ON COLUMN score_runs.seed IS 'seed of the Monte Carlo';
COMMENT ON COLUMN score_runs.draws IS 'Monte Carlo draws';
COMMENT ON COLUMN score_runs.output_digest IS 'sha256 of the run''s score tables when stored';
COMMENT ON COLUMN score_runs.status IS 'draft | final';
COMMENT ON COLUMN score_runs.created_by IS 'who ran the scoring';
COMMENT ON COLUMN score_runs.created_at IS 'when (UTC)';
COMMENT ON COLUMN score_runs.finalised_by IS 'who finalised (locked) the run';
COMMENT ON COLUMN score_runs.finalised_at IS 'when finalised (UTC)';
CREATE TABLE score_workers (
    run_id VARCHAR NOT NULL,
    worker_id VARCHAR NOT NULL,
    role VARCHAR,
    grid_id VARCHAR,
    dept_id VARCHAR,
    community_id VARCHAR,
    street_id VARCHAR,
    households INTEGER,
    months_in_post DOUBLE PRECISION,
    results DOUBLE PRECISION,
    results_coverage DOUBLE PRECISION,
    results_reason VARCHAR,
    results_points DOUBLE PRECISION,
    skills DOUBLE PRECISION,
    skills_coverage DOUBLE PRECISION,
    skills_reason VARCHAR,
    skills_points DOUBLE PRECISION,
    satisfaction DOUBLE PRECISION,
    satisfaction_coverage DOUBLE PRECISION,
    satisfaction_reason VARCHAR,
    satisfaction_points DOUBLE PRECISION,
    satisfaction_raw DOUBLE PRECISION,
    satisfaction_se DOUBLE PRECISION,
    satisfaction_n INTEGER,
    satisfaction_reliability DOUBLE PRECISION,
    base DOUBLE PRECISION,
    deductions DOUBLE PRECISION,
    deduction_floor_hit BOOLEAN,
    bonus DOUBLE PRECISION,
    total DOUBLE PRECISION,
    grade VARCHAR,
    grade_reason VARCHAR,
    rank INTEGER,
    ranked_among INTEGER,
    eligible BOOLEAN,
    ineligible_reason VARCHAR,
    vetoed BOOLEAN,
    veto_severity VARCHAR,
    veto_reason VARCHAR,
    veto_ids VARCHAR,
    PRIMARY KEY (run_id, worker_id)
);
COMMENT ON TABLE score_workers IS 'worker scores of a run (pillars, points, total, grade, rank, eligibility, veto)';
COMMENT ON COLUMN score_workers.run_id IS 'score run';
COMMENT ON COLUMN score_workers.worker_id IS 'worker';
COMMENT ON COLUMN score_workers.role IS 'worker role';
COMMENT ON COLUMN score_workers.grid_id IS 'grid of the worker';
COMMENT ON COLUMN score_workers.dept_id IS 'department of the worker';
COMMENT ON COLUMN score_workers.community_id IS 'community of the worker''s grid (or department area)';
COMMENT ON COLUMN score_workers.street_id IS 'street of the worker''s grid (or department area)';
COMMENT ON COLUMN score_workers.households IS 'active households of the worker''s grid (roll-up weight)';
COMMENT ON COLUMN score_workers.months_in_post IS 'months in post at the period end';
COMMENT ON COLUMN score_workers.results IS 'results pillar score 0–100 (工作实绩); NULL when missing';
COMMENT ON COLUMN score_workers.results_coverage IS 'observed weight share of the results pillar (0–1)';
COMMENT ON COLUMN score_workers.results_reason IS 'why the results pillar is missing (NULL: present)';
COMMENT ON COLUMN score_workers.results_points IS 'results points = pillar weight × score / 100';
COMMENT ON COLUMN score_workers.skills IS 'skills pillar score 0–100 (业务技能); NULL when missing';
COMMENT ON COLUMN score_workers.skills_coverage IS 'observed weight share of the skills pillar (0–1)';
COMMENT ON COLUMN score_workers.skills_reason IS 'why the skills pillar is missing (NULL: present)';
COMMENT ON COLUMN score_workers.skills_points IS 'skills points = pillar weight × score / 100';
COMMENT ON COLUMN score_workers.satisfaction IS 'satisfaction pillar score 0–100 (群众满意度); NULL when missing';
COMMENT ON COLUMN score_workers.satisfaction_coverage IS 'observed weight share of the satisfaction pillar (0–1)';
COMMENT ON COLUMN score_workers.satisfaction_reason IS 'why the satisfaction pillar is missing (NULL: present)';
COMMENT ON COLUMN score_workers.satisfaction_points IS 'satisfaction points = pillar weight × score / 100';
COMMENT ON COLUMN score_workers.satisfaction_raw IS 'raw (unshrunk) survey mean shown beside the shrunk value';
COMMENT ON COLUMN score_workers.satisfaction_se IS 'standard error of the survey mean';
COMMENT ON COLUMN score_workers.satisfaction_n IS 'survey respondents';
COMMENT ON COLUMN score_workers.satisfaction_reliability IS 'reliability R = τ²/(τ²+V) of the survey mean (A8)';
COMMENT ON COLUMN score_workers.base IS 'sum of pillar points, deductions already inside their pillar (B4); NULL if a pillar is missing';
COMMENT ON COLUMN score_workers.deductions IS 'points the deduction items removed (shown apart; already inside base)';
COMMENT ON COLUMN score_workers.deduction_floor_hit IS 'a deduction item reached 0 (扣完为止) or was zeroed';
COMMENT ON COLUMN score_workers.bonus IS 'bonus points after the cap: min(B_max, Σ bonus)';
COMMENT ON COLUMN score_workers.total IS 'min(cap, base + bonus), rounded half-up to the scheme''s decimals';
COMMENT ON COLUMN score_workers.grade IS 'excellent | good | pass | fail (NULL when no total and no veto)';
COMMENT ON COLUMN score_workers.grade_reason IS 'what decided the grade: band | quota | veto <id> | veto cap <id>';
COMMENT ON COLUMN score_workers.rank IS 'rank among ranked peers, ties share the rank (并列, min method); NULL: not ranked';
COMMENT ON COLUMN score_workers.ranked_among IS 'number of ranked peers';
COMMENT ON COLUMN score_workers.eligible IS 'eligible for ranking (B9)';
COMMENT ON COLUMN score_workers.ineligible_reason IS 'why not ranked (codes separated by '';'')';
COMMENT ON COLUMN score_workers.vetoed IS 'an acting veto reaches this subject';
COMMENT ON COLUMN score_workers.veto_severity IS 'harshest acting veto severity: fail | grade_cap | no_award';
COMMENT ON COLUMN score_workers.veto_reason IS 'category and evidence of the deciding veto';
COMMENT ON COLUMN score_workers.veto_ids IS 'acting veto ids, comma-separated';
CREATE TABLE score_units (
    run_id VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    unit_id VARCHAR NOT NULL,
    members INTEGER,
    households INTEGER,
    members_total DOUBLE PRECISION,
    results DOUBLE PRECISION,
    results_coverage DOUBLE PRECISION,
    results_reason VARCHAR,
    results_points DOUBLE PRECISION,
    skills DOUBLE PRECISION,
    skills_coverage DOUBLE PRECISION,
    skills_reason VARCHAR,
    skills_points DOUBLE PRECISION,
    satisfaction DOUBLE PRECISION,
    satisfaction_coverage DOUBLE PRECISION,
    satisfaction_reason VARCHAR,
    satisfaction_points DOUBLE PRECISION,
    satisfaction_raw DOUBLE PRECISION,
    satisfaction_se DOUBLE PRECISION,
    satisfaction_n INTEGER,
    satisfaction_reliability DOUBLE PRECISION,
    base DOUBLE PRECISION,
    deductions DOUBLE PRECISION,
    deduction_floor_hit BOOLEAN,
    bonus DOUBLE PRECISION,
    total DOUBLE PRECISION,
    grade VARCHAR,
    grade_reason VARCHAR,
    rank INTEGER,
    ranked_among INTEGER,
    eligible BOOLEAN,
    ineligible_reason VARCHAR,
    vetoed BOOLEAN,
    veto_severity VARCHAR,
    veto_reason VARCHAR,
    veto_ids VARCHAR,
    PRIMARY KEY (run_id, level, unit_id)
);
COMMENT ON TABLE score_units IS 'unit scores of a run: rates from Σnum/Σden of the members, unit events and vetoes';
COMMENT ON COLUMN score_units.run_id IS 'score run';
COMMENT ON COLUMN score_units.level IS 'department | community | street';
COMMENT ON COLUMN score_units.unit_id IS 'dept_id or org unit id';
COMMENT ON COLUMN score_units.members IS 'workers rolled up';
COMMENT ON COLUMN score_units.households IS 'households served by the members';
COMMENT ON COLUMN score_units.members_total IS 'members'' totals weighted by households served (B10)';
COMMENT ON COLUMN score_units.results IS 'results pillar score 0–100 (工作实绩); NULL when missing';
COMMENT ON COLUMN score_units.results_coverage IS 'observed weight share of the results pillar (0–1)';
COMMENT ON COLUMN score_units.results_reason IS 'why the results pillar is missing (NULL: present)';
COMMENT ON COLUMN score_units.results_points IS 'results points = pillar weight × score / 100';
COMMENT ON COLUMN score_units.skills IS 'skills pillar score 0–100 (业务技能); NULL when missing';
COMMENT ON COLUMN score_units.skills_coverage IS 'observed weight share of the skills pillar (0–1)';
COMMENT ON COLUMN score_units.skills_reason IS 'why the skills pillar is missing (NULL: present)';
COMMENT ON COLUMN score_units.skills_points IS 'skills points = pillar weight × score / 100';
COMMENT ON COLUMN score_units.satisfaction IS 'satisfaction pillar score 0–100 (群众满意度); NULL when missing';
COMMENT ON COLUMN score_units.satisfaction_coverage IS 'observed weight share of the satisfaction pillar (0–1)';
COMMENT ON COLUMN score_units.satisfaction_reason IS 'why the satisfaction pillar is missing (NULL: present)';
COMMENT ON COLUMN score_units.satisfaction_points IS 'satisfaction points = pillar weight × score / 100';
COMMENT ON COLUMN score_units.satisfaction_raw IS 'raw (unshrunk) survey mean shown beside the shrunk value';
COMMENT ON COLUMN score_units.satisfaction_se IS 'standard error of the survey mean';
COMMENT ON COLUMN score_units.satisfaction_n IS 'survey respondents';
COMMENT ON COLUMN score_units.satisfaction_reliability IS 'reliability R = τ²/(τ²+V) of the survey mean (A8)';
COMMENT ON COLUMN score_units.base IS 'sum of pillar points, deductions already inside their pillar (B4); NULL if a pillar is missing';
COMMENT ON COLUMN score_units.deductions IS 'points the deduction items removed (shown apart; already inside base)';
COMMENT ON COLUMN score_units.deduction_floor_hit IS 'a deduction item reached 0 (扣完为止) or was zeroed';
COMMENT ON COLUMN score_units.bonus IS 'bonus points after the cap: min(B_max, Σ bonus)';
COMMENT ON COLUMN score_units.total IS 'min(cap, base + bonus), rounded half-up to the scheme''s decimals';
COMMENT ON COLUMN score_units.grade IS 'excellent | good | pass | fail (NULL when no total and no veto)';
COMMENT ON COLUMN score_units.grade_reason IS 'what decided the grade: band | quota | veto <id> | veto cap <id>';
COMMENT ON COLUMN score_units.rank IS 'rank among ranked peers, ties share the rank (并列, min method); NULL: not ranked';
COMMENT ON COLUMN score_units.ranked_among IS 'number of ranked peers';
COMMENT ON COLUMN score_units.eligible IS 'eligible for ranking (B9)';
COMMENT ON COLUMN score_units.ineligible_reason IS 'why not ranked (codes separated by '';'')';
COMMENT ON COLUMN score_units.vetoed IS 'an acting veto reaches this subject';
COMMENT ON COLUMN score_units.veto_severity IS 'harshest acting veto severity: fail | grade_cap | no_award';
COMMENT ON COLUMN score_units.veto_reason IS 'category and evidence of the deciding veto';
COMMENT ON COLUMN score_units.veto_ids IS 'acting veto ids, comma-separated';
CREATE TABLE score_indicators (
    run_id VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    subject_id VARCHAR NOT NULL,
    pillar VARCHAR NOT NULL,
    item VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    num DOUBLE PRECISION,
    den DOUBLE PRECISION,
    value DOUBLE PRECISION,
    target DOUBLE PRECISION,
    floor DOUBLE PRECISION,
    normalised DOUBLE PRECISION,
    weight DOUBLE PRECISION,
    points DOUBLE PRECISION,
    missing_reason VARCHAR,
    PRIMARY KEY (run_id, level, subject_id, item)
);
COMMENT ON TABLE score_indicators IS 'indicator values of a run: num, den, value, target, normalised score, weight, points';
COMMENT ON COLUMN score_indicators.run_id IS 'score run';
COMMENT ON COLUMN score_indicators.level IS 'worker | department | community | street';
COMMENT ON COLUMN score_indicators.subject_id IS 'worker_id or unit id';
COMMENT ON COLUMN score_indicators.pillar IS 'pillar of the item';
COMMENT ON COLUMN score_indicators.item IS 'indicator / deduction item key, or skills / survey';
COMMENT ON COLUMN score_indicators.kind IS 'indicator | deduction | skills | survey';
COMMENT ON COLUMN score_indicators.num IS 'numerator (deduction: points deducted)';
COMMENT ON COLUMN score_indicators.den IS 'denominator (deduction: full points)';
COMMENT ON COLUMN score_indicators.value IS 'num / den (NULL when den = 0)';
COMMENT ON COLUMN score_indicators.target IS 'target T of the scheme (B2)';
COMMENT ON COLUMN score_indicators.floor IS 'value scoring 0 (L or U of B2)';
COMMENT ON COLUMN score_indicators.normalised IS 'normalised item score 0–100';
COMMENT ON COLUMN score_indicators.weight IS 'weight of the item within its pillar';
COMMENT ON COLUMN score_indicators.points IS 'points of the item in the total (pillar weight × weight share × score)';
COMMENT ON COLUMN score_indicators.missing_reason IS 'why the item is missing (no_workload …)';
CREATE TABLE score_adjustments (
    run_id VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    subject_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    item VARCHAR NOT NULL,
    event VARCHAR NOT NULL,
    evidence_id VARCHAR NOT NULL,
    points DOUBLE PRECISION NOT NULL,
    zeroing BOOLEAN NOT NULL
);
COMMENT ON TABLE score_adjustments IS 'deduction and bonus lines of a run with their evidence ids';
COMMENT ON COLUMN score_adjustments.run_id IS 'score run';
COMMENT ON COLUMN score_adjustments.level IS 'worker | department | community | street';
COMMENT ON COLUMN score_adjustments.subject_id IS 'worker_id or unit id';
COMMENT ON COLUMN score_adjustments.kind IS 'deduction | bonus';
COMMENT ON COLUMN score_adjustments.item IS 'deduction item key or bonus category';
COMMENT ON COLUMN score_adjustments.event IS 'event kind (inspection, valid_complaint, …, bonus)';
COMMENT ON COLUMN score_adjustments.evidence_id IS 'id of the evidence row (inspection, complaint, record, bonus)';
COMMENT ON COLUMN score_adjustments.points IS 'points of the event before floors and caps';
COMMENT ON COLUMN score_adjustments.zeroing IS 'the event zeroes its item';
CREATE TABLE score_uncertainty (
    run_id VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    subject_id VARCHAR NOT NULL,
    rank_median DOUBLE PRECISION,
    rank_low DOUBLE PRECISION,
    rank_high DOUBLE PRECISION,
    p_grade_excellent DOUBLE PRECISION,
    p_grade_good DOUBLE PRECISION,
    p_grade_pass DOUBLE PRECISION,
    p_grade_fail DOUBLE PRECISION,
    p_top_k DOUBLE PRECISION,
    PRIMARY KEY (run_id, level, subject_id)
);
COMMENT ON TABLE score_uncertainty IS 'rank intervals and grade probabilities from the Monte Carlo (B11)';
COMMENT ON COLUMN score_uncertainty.run_id IS 'score run';
COMMENT ON COLUMN score_uncertainty.level IS 'worker, department, community or street';
COMMENT ON COLUMN score_uncertainty.subject_id IS 'worker_id, or the unit id (dept_id for departments)';
COMMENT ON COLUMN score_uncertainty.rank_median IS 'median rank over the Monte Carlo draws';
COMMENT ON COLUMN score_uncertainty.rank_low IS 'lower end of the rank interval (best rank)';
COMMENT ON COLUMN score_uncertainty.rank_high IS 'upper end of the rank interval (worst rank)';
COMMENT ON COLUMN score_uncertainty.p_grade_excellent IS 'P(grade = 优秀) over the draws';
COMMENT ON COLUMN score_uncertainty.p_grade_good IS 'P(grade = 良好)';
COMMENT ON COLUMN score_uncertainty.p_grade_pass IS 'P(grade = 合格)';
COMMENT ON COLUMN score_uncertainty.p_grade_fail IS 'P(grade = 不合格)';
COMMENT ON COLUMN score_uncertainty.p_top_k IS 'P(rank ≤ k), k from the scheme';
CREATE TABLE veto_actions (
    action_id VARCHAR NOT NULL,
    veto_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    from_status VARCHAR NOT NULL,
    to_status VARCHAR NOT NULL,
    actor VARCHAR NOT NULL,
    acted_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    evidence VARCHAR NOT NULL,
    PRIMARY KEY (action_id)
);
COMMENT ON TABLE veto_actions IS 'veto workflow history: proposed → confirmed → appealed → upheld / overturned';
COMMENT ON COLUMN veto_actions.action_id IS 'action code';
COMMENT ON COLUMN veto_actions.veto_id IS 'veto event';
COMMENT ON COLUMN veto_actions.action IS 'confirm | appeal | uphold | overturn';
COMMENT ON COLUMN veto_actions.from_status IS 'status before';
COMMENT ON COLUMN veto_actions.to_status IS 'status after';
COMMENT ON COLUMN veto_actions.actor IS 'who acted';
COMMENT ON COLUMN veto_actions.acted_at IS 'when (UTC)';
COMMENT ON COLUMN veto_actions.evidence IS 'evidence or reason given';
CREATE TABLE score_appeals (
    appeal_id VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    subject_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    value_before VARCHAR,
    value_after VARCHAR,
    reason VARCHAR NOT NULL,
    actor VARCHAR NOT NULL,
    decided_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (appeal_id)
);
COMMENT ON TABLE score_appeals IS 'corrections to final runs (who, when, why, before, after)';
COMMENT ON COLUMN score_appeals.appeal_id IS 'appeal code';
COMMENT ON COLUMN score_appeals.run_id IS 'final run corrected';
COMMENT ON COLUMN score_appeals.subject_id IS 'worker corrected';
COMMENT ON COLUMN score_appeals.field IS 'field corrected (total, grade)';
COMMENT ON COLUMN score_appeals.value_before IS 'value before';
COMMENT ON COLUMN score_appeals.value_after IS 'value after';
COMMENT ON COLUMN score_appeals.reason IS 'why';
COMMENT ON COLUMN score_appeals.actor IS 'who decided';
COMMENT ON COLUMN score_appeals.decided_at IS 'when (UTC)';
CREATE TABLE audit_log (
    seq INTEGER NOT NULL,
    logged_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    entity_id VARCHAR NOT NULL,
    payload VARCHAR NOT NULL,
    prev_hash VARCHAR NOT NULL,
    hash VARCHAR NOT NULL,
    PRIMARY KEY (seq)
);
COMMENT ON TABLE audit_log IS 'hash-chained audit log of runs, finalisations, veto actions and appeals';
COMMENT ON COLUMN audit_log.seq IS 'position in the chain (1, 2, …)';
COMMENT ON COLUMN audit_log.logged_at IS 'when (UTC)';
COMMENT ON COLUMN audit_log.actor IS 'who';
COMMENT ON COLUMN audit_log.action IS 'run_created | run_finalised | veto_<action> | appeal';
COMMENT ON COLUMN audit_log.entity IS 'score_run | veto | appeal';
COMMENT ON COLUMN audit_log.entity_id IS 'id of the entity';
COMMENT ON COLUMN audit_log.payload IS 'canonical JSON of the details (digests, before/after)';
COMMENT ON COLUMN audit_log.prev_hash IS 'hash of the previous row (''0''×64 for the first)';
COMMENT ON COLUMN audit_log.hash IS 'sha256(prev_hash + canonical row)';
CREATE TABLE auth_users (
    user_name VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    scope_unit_id VARCHAR,
    disabled BOOLEAN DEFAULT false NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    password_changed_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (user_name)
);
COMMENT ON TABLE auth_users IS 'dashboard accounts with role and org scope';
COMMENT ON COLUMN auth_users.user_name IS 'sign-in name';
COMMENT ON COLUMN auth_users.password_hash IS 'argon2id hash of the password';
COMMENT ON COLUMN auth_users.role IS 'admin | assessor | supervisor | viewer';
COMMENT ON COLUMN auth_users.scope_unit_id IS 'org unit whose subtree the user may see (NULL: all)';
COMMENT ON COLUMN auth_users.disabled IS 'account switched off';
COMMENT ON COLUMN auth_users.created_at IS 'when the account was created (UTC)';
COMMENT ON COLUMN auth_users.password_changed_at IS 'when the password was last set (UTC)';
CREATE TABLE auth_sessions (
    session_hash VARCHAR NOT NULL,
    user_name VARCHAR NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    expires_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    revoked_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (session_hash)
);
COMMENT ON TABLE auth_sessions IS 'server-side sessions: a cookie is valid only while its row is live';
COMMENT ON COLUMN auth_sessions.session_hash IS 'sha256 of the session cookie value';
COMMENT ON COLUMN auth_sessions.user_name IS 'account signed in';
COMMENT ON COLUMN auth_sessions.created_at IS 'sign-in time (UTC)';
COMMENT ON COLUMN auth_sessions.expires_at IS 'absolute expiry (UTC)';
COMMENT ON COLUMN auth_sessions.revoked_at IS 'sign-out or rotation time (NULL: live)';
CREATE TABLE auth_events (
    event_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    user_name VARCHAR,
    event VARCHAR NOT NULL,
    client_ip VARCHAR,
    detail VARCHAR
);
COMMENT ON TABLE auth_events IS 'sign-in log and refused requests of the dashboard';
COMMENT ON COLUMN auth_events.event_at IS 'when (UTC)';
COMMENT ON COLUMN auth_events.user_name IS 'account name given';
COMMENT ON COLUMN auth_events.event IS 'sign_in | sign_in_failed | sign_out | rate_limited | denied';
COMMENT ON COLUMN auth_events.client_ip IS 'client address';
COMMENT ON COLUMN auth_events.detail IS 'short detail (action and unit for denials)';
CREATE TABLE synthetic_truth (
    worker_id VARCHAR NOT NULL,
    quality DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (worker_id)
);
COMMENT ON TABLE synthetic_truth IS 'generator''s hidden truth per worker (tests and benchmarks only; scoring never reads it)';
COMMENT ON COLUMN synthetic_truth.worker_id IS 'generated worker';
COMMENT ON COLUMN synthetic_truth.quality IS 'latent quality, standard normal (higher = better); drives the worker''s records';
CREATE TABLE survey_salts (
    period_id VARCHAR NOT NULL,
    salt VARCHAR NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (period_id)
);
COMMENT ON TABLE survey_salts IS 'secret per-period salt of the device / address hashes, so they cannot be reversed by trying every address';
COMMENT ON COLUMN survey_salts.period_id IS 'period the salt belongs to';
COMMENT ON COLUMN survey_salts.salt IS 'secret salt: hex of 32 random bytes (never exported, reported or shown)';
COMMENT ON COLUMN survey_salts.created_at IS 'when the salt was created (on the period''s first fingerprint)';
"""
