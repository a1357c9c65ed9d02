"""What each ingestible kind looks like, declared once as data.

A `KindSpec` is derived from the SQLAlchemy table in `warehouse.schema` (column
names, types, NOT NULL → required, comments → help text) plus what the table
cannot say: the Chinese header of each column (the template's), enumerations from
`warehouse.enums`, foreign keys, row rules (date order, ranges, org-tree levels),
the natural key and an example row. Ingest validates with it, the Excel template
is written from it and `docs/ingest.md` describes it, so the three agree.

Other layers can declare their own kinds (e.g. phone/paper survey answers) with
`ColumnSpec`/`KindSpec` and reuse `warehouse.ingest.read.read_tabular`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa

from warehouse import enums, schema
from warehouse.errors import IngestError

ColumnType = Literal["text", "int", "float", "date", "datetime", "bool"]

HOUSEHOLD_TAGS: dict[str, str] = {
    "elderly": "老年人",
    "floating": "流动人口",
    "key_person": "重点人员",
    "low_income": "低保",
    "disabled": "残疾人",
}
"""Allowed household tags (comma-separated in `households.tags`)."""


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an ingestible kind.

    Attributes:
        name: English (canonical) column name, as in the table.
        zh: Chinese header used by the template; accepted on input too.
        type: value type the text must parse as.
        required: the value may not be empty.
        enum: allowed codes → Chinese labels (either is accepted on input).
        multi: the value is a comma-separated list of `enum` codes (tags).
        help: what the column holds (from the table comment).
        example: the template's example value.
        aliases: further accepted header spellings.
    """

    name: str
    zh: str
    type: ColumnType = "text"
    required: bool = False
    enum: Mapping[str, str] | None = None
    multi: bool = False
    help: str = ""
    example: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForeignKey:
    """`column` must name an existing `table.key` (optionally restricted by `where`).

    With `self_ref`, rows of the same file count as existing too (org tree).
    """

    column: str
    table: str
    key: str
    reason: str
    where: str | None = None
    self_ref: bool = False


@dataclass(frozen=True)
class RowCheck:
    """A row rule: the row is rejected on `column` with `reason` when `bad_when` is true.

    `bad_when` is DuckDB SQL over the typed columns of the row (NULL counts as not
    bad, so rules only apply to values that are present and parse). The org tree's
    rules may use `_parent_level`, the level of the row's parent unit.
    """

    column: str
    bad_when: str
    reason: str


