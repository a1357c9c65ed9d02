"""The versioned questionnaire: items in Chinese and English, the scale and its scores.

A questionnaire is a TOML file (`surveys/questionnaires/default.toml` by default).
It is validated when loaded; every error names the key at fault. `validate_answers`
checks a submission against it and returns the canonical answers that intake stores.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from surveys.errors import AnswersInvalid, QuestionnaireError

DEFAULT_PATH = Path(__file__).with_name("questionnaires") / "default.toml"
KINDS = ("scale", "choice", "text")


@dataclass(frozen=True)
class Item:
    """One question: key, texts, kind, whether required, its options."""

    key: str
    text_zh: str
    text_en: str
    kind: Literal["scale", "choice", "text"]
    required: bool
    options: tuple[tuple[str, str, str], ...]
    max_length: int = 500


@dataclass(frozen=True)
class Answer:
    """A validated answer: the code (scale/choice), its 0–100 score (scale), or text."""

    item_key: str
    answer_code: str | None
    score: float | None
    answer_text: str | None


@dataclass(frozen=True)
class Questionnaire:
    """A loaded, validated questionnaire version."""

    version: str
    title_zh: str
    title_en: str
    intro_zh: str
    intro_en: str
    items: tuple[Item, ...]
    scale: dict[str, float]
    scale_options: tuple[tuple[str, str, str], ...]
    overall_item: str
    satisfied_codes: frozenset[str]
    min_seconds: float

    def item(self, key: str) -> Item:
        """The item with this key (KeyError if none)."""
        for it in self.items:
            if it.key == key:
                return it
        raise KeyError(key)

    @property
    def scale_items(self) -> tuple[str, ...]:
        """Keys of the scale items, in questionnaire order."""
        return tuple(it.key for it in self.items if it.kind == "scale")


def _need(table: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in table:
        raise QuestionnaireError(f"questionnaire: missing key {where}{key}")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise QuestionnaireError(f"questionnaire: key {where}{key} has the wrong type ({value!r})")
    return value


def _options(raw: Any, where: str) -> tuple[tuple[str, str, str], ...]:
    if not isinstance(raw, list) or not raw:
        raise QuestionnaireError(f"questionnaire: key {where} must be a non-empty list of options")
    seen: set[str] = set()
    out = []
    for i, opt in enumerate(raw):
        here = f"{where}[{i}]."
        if not isinstance(opt, dict):
            raise QuestionnaireError(f"questionnaire: key {where}[{i}] must be a table")
        code = _need(opt, "code", here, str)
        if code in seen:
            raise QuestionnaireError(f"questionnaire: key {here}code repeats {code!r}")
        seen.add(code)
        out.append((code, _need(opt, "label_zh", here, str), _need(opt, "label_en", here, str)))
    return tuple(out)


def parse_questionnaire(data: Mapping[str, Any]) -> Questionnaire:
    """Build a `Questionnaire` from parsed TOML, checking every key.

    Raises:
        QuestionnaireError: naming the first key that is missing or wrong.
    """
    version = _need(data, "version", "", str)
    if not version.strip():
        raise QuestionnaireError("questionnaire: key version must not be empty")
    scale_raw = _need(data, "scale", "", list)
    scale_options = _options(scale_raw, "scale")
    scale: dict[str, float] = {}
    for i, opt in enumerate(scale_raw):
        score = _need(opt, "score", f"scale[{i}].", (int, float))
        if not 0 <= score <= 100:
            raise QuestionnaireError(f"questionnaire: key scale[{i}].score must be within 0–100 (got {score})")
        scale[opt["code"]] = float(score)
    items_raw = _need(data, "items", "", list)
    if not items_raw:
        raise QuestionnaireError("questionnaire: key items must list at least one item")
    items: list[Item] = []
    keys: set[str] = set()
    for i, raw in enumerate(items_raw):
        here = f"items[{i}]."
        if not isinstance(raw, dict):
            raise QuestionnaireError(f"questionnaire: key items[{i}] must be a table")
        key = _need(raw, "key", here, str)
        if key in keys:
            raise QuestionnaireError(f"questionnaire: key {here}key repeats {key!r}")
        keys.add(key)
        kind = _need(raw, "kind", here, str)
        if kind not in KINDS:
            raise QuestionnaireError(f"questionnaire: key {here}kind must be one of {', '.join(KINDS)} (got {kind!r})")
        required = raw.get("required", False)
        if not isinstance(required, bool):
            raise QuestionnaireError(f"questionnaire: key {here}required must be true or false")
        if kind == "scale":
            options = scale_options
        elif kind == "choice":
            options = _options(raw.get("options"), f"{here}options")
        else:
            options = ()
        max_length = raw.get("max_length", 500)
        if not isinstance(max_length, int) or max_length <= 0:
            raise QuestionnaireError(f"questionnaire: key {here}max_length must be a positive integer")
        items.append(
            Item(
                key=key,
                text_zh=_need(raw, "text_zh", here, str),
                text_en=_need(raw, "text_en", here, str),
                kind=kind,  # type: ignore[arg-type]
                required=required,
                options=options,
                max_length=max_length,
            )
        )
    overall = _need(data, "overall_item", "", str)
    by_key = {it.key: it for it in items}
    if overall not in by_key or by_key[overall].kind != "scale":
        raise QuestionnaireError(f"questionnaire: key overall_item must name a scale item (got {overall!r})")
    if not by_key[overall].required:
        raise QuestionnaireError("questionnaire: key overall_item must name a required item")
    satisfied = _need(data, "satisfied_codes", "", list)
    unknown = [c for c in satisfied if c not in scale]
    if not satisfied or unknown:
        raise QuestionnaireError(f"questionnaire: key satisfied_codes must list scale codes (unknown: {unknown})")
    min_seconds = data.get("min_seconds", 20)
    if not isinstance(min_seconds, int | float) or isinstance(min_seconds, bool) or min_seconds < 0:
        raise QuestionnaireError("questionnaire: key min_seconds must be a number ≥ 0")
    return Questionnaire(
        version=version,
        title_zh=str(data.get("title_zh", "")),
        title_en=str(data.get("title_en", "")),
        intro_zh=str(data.get("intro_zh", "")),
        intro_en=str(data.get("intro_en", "")),
        items=tuple(items),
        scale=scale,
        scale_options=scale_options,
        overall_item=overall,
        satisfied_codes=frozenset(satisfied),
        min_seconds=float(min_seconds),
    )


def load_questionnaire(path: str | Path | None = None) -> Questionnaire:
    """Load and validate a questionnaire TOML file (default: the shipped one).

    Raises:
        QuestionnaireError: the file is missing, not TOML, or a key is wrong.
    """
    file = Path(path) if path is not None else DEFAULT_PATH
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QuestionnaireError(f"questionnaire file not found: {file}") from None
    except tomllib.TOMLDecodeError as exc:
        raise QuestionnaireError(f"questionnaire {file} is not valid TOML: {exc}") from None
    return parse_questionnaire(data)


_registry: dict[str, Questionnaire] = {}


def register(q: Questionnaire) -> None:
    """Make a questionnaire version known to intake (the default one is always known)."""
    _registry[q.version] = q


def questionnaire_for(version: str) -> Questionnaire:
    """The questionnaire of a version: one registered in this process, else the shipped
    files in `surveys/questionnaires/` (any `*.toml` whose `version` matches).

    Raises:
        SurveyError: no questionnaire of that version is known.
    """
    if version in _registry:
        return _registry[version]
    for file in sorted(DEFAULT_PATH.parent.glob("*.toml")):
        try:
            q = load_questionnaire(file)
        except QuestionnaireError:
            continue
        register(q)
        if q.version == version:
            return q
    from surveys.errors import SurveyError

    raise SurveyError(
        f"questionnaire version {version!r} is not known (put its TOML file in {DEFAULT_PATH.parent})"
    )


def _code_for(item: Item, value: object) -> str | None:
    """Accept an option's code, Chinese label or English label; return its code."""
    text = str(value).strip()
    for code, zh, en in item.options:
        if text in (code, zh) or text.lower() == en.lower():
            return code
    return None


