"""A worker's own one-page score sheet (PDF) for appeals and sign-off.

Everything comes from `metrics.explain.explain_worker` for the stored run: pillar
scores and points, each indicator against its target, deduction and bonus events
with their evidence ids, the veto that decided the grade, rank and interval. The
sheet ends with signature lines for the worker and the assessor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment

from dashboard.access import load_tree, require
from dashboard.auth import User
from dashboard.i18n import (
    bonus_label,
    enum_label,
    event_label,
    fmt_date,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_period,
    reasons_text,
    step_label,
    t,
    veto_category_label,
)
from dashboard.reports.html import css
from dashboard.reports.pdf import html_to_pdf
from dashboard.satisfaction_note import method_lines, scheme_settings
from dashboard.viewmodel import deduction_rows
from metrics.explain import Explanation, explain_worker
from metrics.results import worker_scores
from metrics.runs import get_run, run_scheme
from warehouse.db import Database

MAX_EVENTS = 10

_SHEET = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>{{ css }}
@page { size: A4; margin: 12mm 13mm 14mm 13mm; }
body { font-size: 8.5pt; line-height: 1.35; }
table { margin: .5mm 0 2mm; } td { padding: .4mm 1.2mm; } th { padding: .8mm 1.2mm; }
h1 { font-size: 16pt; margin: 0 0 2mm; } h3 { margin: 3mm 0 1mm; }
dl.id { display: grid; grid-template-columns: repeat(4, auto 1fr); gap: .8mm 3mm; margin: 2mm 0; font-size: 9pt; }
dl.id dt { color: #57606a; } dl.id dd { margin: 0; }
.total { display: flex; gap: 6mm; align-items: baseline; border: 1.5px solid #0969da; border-radius: 2mm;
         padding: 2mm 4mm; margin: 2mm 0; }
.total .v { font-size: 20pt; font-weight: 700; } .total .l { color: #57606a; font-size: 8pt; }
tr.pillar td { font-weight: 700; background: #f6f8fa; }
table.steps td.sub { font-weight: 700; background: #f6f8fa; }
.sign { display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; margin-top: 5mm; }
.sign div { border-top: 1px solid #1f2328; padding-top: 1mm; color: #57606a; font-size: 8.5pt; }
.appeal { border: 1px solid #d0d7de; height: 16mm; margin-top: 2mm; padding: 1mm 2mm; color: #8c959f; font-size: 8pt; }
</style></head><body>
{% if draft %}<div class="watermark" aria-hidden="true">草稿 DRAFT</div>{% endif %}
<h1>{{ title }}</h1>
<dl class="id">{% for k, v in ident %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}</dl>
<div class="total">
  <div><div class="l">总分 Total</div><div class="v">{{ total }}</div></div>
  <div><div class="l">等次 Grade</div><div class="v grade" style="color: {{ grade_colour }}">{{ grade }}</div></div>
  <div><div class="l">岗位内名次 Rank in role</div><div class="v">{{ rank }}</div></div>
  <div><div class="l">名次区间 Rank interval</div><div class="v">{{ interval }}</div></div>
</div>
{% if notes %}<p class="note">{% for n in notes %}{{ n }}<br>{% endfor %}</p>{% endif %}
<h3>得分构成 How the score is made</h3>
<table><thead><tr><th>项目</th><th class="num">实际值</th><th class="num">目标</th><th class="num">折算分</th>
<th class="num">权重</th><th class="num">得分</th></tr></thead><tbody>
{% for p in pillars %}<tr class="pillar"><td>{{ p.name }}（{{ p.weight }} 分）</td><td></td><td></td>
<td class="num">{{ p.score }}</td><td></td><td class="num">{{ p.points }}</td></tr>
{% for i in p['items'] %}<tr><td>&nbsp;&nbsp;{{ i.name }}</td><td class="num">{{ i.value }}</td><td class="num">{{ i.target }}</td>
<td class="num">{{ i.normalised }}</td><td class="num">{{ i.weight }}</td><td class="num">{{ i.points }}</td></tr>{% endfor %}
{% endfor %}
</tbody></table>
<h3>总分核算 How the points add up</h3>
<table class="steps"><thead><tr>{% for s in steps %}<th class="num">{{ s.label }}</th>{% endfor %}</tr></thead><tbody><tr>
{% for s in steps %}<td class="num{% if s.subtotal %} sub{% endif %}">{{ s.points }}</td>{% endfor %}
</tr></tbody></table>
{% if deduction_items %}<h3>扣分核算（扣分含在工作实绩内） Deductions reconciled</h3>
<table><thead><tr><th>扣分项</th><th class="num">事件数</th><th class="num">事件扣分</th><th class="num">该项满分</th>
<th class="num">计入扣分</th><th class="num">该项得分</th><th class="num">占实绩权重</th><th class="num">总分扣分</th></tr></thead><tbody>
{% for d in deduction_items %}<tr{% if loop.last %} class="pillar"{% endif %}><td>{{ d.item }}</td><td class="num">{{ d.events }}</td><td class="num">{{ d.event_points }}</td>
<td class="num">{{ d.full }}</td><td class="num">{{ d.applied }}</td><td class="num">{{ d.item_score }}</td><td class="num">{{ d.share }}</td>
<td class="num">{{ d.points_lost }}</td></tr>{% endfor %}
</tbody></table>
<p class="note">事件扣分以该项满分为限（扣完为止），该项得分按其在工作实绩中的权重折算为总分扣分。</p>{% endif %}
{% if events %}<h3>扣分与加分事项 Deduction and bonus events</h3>
<table><thead><tr><th>类别</th><th>项目</th><th>事件 × 次数</th><th>证据编号（前 3 条）</th><th class="num">分值</th></tr></thead><tbody>
{% for e in events %}<tr><td>{{ e[0] }}</td><td>{{ e[1] }}</td><td>{{ e[2] }}</td><td class="wrap">{{ e[3] }}</td><td class="num">{{ e[4] }}</td></tr>{% endfor %}
</tbody></table>{% if more_events %}<p class="note">另有 {{ more_events }} 条事项，见考核系统。</p>{% endif %}{% endif %}
{% if vetoes %}<h3>一票否决 Veto</h3>
<table><thead><tr><th>编号</th><th>类别</th><th>后果</th><th>状态</th><th>事由</th></tr></thead><tbody>
{% for v in vetoes %}<tr><td>{{ v[0] }}</td><td>{{ v[1] }}</td><td>{{ v[2] }}</td><td>{{ v[3] }}</td><td class="wrap">{{ v[4] }}</td></tr>{% endfor %}
</tbody></table>{% endif %}
<div class="appeal">本人意见 / 申诉理由 Comments or grounds for appeal</div>
<div class="sign"><div>被考核人签字 Worker's signature　　　日期 Date</div><div>考核负责人签字 Assessor's signature　　　日期 Date</div></div>
</body></html>
"""

