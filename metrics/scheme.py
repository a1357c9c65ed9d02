"""The scoring scheme: a versioned TOML file, loaded into frozen dataclasses and validated.

The scheme holds every number a supervisor may argue about — pillar weights (the 4:1:5
rule), indicators with their measure, targets or bands, deductions, bonus cap, veto
categories, grade bands and quota, eligibility and roll-up rules — so the code holds
none. Loading is strict: any unknown key, missing target, weights that do not sum, or
bands with a gap is refused with a one-line message naming the key.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metrics.errors import ScoringError
from warehouse.enums import (
    GRADES,
    VETO_SEVERITIES,
    VETO_STATUSES,
    WARNING_LEVELS,
    WORK_OUTCOMES,
    WORK_SOURCES,
    WORK_STATUSES,
    WORK_TYPES,
    WORKER_ROLES,
)
from warehouse.pillars import PILLAR_KEYS, PILLAR_KINDS, pillar_kind

DEFAULT_SCHEME = Path(__file__).parent / "schemes" / "default.toml"

PILLAR_SOURCES = tuple(k.source for k in PILLAR_KINDS)
DEDUCTION_EVENTS = ("inspection", "rectification_overdue", "valid_complaint", "failed_spot_check")
FILTER_CODES: dict[str, dict[str, str]] = {
    "type": WORK_TYPES,
    "status": WORK_STATUSES,
    "outcome": WORK_OUTCOMES,
    "warning_level": WARNING_LEVELS,
    "source": WORK_SOURCES,
}
FILTER_FLAGS = ("on_time", "has_due", "verified")
DISTINCT_COLUMNS = ("household_id",)
# grid last: each level's Monte Carlo stream is spawned from its position (B11), so adding
# the grid level left the department, community and street draws of a seed unchanged
ROLLUP_LEVELS = ("department", "community", "street", "grid")
SATISFACTION_SOURCES: dict[str, str] = {
    "grid": "the estimate of the worker's own grid (workers.grid_id)",
    "served_grids": "the household-weighted estimate over the grids the worker serves (worker_areas)",
    "department_area": "the estimate of the org unit the worker's department serves (departments.unit_id)",
}
"""Where a role's residents' satisfaction comes from (docs/methodology.md, "Who is assessed on what")."""
WEIGHT_TOLERANCE = 1e-6
# indicator and deduction keys name result columns (`<key>__num`) and query parts
ITEM_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # TOML keys that need no quotes


class SchemeError(ScoringError):
    """The scheme file is invalid; the message names the key and the problem."""


@dataclass(frozen=True)
class RecordFilter:
    """A filter over work records: codes per column, flags, and an optional distinct count."""

    codes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    on_time: bool | None = None
    has_due: bool | None = None
    verified: bool | None = None
    distinct: str | None = None
    households: bool = False
    per_year: float | None = None


@dataclass(frozen=True)
class Band:
    """Points awarded when the value lies in [low, high)."""

    low: float
    high: float
    points: float


@dataclass(frozen=True)
class Indicator:
    """One indicator: measure (numerator/denominator), normalisation and weight in its pillar."""

    key: str
    pillar: str
    name_zh: str
    name_en: str
    numerator: RecordFilter
    denominator: RecordFilter
    direction: str
    weight: float
    target: float | None = None
    floor: float | None = None
    bands: tuple[Band, ...] = ()


@dataclass(frozen=True)
class Deduction:
    """A deduction item inside a pillar (B4): full points, points per event, zeroing events."""

    key: str
    pillar: str
    name_zh: str
    name_en: str
    full: float
    weight: float
    events: tuple[tuple[str, float | None], ...]  # None = the recorded points
    zeroing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pillar:
    """A pillar of the total (results, skills, satisfaction) with its weight out of the cap."""

    key: str
    name_zh: str
    name_en: str
    weight: float
    source: str
    min_coverage: float
    measurement_sd: float = 0.0
    value: str = "shrunk"
    estimator: str = "shrinkage"  # survey pillar: direct | shrinkage | fay_herriot (surveys.scored)
    estimand: str = "population"  # survey pillar: population | mix_adjusted


@dataclass(frozen=True)
class Grade:
    """A grade band [low, high) on the rounded score (the top band includes the cap)."""

    key: str
    name_zh: str
    low: float
    high: float


@dataclass(frozen=True)
class VetoCategory:
    """A veto category and its default severity."""

    key: str
    name_zh: str
    name_en: str
    severity: str


@dataclass(frozen=True)
class VetoRules:
    """How vetoes act (B7)."""

    acting_statuses: tuple[str, ...]
    grade_cap: str
    no_award_cap: str
    grid_roles: tuple[str, ...]
    community_reaches_workers: bool
    categories: tuple[VetoCategory, ...]


@dataclass(frozen=True)
class Quota:
    """Optional top-grade quota (B8): at most floor(top_share · eligible) per role."""

    top_share: float = 0.0
    tie_rule: str = "include"


@dataclass(frozen=True)
class Eligibility:
    """Eligibility for ranking (B9)."""

    min_months_in_post: float = 6
    survey_n_min: int = 10
    min_reliability: float = 0.7
    require_coverage: bool = True
    exclude_pending_appeal: bool = True


@dataclass(frozen=True)
class RoleRule:
    """How the scheme assesses one role: where its satisfaction comes from, which indicators apply.

    `indicators` None means every indicator of the scheme applies; otherwise only the
    listed ones are items of the role's pillars (the others are not measured for it, so
    they neither count as missing nor dilute a unit's Σnum/Σden). Deduction items apply
    to every role.
    """

    role: str
    satisfaction: str = "grid"
    indicators: tuple[str, ...] | None = None

    def applies(self, indicator: str) -> bool:
        """Whether the indicator is measured for this role."""
        return self.indicators is None or indicator in self.indicators


@dataclass(frozen=True)
class Uncertainty:
    """Monte Carlo settings (B11)."""

    weight_jitter: float = 0.25
    top_k: int = 10
    interval: float = 0.90
    tied_below: float = 0.80  # "statistically tied": P(own grade) from data noise below this
    rank_set: float = 0.90  # level of the simultaneous rank confidence sets (csranks)


@dataclass(frozen=True)
class Scheme:
    """A complete, validated scoring scheme."""

    key: str
    version: str
    name_zh: str
    name_en: str
    cap: float
    decimals: int
    pillars: tuple[Pillar, ...]
    indicators: tuple[Indicator, ...]
    deductions: tuple[Deduction, ...]
    bonus_cap: float
    bonus_categories: tuple[tuple[str, str], ...]
    veto: VetoRules
    grades: tuple[Grade, ...]
    quota: Quota
    eligibility: Eligibility
    rollup_levels: tuple[str, ...]
    member_weight: str
    uncertainty: Uncertainty
    roles: tuple[RoleRule, ...] = ()
    source_hash: str = field(default="", compare=False)

    @property
    def hash(self) -> str:
        """sha256 of the scheme's canonical content (independent of comments and layout)."""
        return self.source_hash

    def pillar(self, key: str) -> Pillar:
        """The pillar named `key`."""
        for p in self.pillars:
            if p.key == key:
                return p
        raise SchemeError(f"scheme has no pillar {key!r}")

    def items(self, pillar: str) -> list[Indicator | Deduction]:
        """Indicators and deduction items of a pillar, in scheme order."""
        return [i for i in self.indicators if i.pillar == pillar] + [
            d for d in self.deductions if d.pillar == pillar
        ]

    def role_rule(self, role: str) -> RoleRule:
        """The rule for `role` (a role the scheme does not list: own grid, every indicator)."""
        return next((r for r in self.roles if r.role == role), RoleRule(role))

    def veto_category(self, key: str) -> VetoCategory | None:
        """The veto category named `key` (None when the scheme does not list it)."""
        return next((c for c in self.veto.categories if c.key == key), None)