def validate_answers(q: Questionnaire, answers: Mapping[str, object]) -> tuple[Answer, ...]:
    """Check answers against the questionnaire and return them canonical, in item order.

    Empty values (None, "") count as not answered. Codes may be given as the code or
    either label.

    Raises:
        AnswersInvalid: with one message per offending item key.

    Examples:
        >>> q = load_questionnaire()
        >>> a = validate_answers(q, {"overall": "满意", "responsiveness": "satisfied",
        ...     "attitude": "very_satisfied", "problem_solved": "基本满意", "visited": "yes"})
        >>> [(x.item_key, x.score) for x in a][:2]
        [('overall', 80.0), ('responsiveness', 80.0)]
    """
    errors: dict[str, str] = {}
    known = {it.key for it in q.items}
    for key in answers:
        if key not in known:
            errors[str(key)] = "unknown item"
    out: list[Answer] = []
    for it in q.items:
        value = answers.get(it.key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if it.required:
                errors[it.key] = "required"
            continue
        if it.kind == "text":
            text = str(value).strip()
            if len(text) > it.max_length:
                errors[it.key] = f"longer than {it.max_length} characters"
                continue
            out.append(Answer(it.key, None, None, text))
            continue
        code = _code_for(it, value)
        if code is None:
            errors[it.key] = f"not an option: {str(value)[:40]!r}"
            continue
        score = q.scale[code] if it.kind == "scale" else None
        out.append(Answer(it.key, code, score, None))
    if errors:
        raise AnswersInvalid(errors)
    return tuple(out)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def canonical_answers(version: str, answers: tuple[Answer, ...]) -> str:
    """The canonical text of a submission: version, then one line per answer in item order.

    Each line is ``key<TAB>code<TAB>text`` with backslash, newline and tab in the text
    escaped, so the same answers always give the same text (and `content_hash`).
    `surveys.intake.CONTENT_HASH_SQL` builds the same text in DuckDB for bulk intake.
    """
    lines = [f"{a.item_key}\t{a.answer_code or ''}\t{_escape(a.answer_text or '')}" for a in answers]
    return version + "\n" + "\n".join(lines)


def content_hash(version: str, answers: tuple[Answer, ...]) -> str:
    """sha256 (hex) of the canonical answers: what a retry must repeat exactly."""
    return hashlib.sha256(canonical_answers(version, answers).encode()).hexdigest()