_template = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(_SHEET)


def _num(value: float | None, digits: int = 1) -> str:
    return fmt_num(value, digits=digits)


def _value(v: float | None, kind: str) -> str:
    if v is None:
        return "—"
    return fmt_pct(v) if kind == "indicator" and abs(v) <= 1.5 else _num(v)


def event_lines(expl: Explanation) -> tuple[list[tuple[str, str, str, str, str]], int]:
    """Deduction and bonus events grouped by item and event: count, points, evidence ids.

    Returns the first `MAX_EVENTS` groups and how many groups were left out.
    """
    lines = [*expl.deduction_lines, *expl.bonus_lines]
    if not lines:
        return [], 0
    names = {i.item: i.name_zh for p in expl.pillars for i in p.items}
    frame = (pl.DataFrame([(x.kind, x.item, x.event, x.evidence_id, x.points) for x in lines],
                          schema=["kind", "item", "event", "evidence_id", "points"], orient="row")
             .group_by("kind", "item", "event", maintain_order=True)
             .agg(n=pl.len(), points=pl.col("points").sum(), ids=pl.col("evidence_id").head(3).str.join(", ")))
    rows = [("扣分" if k == "deduction" else "加分", names.get(item) or bonus_label(item), f"{event_label(event)} × {n}",
             ids + (" …" if n > 3 else ""), ("−" if k == "deduction" else "+") + _num(pts))
            for k, item, event, n, pts, ids in frame.head(MAX_EVENTS).iter_rows()]
    return rows, max(0, frame.height - MAX_EVENTS)


