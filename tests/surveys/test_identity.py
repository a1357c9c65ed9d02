"""Identity never reaches estimation or scoring: the code that could join it is scanned."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _sources(patterns: list[str]) -> list[Path]:
    files: list[Path] = []
    for pattern in patterns:
        files += sorted(ROOT.glob(pattern))
    return files


def test_estimation_and_scoring_never_read_household_identities() -> None:
    files = _sources(["surveys/estimate*.py", "surveys/quality*.py", "surveys/dispositions*.py",
                      "metrics/**/*.py", "metrics/**/*.sql"])
    assert any(f.name == "estimate.py" for f in files)
    offenders = [str(f.relative_to(ROOT)) for f in files if "household_identities" in f.read_text(encoding="utf-8")]
    assert offenders == []


# Every module that names household_identities, and why. Only READERS may select contact
# details; the others declare, load or generate the table. A new module naming the table
# fails here until it is added with its reason (and, if it reads, audited).
READERS = {
    "surveys/tokens_file.py": "the survey team's token and follow-up files (the one reader)",
}
NOT_READERS = {
    "warehouse/schema.py": "table declaration",
    "warehouse/schema_surveys.py": "docstring: where identity stays",
    "warehouse/migrations/m006_baseline.py": "frozen DDL",
    "warehouse/ingest/specs.py": "loader spec (writes rows)",
    "warehouse/synthetic/__init__.py": "synthetic city generator (writes rows)",
    "dashboard/commands/ingest_cmds.py": "help text of `ingest` (entity kinds)",
}


def test_household_identities_is_named_only_by_the_listed_modules() -> None:
    named = sorted(
        str(f.relative_to(ROOT))
        for pkg in ("warehouse", "surveys", "metrics", "dashboard")
        for f in (ROOT / pkg).rglob("*.py")
        if "household_identities" in f.read_text(encoding="utf-8")
    )
    assert named == sorted({**READERS, **NOT_READERS})


def test_only_the_token_file_reads_household_identities_in_surveys() -> None:
    readers = [f.name for f in (ROOT / "surveys").rglob("*.py") if "household_identities" in f.read_text(encoding="utf-8")]
    assert readers == [Path(r).name for r in READERS if r.startswith("surveys/")]


def test_response_tables_have_no_identity_columns() -> None:
    from warehouse.schema_surveys import survey_answers, survey_quality_flags, survey_responses

    for table in (survey_responses, survey_answers, survey_quality_flags):
        names = {c.name for c in table.columns}
        assert not names & {"household_id", "token", "token_hash", "invitation_id", "contact_name", "phone", "address"}
