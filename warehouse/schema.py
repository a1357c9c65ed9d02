"""The core warehouse schema as SQLAlchemy Core tables.

Dimension tables carry primary keys; the large fact table `work_records` keeps its
natural key (`record_id`) unique through ingest's anti-join instead of an index, so
bulk loads of tens of millions of rows stay fast. Every table and column is
documented in `docs/data-dictionary.md` (a test checks that).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()


def _batch() -> sa.Column:
    return sa.Column("batch_id", sa.String, comment="ingest batch that loaded the row (NULL: generated)")


org_units = sa.Table(
    "org_units",
    metadata,
    sa.Column("unit_id", sa.String, primary_key=True, comment="unit code, e.g. D01-S02-C03-G04"),
    sa.Column("name", sa.String, nullable=False, comment="Chinese name"),
    sa.Column("name_en", sa.String, comment="English name (optional)"),
    sa.Column("level", sa.String, nullable=False, comment="district | street | community | grid"),
    sa.Column("parent_id", sa.String, comment="parent unit (NULL for a district)"),
    _batch(),
    comment="administrative tree: district → street → community → grid",
)

departments = sa.Table(
    "departments",
    metadata,
    sa.Column("dept_id", sa.String, primary_key=True, comment="department code"),
    sa.Column("name", sa.String, nullable=False, comment="Chinese name"),
    sa.Column("name_en", sa.String, comment="English name"),
    sa.Column("kind", sa.String, nullable=False, comment="functional | street_office | community"),
    sa.Column("unit_id", sa.String, comment="org unit the department serves (its area)"),
    _batch(),
    comment="departments and units assessed on their own tasks and their area",
)

workers = sa.Table(
    "workers",
    metadata,
    sa.Column("worker_id", sa.String, primary_key=True, comment="worker code"),
    sa.Column("name", sa.String, nullable=False, comment="name"),
    sa.Column("role", sa.String, nullable=False, comment="grid_worker | grid_head | grid_police | coordinator | community_staff | department_staff"),
    sa.Column("grid_id", sa.String, comment="grid the worker is responsible for (org unit of level grid)"),
    sa.Column("dept_id", sa.String, comment="department the worker belongs to"),
    sa.Column("in_post_from", sa.Date, nullable=False, comment="first day in post"),
    sa.Column("in_post_to", sa.Date, comment="last day in post (NULL: still in post)"),
    _batch(),
    comment="people assessed: grid workers, police, coordinators, staff",
)

worker_areas = sa.Table(
    "worker_areas",
    metadata,
    sa.Column("worker_id", sa.String, primary_key=True, comment="worker"),
    sa.Column("unit_id", sa.String, primary_key=True,
              comment="org unit (grid, community, street or district) whose residents the worker serves"),
    _batch(),
    comment="areas a worker serves beyond a single grid (e.g. a coordinator's grids); "
            "the scheme's role rules take the worker's satisfaction from their residents",
)

households = sa.Table(
    "households",
    metadata,
    sa.Column("household_id", sa.String, primary_key=True, comment="household code"),
    sa.Column("grid_id", sa.String, nullable=False, comment="grid of the household"),
    sa.Column("size", sa.Integer, nullable=False, comment="number of residents (1–20)"),
    sa.Column("tags", sa.String, comment="comma-separated tags: elderly, floating, key_person, low_income, disabled"),
    sa.Column("registered_on", sa.Date, comment="date entered in the register"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true(), comment="still in the register"),
    _batch(),
    comment="household register (the survey frame); no contact details here",
)

household_identities = sa.Table(
    "household_identities",
    metadata,
    sa.Column("household_id", sa.String, primary_key=True, comment="household code"),
    sa.Column("contact_name", sa.String, comment="contact person"),
    sa.Column("phone", sa.String, comment="phone number"),
    sa.Column("address", sa.String, comment="address"),
    _batch(),
    comment="contact details, kept apart: only the survey team's token file reads them; scoring never does",
)

periods = sa.Table(
    "periods",
    metadata,
    sa.Column("period_id", sa.String, primary_key=True, comment="period code, e.g. 2025, 2025H1, 2025Q3"),
    sa.Column("kind", sa.String, nullable=False, comment="year | half | quarter | month"),
    sa.Column("starts_on", sa.Date, nullable=False, comment="first day"),
    sa.Column("ends_on", sa.Date, nullable=False, comment="last day (inclusive)"),
    _batch(),
    comment="assessment periods",
)

work_records = sa.Table(
    "work_records",
    metadata,
    sa.Column("record_id", sa.String, nullable=False, comment="natural key from the source system"),
    sa.Column("worker_id", sa.String, nullable=False, comment="worker who owns the record"),
    sa.Column("grid_id", sa.String, nullable=False, comment="grid where the work happened"),
    sa.Column("type", sa.String, nullable=False, comment="visit | dispute | dispute_screening | hazard_report | service_errand | petition | hotline | key_person_followup | drill | meeting"),
    sa.Column("opened_at", sa.DateTime, nullable=False, comment="opened / received"),
    sa.Column("due_at", sa.DateTime, comment="promised or required completion time"),
    sa.Column("closed_at", sa.DateTime, comment="closed (NULL while open); ≥ opened_at"),
    sa.Column("status", sa.String, nullable=False, comment="open | closed | cancelled"),
    sa.Column("outcome", sa.String, comment="success | partial | failed | referred (closed records)"),
    sa.Column("warning_level", sa.String, comment="red | yellow | blue (disputes: impact and urgency)"),
    sa.Column("source", sa.String, comment="patrol | resident | hotline | assigned | inspection"),
    sa.Column("verified", sa.Boolean, comment="confirmed by a supervisor's spot check (NULL: not checked)"),
    sa.Column("household_id", sa.String, comment="household concerned (visits, errands)"),
    _batch(),
    comment="the work the indicators are computed from",
)

skill_assessments = sa.Table(
    "skill_assessments",
    metadata,
    sa.Column("assessment_id", sa.String, primary_key=True, comment="natural key"),
    sa.Column("worker_id", sa.String, nullable=False, comment="worker assessed"),
    sa.Column("period_id", sa.String, nullable=False, comment="period"),
    sa.Column("item", sa.String, nullable=False, comment="skill item, e.g. policy exam, mediation practice, system use"),
    sa.Column("score", sa.Double, nullable=False, comment="score awarded, 0 ≤ score ≤ max_score"),
    sa.Column("max_score", sa.Double, nullable=False, comment="full marks of the item (> 0)"),
    sa.Column("rater", sa.String, comment="rater (panel member) or 'exam'"),
    sa.Column("assessed_on", sa.Date, comment="date of the assessment"),
    _batch(),
    comment="job-skill scores (exams and panel ratings)",
)

inspections = sa.Table(
    "inspections",
    metadata,
    sa.Column("inspection_id", sa.String, primary_key=True, comment="natural key"),
    sa.Column("unit_id", sa.String, comment="org unit inspected"),
    sa.Column("worker_id", sa.String, comment="worker held responsible (if any)"),
    sa.Column("kind", sa.String, nullable=False, comment="open | covert | spot_check (明察暗访, 抽查)"),
    sa.Column("inspected_on", sa.Date, nullable=False, comment="date"),
    sa.Column("finding", sa.String, nullable=False, comment="what was found"),
    sa.Column("deduction", sa.Double, nullable=False, comment="points deducted (≥ 0)"),
    sa.Column("rectify_by", sa.Date, comment="deadline to rectify (限期整改); ≥ inspected_on"),
    sa.Column("rectified_at", sa.Date, comment="date rectified (NULL: not yet)"),
    _batch(),
    comment="supervision findings with deductions and rectification deadlines",
)

complaints = sa.Table(
    "complaints",
    metadata,
    sa.Column("complaint_id", sa.String, primary_key=True, comment="natural key"),
    sa.Column("worker_id", sa.String, comment="worker concerned"),
    sa.Column("unit_id", sa.String, comment="unit concerned"),
    sa.Column("received_on", sa.Date, nullable=False, comment="date received"),
    sa.Column("channel", sa.String, nullable=False, comment="hotline | letter | visit | online"),
    sa.Column("valid", sa.Boolean, nullable=False, comment="found valid (有效投诉) after review"),
    sa.Column("resolved", sa.Boolean, comment="resolved"),
    sa.Column("summary", sa.String, comment="free-text summary (rendered as text only)"),
    _batch(),
    comment="complaints; valid ones lead to deductions",
)

bonus_events = sa.Table(
    "bonus_events",
    metadata,
    sa.Column("bonus_id", sa.String, primary_key=True, comment="natural key"),
    sa.Column("worker_id", sa.String, comment="worker rewarded"),
    sa.Column("unit_id", sa.String, comment="unit rewarded"),
    sa.Column("period_id", sa.String, nullable=False, comment="period"),
    sa.Column("category", sa.String, nullable=False, comment="bonus category from the scheme"),
    sa.Column("points", sa.Double, nullable=False, comment="points (> 0)"),
    sa.Column("evidence", sa.String, nullable=False, comment="evidence reference"),
    sa.Column("approved_by", sa.String, nullable=False, comment="approver"),
    sa.Column("event_on", sa.Date, comment="date"),
    _batch(),
    comment="bonus (加分) events with evidence and approver",
)

veto_events = sa.Table(
    "veto_events",
    metadata,
    sa.Column("veto_id", sa.String, primary_key=True, comment="natural key"),
    sa.Column("category", sa.String, nullable=False, comment="veto category from the scheme"),
    sa.Column("scope", sa.String, nullable=False, comment="worker | grid | community | department"),
    sa.Column("subject_id", sa.String, nullable=False, comment="worker_id, unit_id or dept_id, by scope"),
    sa.Column("period_id", sa.String, nullable=False, comment="period"),
    sa.Column("event_on", sa.Date, comment="date of the incident"),
    sa.Column("evidence", sa.String, nullable=False, comment="evidence reference / description"),
    sa.Column("severity", sa.String, nullable=False, comment="fail | grade_cap | no_award"),
    sa.Column("status", sa.String, nullable=False, comment="proposed | confirmed | appealed | upheld | overturned"),
    _batch(),
    comment="one-vote veto (一票否决) events",
)

ingest_batches = sa.Table(
    "ingest_batches",
    metadata,
    sa.Column("batch_id", sa.String, primary_key=True, comment="sha256 of kind and file content"),
    sa.Column("kind", sa.String, nullable=False, comment="entity kind ingested"),
    sa.Column("file_name", sa.String, nullable=False, comment="file name as given"),
    sa.Column("file_hash", sa.String, nullable=False, comment="sha256 of the file bytes"),
    sa.Column("rows_read", sa.Integer, nullable=False, comment="data rows read"),
    sa.Column("rows_accepted", sa.Integer, nullable=False, comment="rows stored (or already present)"),
    sa.Column("rows_rejected", sa.Integer, nullable=False, comment="rows sent to ingest_rejects"),
    sa.Column("loaded_at", sa.DateTime, nullable=False, comment="when the batch committed"),
    comment="one row per ingested file",
)

ingest_rejects = sa.Table(
    "ingest_rejects",
    metadata,
    sa.Column("batch_id", sa.String, nullable=False, comment="ingest batch"),
    sa.Column("file_name", sa.String, nullable=False, comment="file name"),
    sa.Column("row_number", sa.Integer, nullable=False, comment="1-based data row number (header excluded)"),
    sa.Column("column_name", sa.String, comment="column at fault (NULL: whole row)"),
    sa.Column("value", sa.String, comment="offending value as text"),
    sa.Column("reason", sa.String, nullable=False, comment="why the row was refused"),
    comment="rows refused by ingest, with the reason",
)

CORE_TABLES = [
    org_units, departments, workers, worker_areas, households, household_identities, periods,
    work_records, skill_assessments, inspections, complaints, bonus_events,
    veto_events, ingest_batches, ingest_rejects,
]
