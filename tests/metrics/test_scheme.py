"""The scheme loads strictly: every bad scheme is refused with a message naming the key."""

from __future__ import annotations

import pytest

from metrics.scheme import DEFAULT_SCHEME, SchemeError, load_scheme, scheme_from_text

DEFAULT_TEXT = DEFAULT_SCHEME.read_text(encoding="utf-8")


def _bad(old: str, new: str) -> str:
    assert old in DEFAULT_TEXT, old
    return DEFAULT_TEXT.replace(old, new, 1)


def test_load_scheme_default_is_415() -> None:
    s = load_scheme()
    assert [(p.key, p.weight) for p in s.pillars] == [("results", 40), ("skills", 10), ("satisfaction", 50)]
    assert s.pillar("results").source == "indicators"
    keys = {i.key: i for i in s.indicators}
    assert keys["mediation_success"].target == 0.95
    assert keys["hotline_resolution"].target == 0.90
    assert keys["screening_frequency"].denominator.per_year == 24
    assert keys["key_person_followup"].target == 0.95
    assert [g.key for g in s.grades] == ["excellent", "good", "pass", "fail"]
    assert len(s.hash) == 64


def test_scheme_hash_ignores_comments_and_changes_with_content() -> None:
    a = scheme_from_text(DEFAULT_TEXT)
    b = scheme_from_text("# a comment\n" + DEFAULT_TEXT)
    c = scheme_from_text(_bad("cap = 5.0", "cap = 4.0"))
    assert a.hash == b.hash
    assert a.hash != c.hash


def test_scheme_pillar_weights_not_summing_refused() -> None:
    text = _bad("weight = 50\n", "weight = 40\n")
    with pytest.raises(SchemeError, match=r"^pillars: weights sum to 90, must sum to 100"):
        scheme_from_text(text)


def test_scheme_indicator_weights_not_summing_refused() -> None:
    text = _bad("floor = 0.60\nweight = 20", "floor = 0.60\nweight = 25")
    with pytest.raises(SchemeError, match=r"pillars\.results indicator: weights sum to 105.*mediation_success=25"):
        scheme_from_text(text)


def test_scheme_gap_in_grade_bands_refused() -> None:
    text = _bad('key = "pass"\nname_zh = "合格"\nmin = 60.0', 'key = "pass"\nname_zh = "合格"\nmin = 70.0')
    with pytest.raises(SchemeError, match=r"grades: gap between 60 \(fail\) and 70 \(pass\)"):
        scheme_from_text(text)


def test_scheme_gap_in_indicator_bands_refused() -> None:
    text = _bad("{ min = 0.5, max = 0.75, points = 60 }", "{ min = 0.55, max = 0.75, points = 60 }")
    with pytest.raises(SchemeError, match=r"indicators\.screening_frequency\.bands: gap between 0\.5 and 0\.55"):
        scheme_from_text(text)


def test_scheme_unknown_indicator_key_refused() -> None:
    text = _bad('key = "visit_coverage"\n', 'key = "visit_coverage"\nthreshold = 3\n')
    with pytest.raises(SchemeError, match=r"^indicators\.visit_coverage\.threshold: unknown key"):
        scheme_from_text(text)


def test_scheme_unknown_indicator_measure_refused() -> None:
    text = _bad('numerator = { type = "visit",', 'numerator = { type = "visits",')
    with pytest.raises(SchemeError, match=r"^indicators\.visit_coverage\.numerator\.type: unknown code 'visits'"):
        scheme_from_text(text)


def test_scheme_unknown_pillar_of_indicator_refused() -> None:
    text = _bad('key = "mediation_success"\npillar = "results"', 'key = "mediation_success"\npillar = "outcomes"')
    with pytest.raises(SchemeError, match=r"^indicators\.mediation_success\.pillar: unknown pillar 'outcomes'"):
        scheme_from_text(text)


def test_scheme_negative_target_refused() -> None:
    text = _bad("target = 0.95               # seed 001: success", "target = -0.95  # seed 001: success")
    with pytest.raises(SchemeError, match=r"^indicators\.mediation_success\.target: must not be negative, got -0\.95"):
        scheme_from_text(text)