def sheet_context(db: Database, run_id: str, worker_id: str, expl: Explanation) -> dict[str, Any]:
    """Template values for one worker (formatted as the worker view formats them)."""
    from dashboard.theme import grade_colour

    run = get_run(db, run_id)
    row = worker_scores(db, run_id).filter(pl.col("worker_id") == worker_id).row(0, named=True)
    pillars = [{
        "name": p.name_zh, "weight": fmt_num(p.weight, digits=0), "score": _num(p.score), "points": _num(p.points),
        "items": [{"name": i.name_zh or i.item, "value": _value(i.value, i.kind),
                   "target": _value(i.target, i.kind) if i.target is not None else "",
                   "normalised": _num(i.normalised), "weight": _num(i.weight, 0), "points": _num(i.points)}
                  for i in p.items],
    } for p in expl.pillars]
    events, more = event_lines(expl)
    steps = [{"label": step_label(st.key, st.pillar, st.measure, "zh"),
              "points": ("+" if st.measure == "relative" and st.points > 0 and n else "") + _num(st.points),
              "subtotal": st.measure == "total"} for n, st in enumerate(expl.steps)]
    recon = pl.DataFrame([vars(d) | {"subject_id": worker_id} for d in expl.deduction_items]) if expl.deduction_items else None
    names = {d.item: d.name_zh for d in expl.deduction_items}
    deduction_items = deduction_rows(recon, "zh", names).to_dicts() if recon is not None else []
    notes = []
    if not expl.eligible:
        causes = {f"{p.key}_missing": p.reason for p in expl.pillars}
        notes.append(f"{t('worker.not_ranked_why')}：" + reasons_text(";".join(expl.ineligible_reasons), details=causes))
    if expl.vetoed and expl.veto_reason:
        category, _, evidence = expl.veto_reason.partition(": ")
        notes.append("否决原因：" + veto_category_label(category) + (f"：{evidence}" if evidence else ""))
    published = (expl.eligible or (expl.grade_reason or "").startswith("veto")  # as pagekit.shown_grades
                 or row.get("veto_severity") == "fail")
    notes += method_lines(row, "zh", compact=True, **scheme_settings(run_scheme(db, run_id)))
    ident = [
        ("姓名", row.get("name") or worker_id), ("编号", worker_id), ("岗位", enum_label("role", row.get("role"))),
        ("考核期", fmt_period(run.period_id)), ("网格", row.get("grid_name") or "—"),
        ("社区", row.get("community_name") or "—"), ("街道", row.get("street_name") or "—"),
        ("部门", row.get("dept_name") or "—"),
        ("评分批次", f"{run.run_id}（{'已定稿' if run.status == 'final' else '草稿'}）"),
        ("评分时间", fmt_date(run.created_at)),
        ("满意度应答", f"{fmt_int(row.get('satisfaction_n'))} 户"), ("满意度原始均值", _num(row.get("satisfaction_raw"))),
    ]
    rank = f"{fmt_int(expl.rank)} / {fmt_int(expl.ranked_among)}" if expl.rank is not None else "—"
    interval = (f"{fmt_int(row['rank_low'])}–{fmt_int(row['rank_high'])}"
                if row.get("rank_low") is not None and row.get("rank_high") is not None else "—")
    return {
        "title": f"个人考核得分单 · {row.get('name') or worker_id} · {fmt_period(run.period_id)}",
        "css": css(), "draft": run.status != "final", "ident": ident, "total": _num(expl.total),
        "grade": enum_label("grade", expl.grade) if published else t("worker.not_ranked"),
        "grade_colour": grade_colour(expl.grade if published else None), "rank": rank,
        "interval": interval, "notes": notes, "pillars": pillars, "steps": steps,
        "deduction_items": deduction_items, "events": events, "more_events": more,
        "vetoes": [(v.veto_id, veto_category_label(v.category), enum_label("veto_severity", v.severity),
                    enum_label("veto_status", v.status), v.evidence) for v in expl.vetoes],
    }


def worker_sheet_html(db: Database, run_id: str, worker_id: str, *, user: User | None = None) -> str:
    """The sheet as HTML (checks the `export` action on the worker when a user is given)."""
    if user is not None:
        require(user, "export", worker_id, tree=load_tree(db))
    expl = explain_worker(db, run_id, worker_id)
    return _template.render(**sheet_context(db, run_id, worker_id, expl))


def render_worker_sheet(db: Database, run_id: str, worker_id: str, path: str | Path, *,
                        user: User | None = None) -> Path:
    """A worker's one-page A4 score sheet as PDF, for appeals and sign-off.

    Raises:
        ScoringError: unknown run or worker not in the run.
        AccessDenied: `user` may not export this worker.
    """
    html_text = worker_sheet_html(db, run_id, worker_id, user=user)
    return html_to_pdf(html_text, path, footer_title=f"个人考核得分单 · {worker_id} · {run_id}")