# --------------------------------------------------------------------------- parsing


class _Table:
    """A TOML table being read: tracks the keys used so unknown keys can be refused."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise SchemeError(f"{where}: expected a table, got {type(data).__name__}")
        self.data = data
        self.where = where
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        """The dotted path of `name` in this table, TOML-quoted unless it is a bare key."""
        part = name if _BARE_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)
        return f"{self.where}.{part}" if self.where else part

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ..., *, where: str | None = None) -> Any:
        self.used.add(name)
        if name not in self.data:
            if default is ...:
                raise SchemeError(f"{self.key(name)}: missing")
            return default
        value = self.data[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and bool not in kinds:
            raise SchemeError(f"{self.key(name)}: expected {'/'.join(k.__name__ for k in kinds)}, got {value!r}")
        if not isinstance(value, kinds):
            raise SchemeError(f"{self.key(name)}: expected {'/'.join(k.__name__ for k in kinds)}, got {value!r}")
        return value

    def table(self, name: str, *, required: bool = True) -> _Table:
        self.used.add(name)
        if name not in self.data:
            if required:
                raise SchemeError(f"{self.key(name)}: missing")
            return _Table({}, self.key(name))
        return _Table(self.data[name], self.key(name))

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise SchemeError(f"{self.key(unknown[0])}: unknown key")


def _number(t: _Table, name: str, default: Any = ..., *, minimum: float | None = None, maximum: float | None = None) -> float:
    value = t.get(name, float, default)
    if value is None:
        return value
    if math.isnan(value):
        raise SchemeError(f"{t.key(name)}: must be a number, got nan")
    if minimum is not None and value < minimum:
        what = "negative" if minimum == 0 else f"below {minimum:g}"
        raise SchemeError(f"{t.key(name)}: must not be {what}, got {value:g}")
    if maximum is not None and value > maximum:
        raise SchemeError(f"{t.key(name)}: must be at most {maximum:g}, got {value:g}")
    return value


def _codes(t: _Table, name: str, allowed: dict[str, str] | tuple[str, ...]) -> tuple[str, ...]:
    raw = t.get(name, (str, list))
    values = [raw] if isinstance(raw, str) else raw
    if not values:
        raise SchemeError(f"{t.key(name)}: empty list")
    for v in values:
        if not isinstance(v, str) or v not in allowed:
            raise SchemeError(f"{t.key(name)}: unknown code {v!r} (allowed: {', '.join(allowed)})")
    return tuple(values)


def _filter(data: Any, where: str, *, denominator: bool) -> RecordFilter:
    t = _Table(data, where)
    codes = tuple((col, _codes(t, col, allowed)) for col, allowed in FILTER_CODES.items() if col in t.data)
    flags = {f: t.get(f, bool, None) for f in FILTER_FLAGS}
    distinct = t.get("distinct", str, None)
    if distinct is not None and distinct not in DISTINCT_COLUMNS:
        raise SchemeError(f"{t.key('distinct')}: unknown column {distinct!r} (allowed: {', '.join(DISTINCT_COLUMNS)})")
    households = False
    per_year = None
    if denominator:
        households = t.get("households", bool, False)
        per_year = _number(t, "per_year", None, minimum=0)
        if per_year is not None and per_year == 0:
            raise SchemeError(f"{t.key('per_year')}: must be positive")
        special = households or per_year is not None
        if special and (codes or any(v is not None for v in flags.values()) or distinct):
            raise SchemeError(f"{where}: households / per_year cannot be combined with record filters")
        if households and per_year is not None:
            raise SchemeError(f"{where}: choose one of households and per_year")
    t.done()
    return RecordFilter(codes=codes, distinct=distinct, households=households, per_year=per_year, **flags)


def _bands(raw: Any, where: str) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        raise SchemeError(f"{where}: expected a non-empty list of bands")
    bands = []
    for n, item in enumerate(raw):
        t = _Table(item, f"{where}[{n}]")
        low = _number(t, "min")
        high = _number(t, "max")
        points = _number(t, "points", minimum=0, maximum=100)
        t.done()
        if not high > low:
            raise SchemeError(f"{t.where}: max {high:g} must exceed min {low:g}")
        bands.append(Band(low, high, points))
    bands.sort(key=lambda b: b.low)
    for a, b in zip(bands, bands[1:], strict=False):
        if b.low > a.high:
            raise SchemeError(f"{where}: gap between {a.high:g} and {b.low:g} (values there fall in no band)")
        if b.low < a.high:
            raise SchemeError(f"{where}: bands overlap between {b.low:g} and {a.high:g}")
    return tuple(bands)


def _check_weights(where: str, weights: list[tuple[str, float]], total: float) -> None:
    s = sum(w for _, w in weights)
    if abs(s - total) > WEIGHT_TOLERANCE:
        parts = ", ".join(f"{k}={w:g}" for k, w in weights)
        raise SchemeError(f"{where}: weights sum to {s:g}, must sum to {total:g} ({parts})")


@dataclass(frozen=True)
class _Head:
    """The `[scheme]` table: identity, cap and rounding."""

    key: str
    version: str
    name_zh: str
    name_en: str
    cap: float
    decimals: int


def _parse_head(root: _Table) -> _Head:
    head = root.table("scheme")
    key = head.get("key", str)
    version = head.get("version", str)
    name_zh = head.get("name_zh", str)
    name_en = head.get("name_en", str, "")
    cap = _number(head, "cap", 100.0, minimum=0)
    decimals = head.get("decimals", int, 1)
    if not 0 <= decimals <= 4:
        raise SchemeError(f"scheme.decimals: must be 0–4, got {decimals}")
    head.done()
    return _Head(key, version, name_zh, name_en, cap, decimals)


def _survey_choice(t: _Table, source: str, value: str) -> tuple[str, str]:
    """`estimator` and `estimand` of a survey pillar (surveys.scored), checked on load.

    `value = "mean"` (the older key) means the direct estimate; naming both `value` and a
    different estimator is refused rather than guessed. Other pillars take neither key.
    """
    from surveys.choices import ESTIMANDS, ESTIMATORS

    if source != "survey":
        for k in ("estimator", "estimand"):
            if k in t.data:
                raise SchemeError(f"{t.key(k)}: 只有满意度（survey）支柱可选估计方法 / "
                                  f"only a survey pillar chooses an {k}")
        return "shrinkage", "population"
    estimator = t.get("estimator", str, "direct" if value == "mean" else "shrinkage")
    if estimator not in ESTIMATORS:
        raise SchemeError(f"{t.key('estimator')}: 估计方法须为 {'、'.join(ESTIMATORS)} 之一 / "
                          f"must be one of {', '.join(ESTIMATORS)}, got {estimator!r}")
    if "value" in t.data and (value == "mean") != (estimator == "direct"):
        raise SchemeError(f"{t.key('estimator')}: 与 value = {value!r} 矛盾，请只写 estimator / "
                          f"contradicts value = {value!r}; keep only estimator")
    estimand = t.get("estimand", str, "population")
    if estimand not in ESTIMANDS:
        raise SchemeError(f"{t.key('estimand')}: 估计对象须为 {'、'.join(ESTIMANDS)} 之一 / "
                          f"must be one of {', '.join(ESTIMANDS)}, got {estimand!r}")
    return estimator, estimand


def _parse_pillar(ptab: _Table, pkey: str) -> Pillar:
    """One `[pillars.<key>]` table; the key must be a declared pillar kind (`warehouse.pillars`)."""
    if pkey not in PILLAR_KEYS:
        raise SchemeError(
            f"{ptab.key(pkey)}: unknown pillar {pkey!r} (the pillars are fixed kinds: {', '.join(PILLAR_KEYS)})"
        )
    kind = pillar_kind(pkey)
    t = ptab.table(pkey)
    source = t.get("source", str)
    if source not in PILLAR_SOURCES:
        raise SchemeError(f"{t.key('source')}: unknown source {source!r} (allowed: {', '.join(PILLAR_SOURCES)})")
    if source != kind.source:
        raise SchemeError(f"{t.key('source')}: pillar {pkey!r} takes source {kind.source!r}, got {source!r}")
    value = t.get("value", str, "shrunk")
    if value not in ("shrunk", "mean"):
        raise SchemeError(f"{t.key('value')}: must be 'shrunk' or 'mean', got {value!r}")
    estimator, estimand = _survey_choice(t, source, value)
    pillar = Pillar(
        key=pkey,
        name_zh=t.get("name_zh", str),
        name_en=t.get("name_en", str, ""),
        weight=_number(t, "weight", minimum=0),
        source=source,
        min_coverage=_number(t, "min_coverage", 1.0, minimum=0, maximum=1),
        measurement_sd=_number(t, "measurement_sd", 0.0, minimum=0),
        value="mean" if estimator == "direct" else "shrunk",
        estimator=estimator,
        estimand=estimand,
    )
    t.done()
    return pillar


def _parse_pillars(root: _Table, cap: float) -> list[Pillar]:
    """`[pillars.*]`: every declared pillar kind once, no other; weights sum to the cap."""
    ptab = root.table("pillars")
    pillars = [_parse_pillar(ptab, pkey) for pkey in ptab.data]
    ptab.done()
    if not pillars:
        raise SchemeError("pillars: at least one pillar is required")
    given = {p.key for p in pillars}
    for pkey in PILLAR_KEYS:
        if pkey not in given:
            raise SchemeError(f"pillars.{pkey}: missing (every pillar kind is required: {', '.join(PILLAR_KEYS)})")
    _check_weights("pillars", [(p.key, p.weight) for p in pillars], cap)
    return pillars


def _item_pillar(t: _Table, pkeys: dict[str, Pillar], wrong_source: str) -> str:
    """The `pillar` of an indicator or deduction item: known and taking indicators."""
    pillar = t.get("pillar", str)
    if pillar not in pkeys:
        raise SchemeError(f"{t.key('pillar')}: unknown pillar {pillar!r}")
    if pkeys[pillar].source != "indicators":
        raise SchemeError(f"{t.key('pillar')}: " + wrong_source.format(pillar=pillar, source=pkeys[pillar].source))
    return pillar


def _normalisation(t: _Table, direction: str) -> tuple[float | None, float | None, tuple[Band, ...]]:
    """An indicator's target and floor (B2) or bands (B3)."""
    target = _number(t, "target", None, minimum=0)
    floor = _number(t, "floor", None, minimum=0)
    bands: tuple[Band, ...] = ()
    if "bands" in t.data:
        t.used.add("bands")
        bands = _bands(t.data["bands"], t.key("bands"))
        if target is not None or floor is not None:
            raise SchemeError(f"{t.where}: give either bands or target/floor, not both")
    else:
        if target is None:
            raise SchemeError(f"{t.key('target')}: missing (or give bands)")
        if floor is None:
            raise SchemeError(f"{t.key('floor')}: missing (the value scoring 0)")
        if direction == "higher" and not floor < target:
            raise SchemeError(f"{t.key('floor')}: must be below target {target:g} for a higher-is-better indicator, got {floor:g}")
        if direction == "lower" and not floor > target:
            raise SchemeError(f"{t.key('floor')}: must be above target {target:g} for a lower-is-better indicator, got {floor:g}")
    return target, floor, bands