def test_scheme_missing_target_refused() -> None:
    text = _bad("target = 0.90               # seed 003", "# no target")
    with pytest.raises(SchemeError, match=r"^indicators\.hotline_resolution\.target: missing"):
        scheme_from_text(text)


def test_scheme_unknown_top_level_key_refused() -> None:
    with pytest.raises(SchemeError, match=r"^extras: unknown key"):
        scheme_from_text(DEFAULT_TEXT + "\n[extras]\na = 1\n")


def test_scheme_invalid_toml_refused() -> None:
    with pytest.raises(SchemeError, match="not valid TOML"):
        scheme_from_text("[scheme\n")


def test_scheme_renamed_pillar_refused_naming_the_key() -> None:
    """A scheme cannot invent a pillar: the stored scores have a column set per declared kind."""
    text = _bad("[pillars.skills]", "[pillars.skill]")
    with pytest.raises(SchemeError, match=r"^pillars\.skill: unknown pillar 'skill' \(the pillars are fixed kinds: results, skills, satisfaction\)$"):
        scheme_from_text(text)


def test_scheme_missing_pillar_refused_naming_the_key(tmp_path) -> None:
    start = DEFAULT_TEXT.index("[pillars.skills]")
    end = DEFAULT_TEXT.index("[pillars.satisfaction]")
    text = DEFAULT_TEXT[:start] + DEFAULT_TEXT[end:]
    path = tmp_path / "two_pillars.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError, match=r"^pillars\.skills: missing \(every pillar kind is required"):
        load_scheme(path)


def test_scheme_pillar_with_another_kinds_source_refused() -> None:
    text = _bad('source = "skill_assessments"', 'source = "survey"')
    with pytest.raises(SchemeError, match=r"^pillars\.skills\.source: pillar 'skills' takes source 'skill_assessments', got 'survey'$"):
        scheme_from_text(text)


def test_scheme_may_set_pillar_weights_and_names() -> None:
    text = _bad("weight = 40\nsource", "weight = 30\nsource")
    text = text.replace("weight = 10\nsource", "weight = 20\nsource", 1).replace('name_zh = "业务技能"', 'name_zh = "技能考核"', 1)
    s = scheme_from_text(text)
    assert [(p.key, p.weight) for p in s.pillars] == [("results", 30), ("skills", 20), ("satisfaction", 50)]
    assert s.pillar("skills").name_zh == "技能考核"


def test_scheme_roles_default_rules() -> None:
    s = load_scheme()
    assert s.role_rule("grid_worker").satisfaction == "grid"
    assert s.role_rule("grid_worker").indicators is None
    assert s.role_rule("coordinator").satisfaction == "served_grids"
    assert s.role_rule("community_staff").satisfaction == "department_area"
    assert s.role_rule("department_staff").satisfaction == "department_area"
    assert not s.role_rule("grid_police").applies("screening_frequency")
    assert not s.role_rule("coordinator").applies("visit_coverage")
    assert s.role_rule("coordinator").applies("screening_frequency")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("[roles.grid_head]", "[roles.janitor]", r"^roles\.janitor: unknown role"),
    ('satisfaction = "served_grids"', 'satisfaction = "street"',
     r"^roles\.coordinator\.satisfaction: must be one of grid, served_grids, department_area"),
    ('indicators = ["hotline_resolution", "on_time_closure"]\n\n[roles.department_staff]',
     'indicators = ["hotline_resolution", "typing_speed"]\n\n[roles.department_staff]',
     r"^roles\.community_staff\.indicators: unknown code 'typing_speed'"),
    ('[roles.grid_head]\nsatisfaction = "grid"', '[roles.grid_head]\nsatisfaction = "grid"\nweight = 3',
     r"^roles\.grid_head\.weight: unknown key"),
])
def test_scheme_bad_role_rules_refused(old: str, new: str, message: str) -> None:
    with pytest.raises(SchemeError, match=message):
        scheme_from_text(_bad(old, new))
