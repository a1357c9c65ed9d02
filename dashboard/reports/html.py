"""The annual report as one self-contained HTML document (also the PDF's source).

Inline CSS, charts as inline base64 SVG images, no scripts, no web fonts: the file opens
offline and prints the same. Print rules: A4 pages, table headers repeated on
every page (`thead { display: table-header-group }`), rows never split, a fixed
DRAFT / 草稿 watermark (Chromium repeats fixed elements on every printed page).
All text goes through Jinja2 autoescaping (names and evidence are user data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from jinja2 import Environment
from markupsafe import Markup

from dashboard.i18n import enum_label, fmt_date, fmt_num, interval_outside, t
from dashboard.reports import tables as T
from dashboard.reports.charts import chart_images, data_uri
from dashboard.reports.model import AnnualReport, summary_rows
from dashboard.theme import FONT_FAMILY, GRADE_COLOURS
from surveys.suppression import K_MIN


@dataclass(frozen=True)
class Table:
    """A rendered table: headers and rows of (text, css class) cells."""

    headers: list[tuple[str, str]]
    rows: list[list[tuple[str, str]]]
    groups: list[tuple[str, list[list[tuple[str, str]]]]] | None = None


_NUMERIC = {"num", "num3", "int", "pct", "interval", "interval1"}


_WRAP = {"veto_reason", "evidence", "events", "zeroing", "value", "name_en", "subject_name", "rule",
         "ineligible_reason", "source"}


def _css_class(col: T.Col, row: dict[str, Any]) -> str:
    cls = "num" if col.kind in _NUMERIC else ("wrap" if col.key in _WRAP else "")
    if col.kind == "grade" and row.get(col.key):
        cls = f"grade g-{row[col.key]}"
    return cls


def _rows(cols: tuple[T.Col, ...], frame: pl.DataFrame, lang: str) -> list[list[tuple[str, str]]]:
    return [[(T.fmt_cell(c, r, lang), _css_class(c, r)) for c in cols] for r in frame.iter_rows(named=True)]


def table(spec: tuple[T.Col, ...], frame: pl.DataFrame, lang: str, *, group_by: str | None = None) -> Table:
    """Format a frame with a column spec (columns the frame lacks are left out)."""
    cols = T.present(spec, frame)
    headers = [(c.label(lang), "num" if c.kind in _NUMERIC else "") for c in cols]
    if group_by is None or group_by not in frame.columns:
        return Table(headers, _rows(cols, frame, lang))
    groups = [(str(key[0] if key[0] is not None else "—"), _rows(cols, part, lang))
              for key, part in frame.group_by(group_by, maintain_order=True)]
    return Table(headers, [], groups)


def street_sections(report: AnnualReport) -> list[dict[str, Any]]:
    """Per street: its score line, its communities and its workers grouped by community."""
    lang = report.lang
    workers = report.workers
    other = t("report.departments_others", lang)
    workers = workers.with_columns(pl.col("street_name").fill_null(other), pl.col("street_id").fill_null("~"),
                                   pl.col("community_name").fill_null("—"))
    pairs = workers.select("community_id", "street_id").unique().drop_nulls()
    communities = report.communities.join(pairs.rename({"community_id": "unit_id"}), on="unit_id", how="left")
    streets = report.streets.select("unit_id", "name", "total", "grade", "rank")
    out = []
    for (street_id, street_name), part in workers.group_by("street_id", "street_name", maintain_order=True):
        line = streets.filter(pl.col("unit_id") == street_id)
        summary = ""
        if line.height:
            row = line.row(0, named=True)
            summary = (f"{t('col.total', lang)} {fmt_num(row['total'], lang)} · "
                       f"{enum_label('grade', row['grade'], lang)} · {t('col.rank', lang)} {row['rank'] or '—'}")
        comm = communities.filter(pl.col("street_id") == street_id).sort("rank", nulls_last=True)
        out.append({
            "name": street_name, "summary": summary,
            "communities": table(T.UNITS, comm, lang) if comm.height else None,
            "workers": table(tuple(c for c in T.WORKERS if c.key != "community_name"), part, lang,
                             group_by="community_name"),
        })
    return out


_CSS = """
@page { size: A4; margin: 16mm 13mm 17mm 13mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: FONT; font-size: 9.5pt; color: #1f2328; line-height: 1.55; margin: 0 auto; max-width: 190mm;
       text-align: justify; text-justify: inter-character; word-break: normal; line-break: strict; }
