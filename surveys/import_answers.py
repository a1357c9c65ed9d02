"""Phone and paper answers: a CSV/Excel file of (token, answers…, channel) through `submit`.

The file is read with the warehouse's ingest reader (same formats, encodings and
bilingual headers as `gridscore ingest`); every row then goes through
`surveys.intake.submit`, so the token, retry and conflict rules are exactly those of
the web form. A row may instead carry a non-complete disposition (refusal,
non-contact, …), which is recorded for the token.

Re-importing the same file is safe: a row's submission id is derived from the file's
content hash and the row number (never from the token, which would link the
response to its household), so the second import reports "already_received".
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import polars as pl

from surveys.dispositions import RECORDABLE, record_dispositions
from surveys.errors import AnswersInvalid, SubmissionConflict, SurveyError, TokenRejected
from surveys.intake import submit
from surveys.questionnaire import Questionnaire, load_questionnaire
from warehouse.errors import IngestError
from warehouse.ingest.read import file_sha256, read_tabular
from warehouse.ingest.specs import ColumnSpec, KindSpec

BASE_COLUMNS = (
    ColumnSpec("token", "令牌", required=True, help="single-use token from the token file", aliases=("码",)),
    ColumnSpec("channel", "渠道", help="phone | paper (default from the command)"),
    ColumnSpec("disposition", "结果", help="complete (default) | partial | refusal | non_contact | ineligible | unknown"),
    ColumnSpec("entered_by", "录入人", help="staff member who keyed the answers in"),
    ColumnSpec("submission_id", "提交编号", help="optional retry key (default: file hash + row)"),
)


def answers_spec(q: Questionnaire) -> KindSpec:
    """The import file's columns: token, channel, disposition, entered_by, then one per item."""
    items = tuple(ColumnSpec(it.key, it.text_zh[:20], help=it.text_en) for it in q.items)
    return KindSpec(
        kind="survey_answers",
        zh="问卷答案",
        table="survey_responses",
        key=("token",),
        columns=BASE_COLUMNS + items,
        description="phone / paper survey answers",
    )


def import_answers(
    db,
    path: str | Path,
    *,
    channel: Literal["phone", "paper"] = "paper",
    entered_by: str | None = None,
    questionnaire: Questionnaire | None = None,
) -> pl.DataFrame:
    """Import a file of phone/paper answers; return one result per row.

    Args:
        db: open database (writable).
        path: CSV or Excel file.
        channel: channel for rows that do not name one.
        entered_by: staff member for rows that do not name one.
        questionnaire: questionnaire whose items are the answer columns.

    Returns:
        row_number, status ("accepted", "already_received", "disposition_recorded",
        "rejected") and reason (why a row was rejected).

    Raises:
        SurveyError: the file cannot be read as a table.
    """
    q = questionnaire or load_questionnaire()
    try:
        frame = read_tabular(path, answers_spec(q))
    except IngestError as exc:
        raise SurveyError(str(exc)) from None
    digest = file_sha256(Path(path))
    results: list[tuple[int, str, str | None]] = []
    dispositions: list[tuple[int, str, str]] = []
    for row in frame.iter_rows(named=True):
        number = row["row_number"]
        disposition = (row["disposition"] or "complete").strip().lower()
        if disposition != "complete":
            if disposition not in RECORDABLE:
                results.append((number, "rejected", f"disposition: not a code: {disposition!r}"))
            else:
                dispositions.append((number, row["token"], disposition))
            continue
        answers = {it.key: row[it.key] for it in q.items}
        submission_id = row["submission_id"] or f"import-{digest[:24]}-{number}"
        try:
            result = submit(
                db, row["token"], answers, submission_id=submission_id,
                channel=(row["channel"] or channel).strip().lower(),  # type: ignore[arg-type]
                entered_by=row["entered_by"] or entered_by,
            )
            results.append((number, result.status, None))
        except TokenRejected as exc:
            results.append((number, "rejected", f"token {exc.reason}"))
        except AnswersInvalid as exc:
            results.append((number, "rejected", str(exc)))
        except (SubmissionConflict, SurveyError) as exc:
            results.append((number, "rejected", str(exc)))
    if dispositions:
        numbers = [d[0] for d in dispositions]
        recorded = record_dispositions(
            db, pl.DataFrame({"token": [d[1] for d in dispositions], "disposition": [d[2] for d in dispositions]})
        )
        for number, outcome in zip(numbers, recorded["result"].to_list(), strict=True):
            if outcome == "recorded":
                results.append((number, "disposition_recorded", None))
            elif outcome == "already_complete":
                results.append((number, "rejected", "token already has a completed response"))
            else:
                results.append((number, "rejected", "token unknown"))
    return pl.DataFrame(
        results, schema={"row_number": pl.Int64, "status": pl.String, "reason": pl.String}, orient="row"
    ).sort("row_number")
