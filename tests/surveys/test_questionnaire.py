"""Questionnaire loading, validation on load, and answer validation."""

from __future__ import annotations

import doctest
import importlib
import tomllib

import pytest

from surveys.errors import AnswersInvalid, QuestionnaireError
from surveys.questionnaire import (
    DEFAULT_PATH,
    content_hash,
    load_questionnaire,
    parse_questionnaire,
    validate_answers,
)

GOOD = {"overall": "满意", "responsiveness": "satisfied", "attitude": "Very satisfied",
        "problem_solved": "基本满意", "visited": "yes"}


def test_load_questionnaire_default_has_scale_and_items() -> None:
    q = load_questionnaire()
    assert q.version == "2025.1"
    assert [code for code, _, _ in q.scale_options] == [
        "very_satisfied", "satisfied", "fairly_satisfied", "dissatisfied", "very_dissatisfied"]
    assert [zh for _, zh, _ in q.scale_options] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert list(q.scale.values()) == [100, 80, 60, 20, 0]
    assert q.item("overall").kind == "scale" and q.item("comment").kind == "text"
    assert {"responsiveness", "attitude", "problem_solved", "visited"} <= {it.key for it in q.items}


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d.pop("version"), "version"),
        (lambda d: d["scale"][1].__setitem__("score", 120), "scale[1].score"),
        (lambda d: d["items"][2].__setitem__("kind", "slider"), "items[2].kind"),
        (lambda d: d["items"][1].__setitem__("key", "overall"), "items[1].key"),
        (lambda d: d.__setitem__("overall_item", "comment"), "overall_item"),
        (lambda d: d.__setitem__("satisfied_codes", ["great"]), "satisfied_codes"),
        (lambda d: d["items"][0].pop("text_zh"), "items[0].text_zh"),
    ],
)
def test_parse_questionnaire_error_names_the_key(mutate, key: str) -> None:
    data = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    mutate(data)
    with pytest.raises(QuestionnaireError, match=key.replace("[", r"\[").replace("]", r"\]")):
        parse_questionnaire(data)


def test_validate_answers_accepts_codes_and_labels() -> None:
    answers = validate_answers(load_questionnaire(), GOOD)
    assert [(a.item_key, a.answer_code, a.score) for a in answers][:4] == [
        ("overall", "satisfied", 80.0), ("responsiveness", "satisfied", 80.0),
        ("attitude", "very_satisfied", 100.0), ("problem_solved", "fairly_satisfied", 60.0)]


def test_validate_answers_reports_every_bad_key() -> None:
    with pytest.raises(AnswersInvalid) as info:
        validate_answers(load_questionnaire(), {**GOOD, "overall": "maybe", "extra": 1, "attitude": None,
                                                "comment": "x" * 501})
    assert set(info.value.errors) == {"overall", "extra", "attitude", "comment"}


def test_content_hash_same_answers_same_hash_text_escaped() -> None:
    q = load_questionnaire()
    a = validate_answers(q, {**GOOD, "comment": "a\tb"})
    b = validate_answers(q, {**GOOD, "overall": "satisfied", "comment": "a\tb"})
    c = validate_answers(q, {**GOOD, "comment": "a\\tb"})
    assert content_hash(q.version, a) == content_hash(q.version, b) != content_hash(q.version, c)


@pytest.mark.parametrize("module", ["surveys.questionnaire", "surveys.design", "surveys.estimate", "surveys.dispositions"])
def test_doctests_pass(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