def _item_key(t: _Table) -> str:
    """The `key` of an indicator or deduction: a lower-case name (it becomes a column name)."""
    key = t.get("key", str)
    if not ITEM_KEY.fullmatch(key):
        raise SchemeError(f"{t.key('key')}: must be a name of lower-case letters, digits and _ "
                          f"starting with a letter (at most 40), got {key!r}")
    return key


def _parse_indicator(item: Any, n: int, pkeys: dict[str, Pillar], seen: set[str]) -> Indicator:
    t = _Table(item, f"indicators[{n}]")
    ikey = _item_key(t)
    t.where = f"indicators.{ikey}"
    if ikey in seen:
        raise SchemeError(f"{t.where}: duplicate indicator key")
    seen.add(ikey)
    pillar = _item_pillar(t, pkeys, "pillar {pillar!r} does not take indicators (source {source})")
    direction = t.get("direction", str, "higher")
    if direction not in ("higher", "lower"):
        raise SchemeError(f"{t.key('direction')}: must be 'higher' or 'lower', got {direction!r}")
    t.used.update({"numerator", "denominator"})
    if "numerator" not in t.data:
        raise SchemeError(f"{t.key('numerator')}: missing")
    if "denominator" not in t.data:
        raise SchemeError(f"{t.key('denominator')}: missing")
    num = _filter(t.data["numerator"], t.key("numerator"), denominator=False)
    den = _filter(t.data["denominator"], t.key("denominator"), denominator=True)
    target, floor, bands = _normalisation(t, direction)
    indicator = Indicator(
        key=ikey, pillar=pillar, name_zh=t.get("name_zh", str), name_en=t.get("name_en", str, ""),
        numerator=num, denominator=den, direction=direction,
        weight=_number(t, "weight", minimum=0), target=target, floor=floor, bands=bands,
    )
    t.done()
    return indicator