h1 { font-size: 22pt; font-weight: 700; margin: 0 0 6mm; letter-spacing: .04em; text-align: left; }
h2 { font-size: 14pt; border-bottom: 2px solid #0969da; padding-bottom: 1.5mm; margin: 8mm 0 3mm;
     break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11.5pt; margin: 5mm 0 2mm; break-after: avoid; page-break-after: avoid; }
h3 small { font-weight: 400; color: #57606a; font-size: 9pt; margin-left: 2mm; }
h4 { font-size: 10pt; margin: 3mm 0 1mm; color: #57606a; break-after: avoid; }
p.note { color: #57606a; font-size: 8.5pt; margin: 1mm 0 3mm; }
section.chapter { break-before: page; page-break-before: always; }
table { border-collapse: collapse; width: 100%; font-size: 7.4pt; line-height: 1.35; margin: 1mm 0 4mm; }
thead { display: table-header-group; }
tfoot { display: table-footer-group; }
th { background: #eef2f6; font-weight: 600; text-align: left; padding: 1.2mm 1.2mm; border-bottom: 1px solid #8c959f;
     white-space: nowrap; }
td { padding: .45mm 1.2mm; border-bottom: .5px solid #d0d7de; vertical-align: top; text-align: left;
     white-space: nowrap; }
td.wrap { white-space: normal; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group td { background: #f6f8fa; font-weight: 600; color: #0969da; }
td.grade { font-weight: 700; white-space: nowrap; }
GRADES
.cover { height: 250mm; display: flex; flex-direction: column; justify-content: center; break-after: page;
         page-break-after: always; }
.cover .sub { font-size: 13pt; color: #57606a; margin-bottom: 12mm; }
.cover dl { display: grid; grid-template-columns: 38mm 1fr; gap: 2mm 4mm; font-size: 11pt; }
.cover dt { color: #57606a; } .cover dd { margin: 0; }
.status-draft { color: #cf222e; font-weight: 700; } .status-final { color: #1a7f37; font-weight: 700; }
.kpis { display: grid; grid-template-columns: repeat(5, 1fr); gap: 2.5mm; margin: 2mm 0 4mm; }
.kpi { border: 1px solid #d0d7de; border-radius: 2mm; padding: 2mm 3mm; break-inside: avoid; }
.kpi .l { color: #57606a; font-size: 8pt; } .kpi .v { font-size: 14pt; font-weight: 700; }
img.chart { width: 100%; height: auto; display: block; margin: 1mm 0 3mm; break-inside: avoid; }
.watermark { position: fixed; top: 38%; left: -10%; width: 120%; text-align: center; transform: rotate(-32deg);
             font-size: 88pt; font-weight: 700; color: rgba(207, 34, 46, .11); z-index: 1000; pointer-events: none;
             letter-spacing: .1em; white-space: nowrap; }
@media screen { body { padding: 10mm; } .cover { height: auto; min-height: 60vh; } }
"""


def css() -> str:
    """The report's stylesheet (grade colours from the dashboard's theme)."""
    grades = "\n".join(f"td.g-{g} {{ color: {c}; }}" for g, c in GRADE_COLOURS.items())
    return _CSS.replace("FONT", FONT_FAMILY).replace("GRADES", grades)


_TEMPLATE = """<!doctype html>
<html lang="{{ 'en' if lang == 'en' else 'zh-CN' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><style>{{ css }}</style></head><body>
{% if draft %}<div class="watermark" aria-hidden="true">草稿 DRAFT</div>{% endif %}
{% macro render(tb) -%}
<table><thead><tr>{% for h, c in tb.headers %}<th{% if c %} class="{{ c }}"{% endif %}>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{%- if tb.groups is not none %}{% for g, rows in tb.groups %}
<tr class="group"><td colspan="{{ tb.headers|length }}">{{ g }}</td></tr>
{%- for r in rows %}<tr>{% for v, c in r %}<td{% if c %} class="{{ c }}"{% endif %}>{{ v }}</td>{% endfor %}</tr>{% endfor %}{% endfor %}
{%- else %}{% for r in tb.rows %}<tr>{% for v, c in r %}<td{% if c %} class="{{ c }}"{% endif %}>{{ v }}</td>{% endfor %}</tr>{% endfor %}{% endif %}
</tbody></table>
{%- endmacro %}
{{ PART }}<div class="cover">
  <h1>{{ heading }}</h1>
  <div class="sub">{{ subtitle }}</div>
  <dl>
  {% for k, v in cover %}<dt>{{ k }}</dt><dd{% if loop.index == status_row %} class="status-{{ 'draft' if draft else 'final' }}"{% endif %}>{{ v }}</dd>{% endfor %}
  </dl>
</div>

<section class="summary"><h2>{{ L.summary }}</h2>
<div class="kpis">{% for k, v in summary %}<div class="kpi"><div class="l">{{ k }}</div><div class="v">{{ v }}</div></div>{% endfor %}</div>
{% if charts.distribution %}<img class="chart" alt="{{ L.distribution }}" src="{{ charts.distribution }}">{% endif %}
<h3>{{ L.grades }}</h3>
{{ render(grades) }}
{% if charts.grade_mix %}<img class="chart" alt="{{ L.grade_mix }}" src="{{ charts.grade_mix }}">{% endif %}
</section>

{{ PART }}<section class="chapter"><h2>{{ L.rankings }}</h2>
<p class="note">{{ L.rank_note }}</p>
<h3>{{ L.streets }}</h3>
{{ render(streets) }}
</section>
{% for s in street_sections %}
{{ PART }}<section class="street"><h3>{{ s.name }}{% if s.summary %}<small>{{ s.summary }}</small>{% endif %}</h3>
{% if s.communities %}<h4>{{ L.communities }}</h4>{{ render(s.communities) }}{% endif %}
<h4>{{ L.workers }}</h4>
{{ render(s.workers) }}
</section>
{% endfor %}

{{ PART }}<section class="chapter"><h2>{{ L.vetoes }}</h2>
{% if vetoed.rows %}{{ render(vetoed) }}{% else %}<p class="note">{{ L.no_vetoed }}</p>{% endif %}
<h3>{{ L.veto_events }}</h3>
{% if veto_events.rows %}{{ render(veto_events) }}{% else %}<p class="note">{{ L.no_events }}</p>{% endif %}
</section>

{{ PART }}<section class="chapter"><h2>{{ L.satisfaction }}</h2>
<p class="note">{{ L.satisfaction_note }}</p>
{% if satisfaction.rows %}{{ render(satisfaction) }}{% if interval_note %}<p class="note">{{ interval_note }}</p>{% endif %}{% else %}<p class="note">{{ L.no_survey }}</p>{% endif %}
</section>

{{ PART }}<section class="chapter"><h2>{{ L.trends }}</h2>
{% if charts.trend %}<img class="chart" alt="{{ L.trends }}" src="{{ charts.trend }}">{% endif %}
{{ render(trend) }}
{% if changes.rows %}<h3>{{ L.previous }}</h3>{{ render(changes) }}{% else %}<p class="note">{{ L.no_previous }}</p>{% endif %}
</section>

{{ PART }}<section class="chapter"><h2>{{ L.departments }}</h2>
{% if departments.rows %}{{ render(departments) }}{% else %}<p class="note">{{ L.no_departments }}</p>{% endif %}
</section>

{{ PART }}<section class="chapter"><h2>{{ L.appendix }}</h2>
<p class="note">{{ L.appendix_note }}</p>
<h3>{{ L.m_pillars }}</h3>{{ render(m.pillars) }}
<h3>{{ L.m_indicators }}</h3>{{ render(m.indicators) }}
<h3>{{ L.m_deductions }}</h3>{{ render(m.deductions) }}
<h3>{{ L.m_vetoes }}</h3>{{ render(m.vetoes) }}
<h3>{{ L.m_grades }}</h3>{{ render(m.grades) }}
<h3>{{ L.m_rules }}</h3>{{ render(m.rules) }}
<h3>{{ L.m_design }}</h3>{% if m.design.rows %}{{ render(m.design) }}{{ render(m.sample) }}{% else %}<p class="note">{{ L.no_survey }}</p>{% endif %}
</section>
{{ PART }}</body></html>
"""

REPORT_LABELS: tuple[str, ...] = (  # headings and notes of the template, texts in dashboard.i18n (report.*)
    "summary",
    "distribution",
    "grades",
    "grade_mix",
    "rankings",
    "rank_note",
    "streets",
    "communities",
    "workers",
    "vetoes",
    "no_vetoed",
    "veto_events",
    "no_events",
    "satisfaction",
    "satisfaction_note",
    "no_survey",
    "trends",
    "previous",
    "no_previous",
    "departments",
    "no_departments",
    "appendix",
    "appendix_note",
    "m_pillars",
    "m_indicators",
    "m_deductions",
    "m_vetoes",
    "m_grades",
    "m_rules",
    "m_design",
)

_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_template = _env.from_string(_TEMPLATE)


_PART = "<!--gridscore:part-->"


@dataclass(frozen=True)
class Parts:
    """The report document cut where a page may start a separately printed part.

    `head + "".join(blocks) + tail` is the whole document; each block (the cover
    with the summary, the rankings' street table, one street, each later chapter)
    is valid HTML on its own, so `head + blocks[i:j] + tail` prints that stretch.
    """

    head: str
    blocks: list[str]
    tail: str

    def document(self, start: int = 0, stop: int | None = None) -> str:
        """The HTML of blocks[start:stop] as a complete document."""
        return self.head + "".join(self.blocks[start:stop]) + self.tail


def render_html(report: AnnualReport, *, charts: dict[str, bytes] | None = None) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG charts, no scripts).

    Args:
        report: from `build_report`.
        charts: SVG (or PNG) bytes per figure key; drawn by plotly.js in Chromium when not given.
    """
    return render_parts(report, charts=charts).document()


def render_parts(report: AnnualReport, *, charts: dict[str, bytes] | None = None) -> Parts:
    """The report's HTML in printable blocks (see `Parts`); the PDF prints them in parallel."""
    pieces = _render(report, charts).split(_PART)
    return Parts(head=pieces[0], blocks=pieces[1:-1], tail=pieces[-1])


def _render(report: AnnualReport, charts: dict[str, bytes] | None) -> str:
    lang = report.lang
    images = charts if charts is not None else chart_images(report.figures)
    m = report.methodology
    run = report.run
    cover = [
        (t("report.cover.period", lang), report.period_label),
        (t("report.cover.scope", lang), report.scope_name),
        (t("report.cover.run", lang), run.run_id),
        (t("report.cover.status", lang), t("report.cover.status_draft" if report.draft else "run.final", lang)),
        (t("report.cover.scheme", lang), f"{m.scheme_name}（{m.scheme_version}）"),
        (t("report.cover.scored_at", lang), fmt_date(run.created_at, lang)),
        (t("report.cover.finalised", lang), f"{fmt_date(run.finalised_at, lang)} {run.finalised_by or ''}".strip()
         if run.finalised_at else "—"),
        (t("report.cover.fingerprint", lang), run.input_fingerprint[:16]),
        (t("report.cover.generated", lang), fmt_date(report.generated_at, lang)),
    ]
    return _template.render(
        PART=Markup(_PART), lang=lang, title=report.title, css=css(), draft=report.draft,
        heading=t("report.heading", lang),
        subtitle=f"{report.period_label} · {report.scope_name}", cover=cover, status_row=4,
        L={k: t(f"report.{k}", lang, k_min=K_MIN) for k in REPORT_LABELS},
        summary=summary_rows(report), charts={k: data_uri(v) for k, v in images.items()},
        grades=table(T.GRADES, report.grade_distribution, lang),
        streets=table(T.UNITS, report.streets, lang),
        street_sections=street_sections(report),
        vetoed=table(T.VETOED, report.vetoed, lang),
        veto_events=table(T.VETO_EVENTS, report.veto_events, lang),
        satisfaction=table(T.SATISFACTION, report.satisfaction, lang),
        interval_note=t("note.interval", lang) if any(
            interval_outside(r.get("ci_low"), r.get("ci_high")) for r in report.satisfaction.iter_rows(named=True)) else "",
        trend=table(T.TREND, report.trend, lang),
        changes=table(T.CHANGES, report.changes, lang),
        departments=table(T.UNITS, report.departments, lang),
        m={"pillars": table(T.M_PILLARS, m.pillars, lang), "indicators": table(T.M_INDICATORS, m.indicators, lang),
           "deductions": table(T.M_DEDUCTIONS, m.deductions, lang), "vetoes": table(T.M_VETOES, m.vetoes, lang),
           "grades": table(T.M_GRADES, m.grades, lang), "rules": table(T.M_RULES, m.rules, lang),
           "design": table(T.M_DESIGN, m.design, lang), "sample": table(T.M_SAMPLE, m.sample, lang)},
    )
