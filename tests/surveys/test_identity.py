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


def test_only_the_token_file_reads_household_identities_in_surveys() -> None:
    readers = [f.name for f in (ROOT / "surveys").rglob("*.py") if "household_identities" in f.read_text(encoding="utf-8")]
    assert readers == ["tokens_file.py"]


def test_response_tables_have_no_identity_columns() -> None:
    from warehouse.schema_surveys import survey_answers, survey_quality_flags, survey_responses

    for table in (survey_responses, survey_answers, survey_quality_flags):
        names = {c.name for c in table.columns}
        assert not names & {"household_id", "token", "token_hash", "invitation_id", "contact_name", "phone", "address"}