def _events(t: _Table) -> tuple[tuple[str, float | None], ...]:
    """A deduction item's `events` table: points per event (None = the recorded points)."""
    ev = t.table("events")
    events: list[tuple[str, float | None]] = []
    for ename, pts in ev.data.items():
        ev.used.add(ename)
        if ename not in DEDUCTION_EVENTS:
            raise SchemeError(f"{ev.key(ename)}: unknown event (allowed: {', '.join(DEDUCTION_EVENTS)})")
        if pts == "recorded":
            if ename != "inspection":
                raise SchemeError(f"{ev.key(ename)}: 'recorded' points exist only for inspection")
            events.append((ename, None))
        else:
            events.append((ename, _number(ev, ename, minimum=0)))
    ev.done()
    return tuple(events)


def _parse_deduction(item: Any, n: int, pkeys: dict[str, Pillar], seen: set[str]) -> Deduction:
    t = _Table(item, f"deductions[{n}]")
    dkey = _item_key(t)
    t.where = f"deductions.{dkey}"
    if dkey in seen:
        raise SchemeError(f"{t.where}: duplicate item key")
    seen.add(dkey)
    pillar = _item_pillar(t, pkeys, "deductions live in an indicators pillar, not {pillar!r}")
    full = _number(t, "full", minimum=0)
    if full == 0:
        raise SchemeError(f"{t.key('full')}: must be positive")
    events = _events(t)
    zeroing = t.get("zeroing", list, [])
    for z in zeroing:
        if z not in DEDUCTION_EVENTS:
            raise SchemeError(f"{t.key('zeroing')}: unknown event {z!r}")
    deduction = Deduction(
        key=dkey, pillar=pillar, name_zh=t.get("name_zh", str), name_en=t.get("name_en", str, ""),
        full=full, weight=_number(t, "weight", minimum=0), events=events, zeroing=tuple(zeroing),
    )
    t.done()
    return deduction