@dataclass(frozen=True)
class KindSpec:
    """An ingestible kind: its target table, columns, key and rules."""

    kind: str
    zh: str
    table: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[RowCheck, ...] = ()
    description: str = ""
    defaults: Mapping[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Canonical column names in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        """The column called `name`."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def required(self) -> list[str]:
        """Names of the required columns."""
        return [c.name for c in self.columns if c.required]


def _type_of(column: sa.Column) -> ColumnType:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return "bool"
    if isinstance(kind, sa.Integer):
        return "int"
    if isinstance(kind, sa.Float | sa.Numeric):
        return "float"
    if isinstance(kind, sa.DateTime):
        return "datetime"
    if isinstance(kind, sa.Date):
        return "date"
    return "text"


def _derive(
    kind: str,
    table: sa.Table,
    *,
    zh: str,
    headers: Mapping[str, str],
    examples: Mapping[str, str],
    enums_by_column: Mapping[str, Mapping[str, str]] | None = None,
    optional: tuple[str, ...] = (),
    key: tuple[str, ...] | None = None,
    foreign_keys: tuple[ForeignKey, ...] = (),
    checks: tuple[RowCheck, ...] = (),
    multi: tuple[str, ...] = (),
    defaults: Mapping[str, str] | None = None,
) -> KindSpec:
    """Build a spec from `table`: every column except `batch_id`, in table order."""
    enums_by_column = enums_by_column or {}
    columns = []
    for col in table.columns:
        if col.name == "batch_id":
            continue
        if col.name not in headers:
            raise IngestError(f"spec for {kind}: no Chinese header for column {col.name}")
        required = (not col.nullable or col.primary_key) and col.name not in optional
        if col.server_default is not None:
            required = False
        columns.append(
            ColumnSpec(
                name=col.name,
                zh=headers[col.name],
                type=_type_of(col),
                required=required,
                enum=enums_by_column.get(col.name),
                multi=col.name in multi,
                help=col.comment or "",
                example=examples.get(col.name, ""),
            )
        )
    pk = tuple(c.name for c in table.primary_key.columns)
    return KindSpec(
        kind=kind,
        zh=zh,
        table=table.name,
        key=key or pk,
        columns=tuple(columns),
        foreign_keys=foreign_keys,
        checks=checks,
        description=table.comment or "",
        defaults=defaults or {},
    )


def _fk_grid(column: str = "grid_id") -> ForeignKey:
    return ForeignKey(column, "org_units", "unit_id", "unknown grid", where="level = 'grid'")


def _fk_worker(column: str = "worker_id") -> ForeignKey:
    return ForeignKey(column, "workers", "worker_id", "unknown worker")


def _fk_unit(column: str = "unit_id") -> ForeignKey:
    return ForeignKey(column, "org_units", "unit_id", "unknown unit")


def _fk_period(column: str = "period_id") -> ForeignKey:
    return ForeignKey(column, "periods", "period_id", "unknown period")


def _fk_household(column: str = "household_id") -> ForeignKey:
    return ForeignKey(column, "households", "household_id", "unknown household")


def _not_before(later: str, earlier: str) -> RowCheck:
    return RowCheck(later, f"{later} < {earlier}", f"{later} before {earlier}")


_PARENT_LEVEL = {"street": "district", "community": "street", "grid": "community"}

SPECS: dict[str, KindSpec] = {}


def _add(spec: KindSpec) -> None:
    SPECS[spec.kind] = spec


_add(_derive(
    "org_units", schema.org_units, zh="组织架构",
    headers={"unit_id": "单位编码", "name": "名称", "name_en": "英文名称", "level": "层级",
             "parent_id": "上级单位编码"},
    examples={"unit_id": "D01S01C01G01", "name": "第一网格", "name_en": "Grid 1",
              "level": "网格", "parent_id": "D01S01C01"},
    enums_by_column={"level": enums.ORG_LEVELS},
    foreign_keys=(ForeignKey("parent_id", "org_units", "unit_id", "unknown parent unit",
                             self_ref=True),),
    checks=(
        RowCheck("parent_id", "level = 'district' AND parent_id IS NOT NULL",
                 "a district has no parent"),
        RowCheck("parent_id", "level <> 'district' AND parent_id IS NULL",
                 "parent_id required below district level"),
        *(RowCheck("parent_id", f"level = '{child}' AND _parent_level <> '{parent}'",
                   f"parent of a {child} must be a {parent}")
          for child, parent in _PARENT_LEVEL.items()),
        RowCheck("parent_id", "parent_id = unit_id", "a unit cannot be its own parent"),
    ),
))

_add(_derive(
    "departments", schema.departments, zh="部门",
    headers={"dept_id": "部门编码", "name": "名称", "name_en": "英文名称", "kind": "部门类型",
             "unit_id": "所属区域编码"},
    examples={"dept_id": "DEP01", "name": "民政局", "name_en": "Civil Affairs Bureau",
              "kind": "职能部门", "unit_id": "D01"},
    enums_by_column={"kind": enums.DEPARTMENT_KINDS},
    foreign_keys=(_fk_unit(),),
))

_add(_derive(
    "workers", schema.workers, zh="人员",
    headers={"worker_id": "人员编码", "name": "姓名", "role": "岗位", "grid_id": "网格编码",
             "dept_id": "部门编码", "in_post_from": "到岗日期", "in_post_to": "离岗日期"},
    examples={"worker_id": "W000001", "name": "张三", "role": "网格员",
              "grid_id": "D01S01C01G01", "dept_id": "", "in_post_from": "2024-01-01",
              "in_post_to": ""},
    enums_by_column={"role": enums.WORKER_ROLES},
    foreign_keys=(_fk_grid(), ForeignKey("dept_id", "departments", "dept_id",
                                         "unknown department")),
    checks=(_not_before("in_post_to", "in_post_from"),),
))

_add(_derive(
    "worker_areas", schema.worker_areas, zh="服务区域",
    headers={"worker_id": "人员编码", "unit_id": "服务区域编码"},
    examples={"worker_id": "W000001", "unit_id": "D01S01C01G01"},
    foreign_keys=(_fk_worker(), _fk_unit()),
))

_add(_derive(
    "households", schema.households, zh="户籍",
    headers={"household_id": "户编码", "grid_id": "网格编码", "size": "人口数", "tags": "标签",
             "registered_on": "登记日期", "active": "在册"},
    examples={"household_id": "H0000001", "grid_id": "D01S01C01G01", "size": "3",
              "tags": "elderly", "registered_on": "2020-05-01", "active": "是"},
    enums_by_column={"tags": HOUSEHOLD_TAGS},
    multi=("tags",),
    foreign_keys=(_fk_grid(),),
    checks=(RowCheck("size", "size NOT BETWEEN 1 AND 20", "size must be between 1 and 20"),),
    defaults={"active": "true"},
))

_add(_derive(
    "household_identities", schema.household_identities, zh="住户联系方式",
    headers={"household_id": "户编码", "contact_name": "联系人", "phone": "电话",
             "address": "地址"},
    examples={"household_id": "H0000001", "contact_name": "李四", "phone": "13800000000",
              "address": "幸福路1号1单元101"},
    foreign_keys=(_fk_household(),),
))

_add(_derive(
    "periods", schema.periods, zh="考核周期",
    headers={"period_id": "周期编码", "kind": "周期类型", "starts_on": "开始日期",
             "ends_on": "结束日期"},
    examples={"period_id": "2025", "kind": "年度", "starts_on": "2025-01-01",
              "ends_on": "2025-12-31"},
    enums_by_column={"kind": enums.PERIOD_KINDS},
    checks=(_not_before("ends_on", "starts_on"),),
))

_add(_derive(
    "work_records", schema.work_records, zh="工作记录",
    headers={"record_id": "记录编号", "worker_id": "人员编码", "grid_id": "网格编码",
             "type": "工作类型", "opened_at": "受理时间", "due_at": "办理时限",
             "closed_at": "办结时间", "status": "状态", "outcome": "办理结果",
             "warning_level": "预警等级", "source": "来源", "verified": "抽查核实",
             "household_id": "户编码"},
    examples={"record_id": "R0000001", "worker_id": "W000001", "grid_id": "D01S01C01G01",
              "type": "矛盾纠纷调解", "opened_at": "2025-03-01 09:00:00",
              "due_at": "2025-03-08 18:00:00", "closed_at": "2025-03-05 16:30:00",
              "status": "已办结", "outcome": "成功", "warning_level": "黄色",
              "source": "群众反映", "verified": "是", "household_id": "H0000001"},
    enums_by_column={"type": enums.WORK_TYPES, "status": enums.WORK_STATUSES,
                     "outcome": enums.WORK_OUTCOMES, "warning_level": enums.WARNING_LEVELS,
                     "source": enums.WORK_SOURCES},
    key=("record_id",),
    foreign_keys=(_fk_worker(), _fk_grid(), _fk_household()),
    checks=(_not_before("closed_at", "opened_at"), _not_before("due_at", "opened_at")),
))

_add(_derive(
    "skill_assessments", schema.skill_assessments, zh="业务技能考核",
    headers={"assessment_id": "考核编号", "worker_id": "人员编码", "period_id": "周期编码",
             "item": "考核项目", "score": "得分", "max_score": "满分", "rater": "评分人",
             "assessed_on": "考核日期"},
    examples={"assessment_id": "S000001", "worker_id": "W000001", "period_id": "2025",
              "item": "政策法规考试", "score": "8.5", "max_score": "10", "rater": "exam",
              "assessed_on": "2025-06-15"},
    foreign_keys=(_fk_worker(), _fk_period()),
    checks=(
        RowCheck("max_score", "max_score <= 0", "max_score must be > 0"),
        RowCheck("score", "score < 0", "score must be ≥ 0"),
        RowCheck("score", "score > max_score", "score above max_score"),
    ),
))

_add(_derive(
    "inspections", schema.inspections, zh="督查检查",
    headers={"inspection_id": "检查编号", "unit_id": "被查单位编码", "worker_id": "责任人编码",
             "kind": "检查方式", "inspected_on": "检查日期", "finding": "发现问题",
             "deduction": "扣分", "rectify_by": "整改期限", "rectified_at": "整改完成日期"},
    examples={"inspection_id": "I000001", "unit_id": "D01S01C01G01", "worker_id": "W000001",
              "kind": "暗访", "inspected_on": "2025-04-10", "finding": "台账不全",
              "deduction": "1", "rectify_by": "2025-04-30", "rectified_at": "2025-04-25"},
    enums_by_column={"kind": enums.INSPECTION_KINDS},
    foreign_keys=(_fk_unit(), _fk_worker()),
    checks=(
        RowCheck("deduction", "deduction < 0", "deduction must be ≥ 0"),
        _not_before("rectify_by", "inspected_on"),
        _not_before("rectified_at", "inspected_on"),
    ),
))

_add(_derive(
    "complaints", schema.complaints, zh="有效投诉",
    headers={"complaint_id": "投诉编号", "worker_id": "被投诉人编码", "unit_id": "被投诉单位编码",
             "received_on": "受理日期", "channel": "投诉渠道", "valid": "是否有效",
             "resolved": "是否解决", "summary": "摘要"},
    examples={"complaint_id": "C000001", "worker_id": "W000001", "unit_id": "D01S01C01G01",
              "received_on": "2025-05-20", "channel": "行风热线", "valid": "是",
              "resolved": "是", "summary": "上门服务不及时"},
    enums_by_column={"channel": enums.COMPLAINT_CHANNELS},
    foreign_keys=(_fk_worker(), _fk_unit()),
))

_add(_derive(
    "bonus_events", schema.bonus_events, zh="加分事项",
    headers={"bonus_id": "加分编号", "worker_id": "人员编码", "unit_id": "单位编码",
             "period_id": "周期编码", "category": "加分类别", "points": "分值",
             "evidence": "佐证材料", "approved_by": "审批人", "event_on": "发生日期"},
    examples={"bonus_id": "B000001", "worker_id": "W000001", "unit_id": "", "period_id": "2025",
              "category": "见义勇为", "points": "2", "evidence": "区委表彰文件〔2025〕3号",
              "approved_by": "王五", "event_on": "2025-07-01"},
    foreign_keys=(_fk_worker(), _fk_unit(), _fk_period()),
    checks=(RowCheck("points", "points <= 0", "points must be > 0"),),
))

_add(_derive(
    "veto_events", schema.veto_events, zh="一票否决事项",
    headers={"veto_id": "否决编号", "category": "否决类别", "scope": "否决范围",
             "subject_id": "对象编码", "period_id": "周期编码", "event_on": "发生日期",
             "evidence": "事实依据", "severity": "处理方式", "status": "状态"},
    examples={"veto_id": "V0001", "category": "重大安全事故", "scope": "个人",
              "subject_id": "W000001", "period_id": "2025", "event_on": "2025-08-03",
              "evidence": "事故调查报告", "severity": "不合格", "status": "已提出"},
    enums_by_column={"scope": enums.VETO_SCOPES, "severity": enums.VETO_SEVERITIES,
                     "status": enums.VETO_STATUSES},
    foreign_keys=(_fk_period(),),
    checks=(
        RowCheck("subject_id", "scope = 'worker' AND subject_id NOT IN "
                 "(SELECT worker_id FROM workers)", "unknown worker"),
        RowCheck("subject_id", "scope = 'grid' AND subject_id NOT IN "
                 "(SELECT unit_id FROM org_units WHERE level = 'grid')", "unknown grid"),
        RowCheck("subject_id", "scope = 'community' AND subject_id NOT IN "
                 "(SELECT unit_id FROM org_units WHERE level = 'community')",
                 "unknown community"),
        RowCheck("subject_id", "scope = 'department' AND subject_id NOT IN "
                 "(SELECT dept_id FROM departments)", "unknown department"),
    ),
))

KINDS: tuple[str, ...] = tuple(SPECS)
"""The ingestible kinds, in load order (parents before children)."""


def get_spec(kind: str) -> KindSpec:
    """The spec of `kind`; `IngestError` naming the known kinds otherwise."""
    try:
        return SPECS[kind]
    except KeyError:
        raise IngestError(f"unknown kind {kind!r}; known kinds: {', '.join(KINDS)}") from None
