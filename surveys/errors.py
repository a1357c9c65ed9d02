"""The surveys layer's exception root and its specific errors."""

from __future__ import annotations

from collections.abc import Mapping


class SurveyError(Exception):
    """Root of survey errors; the message is written for the user (one line)."""


class QuestionnaireError(SurveyError):
    """A questionnaire file is invalid; the message names the key."""


class DesignError(SurveyError):
    """A sample cannot be drawn as asked (unknown period, bad option, existing design)."""


class TokenRejected(SurveyError):
    """A token is unknown, expired or already used.

    `reason` ("unknown", "expired", "used") is for logs only: a resident is shown one
    polite message for all three, so a token cannot be probed.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__("this survey link is not valid or has already been used (问卷链接无效或已使用)")


class SubmissionConflict(SurveyError):
    """A submission differs from what was already stored for its token or id; nothing is overwritten."""


class AnswersInvalid(SurveyError):
    """Answers do not fit the questionnaire; `errors` maps item key → message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(self.errors.items()))
        super().__init__(f"answers invalid: {detail}")