def _check_item_weights(pillars: list[Pillar], indicators: list[Indicator], deductions: list[Deduction]) -> None:
    """Each indicators pillar has items, and their weights sum to 100."""
    for p in pillars:
        if p.source != "indicators":
            continue
        items = [(i.key, i.weight) for i in indicators if i.pillar == p.key] + [
            (d.key, d.weight) for d in deductions if d.pillar == p.key
        ]
        if not items:
            raise SchemeError(f"pillars.{p.key}: no indicators")
        _check_weights(f"pillars.{p.key} indicator", items, 100.0)


def _parse_bonus(root: _Table) -> tuple[float, tuple[tuple[str, str], ...]]:
    bt = root.table("bonus", required=False)
    bonus_cap = _number(bt, "cap", 0.0, minimum=0)
    cats = bt.get("categories", dict, {})
    bt.done()
    return bonus_cap, tuple(sorted((str(k), str(v)) for k, v in cats.items()))


def _parse_veto(root: _Table) -> VetoRules:
    """`[veto]`; the two caps are checked against the grades by `_check_veto_caps`."""
    vt = root.table("veto")
    acting = _codes(vt, "acting_statuses", VETO_STATUSES)
    if "overturned" in acting or "proposed" in acting:
        raise SchemeError("veto.acting_statuses: proposed and overturned vetoes never act")
    grade_cap = vt.get("grade_cap", str, "pass")
    no_award_cap = vt.get("no_award_cap", str, "good")
    grid_roles = _codes(vt, "grid_roles", WORKER_ROLES) if "grid_roles" in vt.data else ("grid_worker",)
    reach = vt.get("community_reaches_workers", bool, False)
    ct = vt.table("categories")
    categories = []
    for ckey in ct.data:
        c = ct.table(ckey)
        sev = c.get("severity", str)
        if sev not in VETO_SEVERITIES:
            raise SchemeError(f"{c.key('severity')}: unknown severity {sev!r} (allowed: {', '.join(VETO_SEVERITIES)})")
        categories.append(VetoCategory(ckey, c.get("name_zh", str), c.get("name_en", str, ""), sev))
        c.done()
    ct.done()
    vt.done()
    return VetoRules(acting, grade_cap, no_award_cap, tuple(grid_roles), reach, tuple(categories))


def _parse_grade(item: Any, n: int) -> Grade:
    t = _Table(item, f"grades[{n}]")
    gkey = t.get("key", str)
    if gkey not in GRADES:
        raise SchemeError(f"{t.key('key')}: unknown grade {gkey!r} (allowed: {', '.join(GRADES)})")
    t.where = f"grades.{gkey}"
    low = _number(t, "min", minimum=0)
    high = _number(t, "max", minimum=0)
    if not high > low:
        raise SchemeError(f"{t.where}: max {high:g} must exceed min {low:g}")
    grade = Grade(gkey, t.get("name_zh", str, GRADES[gkey]), low, high)
    t.done()
    return grade


def _parse_grades(root: _Table, cap: float) -> list[Grade]:
    """`[[grades]]`: bands from 0 to the cap without gap or overlap, best first."""
    grades = [_parse_grade(item, n) for n, item in enumerate(root.get("grades", list))]
    if not grades:
        raise SchemeError(f"grades: empty list (bands from 0 to the cap {cap:g} are required)")
    if len({g.key for g in grades}) != len(grades):
        raise SchemeError("grades: duplicate grade key")
    grades.sort(key=lambda g: -g.low)
    asc = grades[::-1]
    if asc[0].low != 0:
        raise SchemeError(f"grades.{asc[0].key}: lowest band must start at 0, starts at {asc[0].low:g}")
    if asc[-1].high != cap:
        raise SchemeError(f"grades.{asc[-1].key}: highest band must end at the cap {cap:g}, ends at {asc[-1].high:g}")
    for a, b in zip(asc, asc[1:], strict=False):
        if b.low > a.high:
            raise SchemeError(f"grades: gap between {a.high:g} ({a.key}) and {b.low:g} ({b.key}); scores there get no grade")
        if b.low < a.high:
            raise SchemeError(f"grades: bands {a.key} and {b.key} overlap between {b.low:g} and {a.high:g}")
    return grades


def _check_veto_caps(veto: VetoRules, grades: list[Grade]) -> None:
    for name, g in (("grade_cap", veto.grade_cap), ("no_award_cap", veto.no_award_cap)):
        if g not in GRADES or g not in {x.key for x in grades}:
            raise SchemeError(f"veto.{name}: unknown grade {g!r}")
    if "fail" not in {g.key for g in grades}:
        raise SchemeError("grades.fail: the fail grade (不合格) is required for the veto")


def _parse_quota(root: _Table) -> Quota:
    qt = root.table("quota", required=False)
    quota = Quota(top_share=_number(qt, "top_share", 0.0, minimum=0, maximum=1), tie_rule=qt.get("tie_rule", str, "include"))
    if quota.tie_rule not in ("include", "exclude"):
        raise SchemeError(f"quota.tie_rule: must be 'include' or 'exclude', got {quota.tie_rule!r}")
    qt.done()
    return quota


def _parse_eligibility(root: _Table) -> Eligibility:
    et = root.table("eligibility", required=False)
    elig = Eligibility(
        min_months_in_post=_number(et, "min_months_in_post", 6.0, minimum=0),
        survey_n_min=et.get("survey_n_min", int, 10),
        min_reliability=_number(et, "min_reliability", 0.7, minimum=0, maximum=1),
        require_coverage=et.get("require_coverage", bool, True),
        exclude_pending_appeal=et.get("exclude_pending_appeal", bool, True),
    )
    if elig.survey_n_min < 0:
        raise SchemeError(f"eligibility.survey_n_min: must not be negative, got {elig.survey_n_min}")
    et.done()
    return elig


def _parse_rollup(root: _Table) -> tuple[tuple[str, ...], str]:
    rt = root.table("rollup", required=False)
    levels = _codes(rt, "levels", ROLLUP_LEVELS) if "levels" in rt.data else ROLLUP_LEVELS
    member_weight = rt.get("member_weight", str, "households")
    if member_weight not in ("households", "equal"):
        raise SchemeError(f"rollup.member_weight: must be 'households' or 'equal', got {member_weight!r}")
    rt.done()
    return tuple(levels), member_weight


def _parse_uncertainty(root: _Table) -> Uncertainty:
    ut = root.table("uncertainty", required=False)
    unc = Uncertainty(
        weight_jitter=_number(ut, "weight_jitter", 0.25, minimum=0, maximum=0.9),
        top_k=ut.get("top_k", int, 10),
        interval=_number(ut, "interval", 0.90, minimum=0.5, maximum=0.999),
        tied_below=_number(ut, "tied_below", 0.80, minimum=0.5, maximum=1.0),
        rank_set=_number(ut, "rank_set", 0.90, minimum=0.5, maximum=0.999),
    )
    ut.done()
    return unc


def _parse_roles(root: _Table, indicators: list[Indicator]) -> tuple[RoleRule, ...]:
    """`[roles.<role>]`: satisfaction source and applicable indicators per role (default: grid, all)."""
    rt = root.table("roles", required=False)
    keys = [i.key for i in indicators]
    rules = []
    for role in rt.data:
        if role not in WORKER_ROLES:
            raise SchemeError(f"roles.{role}: unknown role (allowed: {', '.join(WORKER_ROLES)})")
        t = rt.table(role)
        source = t.get("satisfaction", str, "grid")
        if source not in SATISFACTION_SOURCES:
            raise SchemeError(f"roles.{role}.satisfaction: must be one of {', '.join(SATISFACTION_SOURCES)}, got {source!r}")
        applicable = _codes(t, "indicators", tuple(keys)) if "indicators" in t.data else None
        if applicable is not None and len(set(applicable)) != len(applicable):
            raise SchemeError(f"roles.{role}.indicators: an indicator is listed twice")
        t.done()
        rules.append(RoleRule(role=role, satisfaction=source, indicators=applicable))
    rt.done()
    return tuple(rules)


def parse_scheme(data: dict[str, Any], *, source_hash: str = "") -> Scheme:
    """Validate a parsed TOML mapping and build the `Scheme`.

    The sections are read in a fixed order, so the first problem reported is always the same.

    Raises:
        SchemeError: the first problem found, naming its key.
    """
    root = _Table(data, "")
    head = _parse_head(root)
    pillars = _parse_pillars(root, head.cap)
    pkeys = {p.key: p for p in pillars}
    seen: set[str] = set()
    indicators = [_parse_indicator(item, n, pkeys, seen) for n, item in enumerate(root.get("indicators", list, []))]
    deductions = [_parse_deduction(item, n, pkeys, seen) for n, item in enumerate(root.get("deductions", list, []))]
    _check_item_weights(pillars, indicators, deductions)
    bonus_cap, bonus_categories = _parse_bonus(root)
    veto = _parse_veto(root)
    grades = _parse_grades(root, head.cap)
    _check_veto_caps(veto, grades)
    quota = _parse_quota(root)
    elig = _parse_eligibility(root)
    levels, member_weight = _parse_rollup(root)
    unc = _parse_uncertainty(root)
    roles = _parse_roles(root, indicators)
    root.done()

    return Scheme(
        key=head.key, version=head.version, name_zh=head.name_zh, name_en=head.name_en, cap=head.cap,
        decimals=head.decimals, pillars=tuple(pillars), indicators=tuple(indicators), deductions=tuple(deductions),
        bonus_cap=bonus_cap, bonus_categories=bonus_categories, veto=veto,
        grades=tuple(grades), quota=quota, eligibility=elig, rollup_levels=levels,
        member_weight=member_weight, uncertainty=unc, roles=roles, source_hash=source_hash,
    )


def canonical_hash(data: dict[str, Any]) -> str:
    """sha256 of a canonical JSON rendering of the parsed TOML (layout and comments ignored)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def load_scheme(path: str | Path | None = None) -> Scheme:
    """Load and validate a scheme TOML file (default: `metrics/schemes/default.toml`).

    Raises:
        SchemeError: the file is not valid TOML or breaks a rule (the message names the key).
        FileNotFoundError: the file does not exist.
    """
    p = Path(path) if path is not None else DEFAULT_SCHEME
    text = p.read_text(encoding="utf-8")
    return scheme_from_text(text, where=str(p))


def scheme_from_text(text: str, *, where: str = "scheme") -> Scheme:
    """Parse and validate scheme TOML given as text (tests and the CLI use it)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(f"{where}: not valid TOML: {exc}") from None
    return parse_scheme(data, source_hash=canonical_hash(data))
