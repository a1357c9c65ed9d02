"""All user-facing text of the dashboard in Chinese and English, plus formats.

`STRINGS` is the one dictionary of labels: key → (zh, en). `t(key, lang)` looks a
label up; number, percent and date formats follow the language too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from metrics.reasons import IN_POST_PATTERN, split_reasons
from surveys.suppression import K_MIN
from warehouse.enums import (
    GRADES,
    ORG_LEVELS,
    VETO_SCOPES,
    VETO_SEVERITIES,
    VETO_STATUSES,
    WORK_OUTCOMES,
    WORK_STATUSES,
    WORK_TYPES,
    WORKER_ROLES,
)
from warehouse.pillars import PILLAR_KINDS

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    # shell
    "app.title": ("网格化管理考核", "Grid governance assessment"),
    "app.brand": ("网格考核", "GridScore"),
    "nav.overview": ("总览", "Overview"),
    "nav.rankings": ("排名", "Rankings"),
    "nav.worker": ("人员详情", "Worker"),
    "nav.unit": ("单位详情", "Unit"),
    "nav.vetoes": ("一票否决与申诉", "Vetoes & appeals"),
    "nav.surveys": ("满意度调查", "Survey operations"),
    "nav.scheme": ("考核方案", "Scheme"),
    "nav.finalise": ("定稿", "Finalise"),
    "nav.signout": ("退出登录", "Sign out"),
    "nav.lang_switch": ("English", "中文"),
    "filter.period": ("考核期", "Period"),
    "filter.unit": ("组织范围", "Org unit"),
    "filter.all_units": ("全部", "All units"),
    "signed_in_as": ("当前用户", "Signed in as"),
    # roles
    "role.admin": ("管理员", "Administrator"),
    "role.assessor": ("考核员", "Assessor"),
    "role.supervisor": ("督导", "Supervisor"),
    "role.viewer": ("查看者", "Viewer"),
    # sign in
    "login.title": ("登录", "Sign in"),
    "login.user": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码不正确。", "Wrong user name or password."),
    "login.rate_limited": ("尝试次数过多，请稍后再试。", "Too many attempts; please wait a minute."),
    "login.signed_out": ("您已退出登录。", "You have signed out."),
    # states
    "empty.no_run": ("暂无评分结果", "No score run yet"),
    "empty.no_run_hint": ("该考核期尚未运行评分（gridscore score）。", "No scoring run exists for this period yet (gridscore score)."),
    "empty.no_data": ("暂无数据", "No data"),
    "empty.pick_worker": ("请在排名中选择一名人员。", "Pick a worker in the rankings."),
    "empty.pick_unit": ("请选择一个单位。", "Pick a unit."),
    "empty.not_available": ("该功能的数据尚不可用。", "This data is not available yet."),
    "denied": ("无权访问该范围。", "You may not access this unit."),
    "unit.unknown": ("地址中的组织范围“{unit}”不存在。请在上方“组织范围”中选择一个单位。",
                     "The org unit “{unit}” in the address does not exist. Pick a unit under “Org unit” above."),
    "unit.out_of_scope": ("地址中的组织范围“{unit}”不在您的权限范围内。请在上方“组织范围”中选择一个单位。",
                          "The org unit “{unit}” in the address is outside your scope. Pick a unit under “Org unit” above."),
    "filter.bad_unit": ("{unit}（无效）", "{unit} (invalid)"),
    "denied.action": ("您的角色无权执行此操作。", "Your role may not do this."),
    # overview
    "kpi.workers": ("考核人数", "Workers assessed"),
    "kpi.mean": ("平均分", "Mean score"),
    "kpi.vetoes": ("一票否决", "Vetoes"),
    "kpi.response_rate": ("调查应答率", "Survey response rate"),
    "kpi.run": ("评分批次", "Score run"),
    "run.draft": ("草稿", "draft"),
    "run.final": ("已定稿", "final"),
    "chart.distribution": ("总分分布", "Score distribution"),
    "chart.grade_mix": ("各街道等次构成", "Grade mix by street"),
    "chart.trend": ("各期平均分趋势", "Mean score by period"),
    "chart.worker_trend": ("各期总分", "Total by period"),
    "chart.waterfall": ("得分构成", "How the score is made"),
    "chart.indicators": ("指标与目标", "Indicators against targets"),
    "chart.funnel": ("满意度漏斗图", "Satisfaction funnel plot"),
    "chart.p_grade": ("等次概率", "Probability of each grade"),
    "chart.heatmap": ("成员指标热力图", "Indicators by member"),
    "chart.response": ("各网格应答率", "Response rate by grid"),
    "axis.score": ("总分", "Total score"),
    "axis.count": ("人数", "Workers"),
    "axis.share": ("占比", "Share"),
    "axis.points": ("分值", "Points"),
    "axis.respondents": ("应答户数", "Respondents"),
    "axis.satisfaction": ("满意比例", "Share satisfied"),
    "axis.period": ("考核期", "Period"),
    # columns
    "col.rank": ("名次", "Rank"),
    "col.rank_interval": ("名次区间", "Rank interval"),
    "col.rank_in_role": ("岗位内名次", "Rank in role"),
    "col.name": ("姓名", "Name"),
    "col.unit_name": ("单位", "Unit"),
    "col.role": ("岗位", "Role"),
    "col.grid": ("网格", "Grid"),
    "col.community": ("社区", "Community"),
    "col.street": ("街道", "Street"),
    **{f"col.{k.key}": (k.name_zh, k.name_en) for k in PILLAR_KINDS},  # warehouse.pillars
    "col.deductions": ("扣分", "Deductions"),
    "col.bonus": ("加分", "Bonus"),
    "col.total": ("总分", "Total"),
    "col.grade": ("等次", "Grade"),
    "col.markers": ("标记", "Markers"),
    "col.members": ("人数", "Members"),
    "col.level": ("层级", "Level"),
    "col.mean": ("平均分", "Mean"),
    "col.indicator": ("指标", "Indicator"),
    "col.value": ("实际值", "Value"),
    "col.target": ("目标", "Target"),
    "col.weight": ("权重", "Weight"),
    "col.points": ("得分", "Points"),
    "col.record": ("记录", "Record"),
    "col.type": ("类型", "Type"),
    "col.opened": ("受理时间", "Opened"),
    "col.closed": ("办结时间", "Closed"),
    "col.status": ("状态", "Status"),
    "col.outcome": ("结果", "Outcome"),
    "col.category": ("类别", "Category"),
    "col.scope": ("对象类型", "Scope"),
    "col.subject": ("对象", "Subject"),
    "col.severity": ("后果", "Severity"),
    "col.evidence": ("证据", "Evidence"),
    "col.date": ("日期", "Date"),
    "col.sampled": ("抽样户数", "Sampled"),
    "col.responded": ("应答户数", "Responded"),
    "col.rr": ("应答率", "Response rate"),
    "col.flags": ("质量提示", "Quality flags"),
    "col.rank_change": ("名次变化", "Rank change"),
    "col.whatif_total": ("模拟总分", "What-if total"),
    "col.whatif_rank": ("模拟名次", "What-if rank"),
    "marker.vetoed": ("否决", "vetoed"),
    "marker.ineligible": ("不参评", "ineligible"),
    "marker.low_n": ("样本不足", "few respondents"),
    "marker.tied": ("并列待定", "tied"),
    # how satisfaction was estimated, tied grades, rank sets (issue 19; dashboard.satisfaction_note)
    "fair.heading": ("满意度估计方法与名次可靠性", "How satisfaction was estimated, how sure the rank is"),
    "fair.used": ("估计方法：{name}；计分值 {value}（标准误 {se}）",
                  "Estimator: {name}; scored value {value} (standard error {se})"),
    "fair.estimator.direct": ("直接估计（调查样本均值）", "direct estimate (the survey sample's mean)"),
    "fair.estimator.shrinkage": ("收缩估计（按可靠性向全部网格均值收缩，不含协变量）",
                                 "shrinkage toward the mean of all grids by reliability (no covariates)"),
    "fair.estimator.fay_herriot": ("小域估计（Fay–Herriot，以户籍登记住户结构为协变量，与街道直接估计对齐）",
                                   "small-area estimate (Fay–Herriot with the register's resident mix as "
                                   "covariates, benchmarked to the street's direct estimate)"),
    "fair.estimator.members": ("成员满意度的加权均值", "the members' weighted mean"),
    "fair.estimand.population": ("计分口径：网格总体满意度（居民实际感受）",
                                 "Scored: the grid's population mean (what its residents feel)"),
    "fair.estimand.mix_adjusted": ("计分口径：按全市标准住户结构调整后的满意度（网格员本人的贡献）",
                                   "Scored: satisfaction at the city's standard resident mix (the worker's own "
                                   "contribution)"),
    "fair.mix.words": ("这里的住户结构（老年、低收入、流动人口户占比与户规模）使满意度{direction}{points}分："
                       "总体均值 {pop}，按全市标准住户结构为 {adj}。",
                       "The residents here (shares of elderly, low-income and floating households, household "
                       "size) move satisfaction {direction} by {points} points: population mean {pop}, at the "
                       "city's standard resident mix {adj}."),
    "fair.compact": ("满意度：{name}，{estimand}，住户结构影响 {mix} 分{note}",
                     "Satisfaction: {name}, {estimand}, residents' mix {mix} points{note}"),
    "fair.short.direct": ("直接估计", "direct estimate"),
    "fair.short.shrinkage": ("收缩估计", "shrinkage"),
    "fair.short.fay_herriot": ("小域估计（Fay–Herriot）", "small-area (Fay–Herriot)"),
    "fair.short.members": ("成员加权均值", "members' mean"),
    "fair.short.population": ("按总体均值计分", "population mean scored"),
    "fair.short.mix_adjusted": ("按标准住户结构调整后计分", "mix-adjusted value scored"),
    "fair.short.fallback": ("（已回退：{reason}）", " (fell back: {reason})"),
    "fair.short.note.too_few_units": ("单位不足10个，未收缩", "fewer than 10 units, not shrunk"),
    "fair.short.note.grid_level_only": ("小域估计仅用于网格", "small-area estimates are for grids only"),
    "fair.short.note.no_mix_model": ("无法估计住户结构调整", "no resident-mix model"),
    "fair.short.tied": ("统计上并列：评为本等次的概率 {p}，等次未定", "Statistically tied: P(this grade) {p}, not decided"),
    "fair.mix.up": ("提高", "up"),
    "fair.mix.down": ("降低", "down"),
    "fair.note.too_few_units": ("本层级有估计的单位少于10个，无法估计组间方差，未收缩，按直接估计计分。",
                                "Fewer than 10 units with an estimate at this level: the between-unit variance "
                                "cannot be estimated, nothing is shrunk, the direct estimate scores."),
    "fair.note.grid_level_only": ("小域估计只用于网格；本层级用直接估计（网格估计已与街道直接估计对齐）。",
                                  "Small-area estimates are for grids; this level uses the design-based estimate "
                                  "(the grids are benchmarked to the streets' design-based figures)."),
    "fair.note.no_mix_model": ("网格少于10个或缺少户籍信息，无法估计住户结构调整，按总体均值计分。",
                               "Fewer than 10 grids or no register covariates: the resident-mix adjustment cannot "
                               "be estimated, the population mean scores."),
    "fair.tied": ("统计上并列：数据误差下评为“{grade}”的概率为 {p}，低于 {threshold}，等次未定。",
                  "Statistically tied: under the data's noise the probability of “{grade}” is {p}, below "
                  "{threshold}; the grade is not decided."),
    "fair.rank_set": ("名次同时置信集（{level}，所有人同时成立）：第 {low}–{high} 名",
                      "Simultaneous rank set ({level}, holding for everyone at once): {low}–{high}"),
    "fair.weights": ("仅权重变动（±{j}）时的名次范围：第 {low}–{high} 名（与数据误差分开报告）",
                     "Rank range under the weights alone (±{j}): {low}–{high} (reported apart from data noise)"),
    "qflag.too_fast": ("作答过快", "too fast"),
    "qflag.straight_lining": ("直线作答", "straight-lining"),
    "qflag.duplicate_device": ("同一设备重复", "same device"),
    "qflag.duplicate_address": ("同一网络重复", "same address"),
    "qflag.entered_by_grid_worker": ("本网格员代录", "entered by the grid's own worker"),
    "qflag.suppressed": ("估计不予公布", "estimate suppressed"),
    # pages
    "rankings.search": ("按姓名搜索…", "Search by name…"),
    "rankings.level": ("对象", "Show"),
    "rankings.workers": ("人员", "Workers"),
    "rankings.department": ("部门", "Departments"),
    "rankings.community": ("社区", "Communities"),
    "rankings.street": ("街道", "Streets"),
    "rankings.grid": ("网格", "Grids"),
    "rankings.export": ("导出 CSV", "Export CSV"),
    "worker.pick": ("选择人员", "Pick a worker"),
    "worker.satisfaction": ("群众满意度估计", "Satisfaction estimate"),
    "worker.rank": ("名次与区间", "Rank and interval"),
    "worker.records": ("工作记录抽样", "Sample of work records"),
    "worker.adjustments": ("扣分与加分（附证据编号）", "Deductions and bonus (with evidence)"),
    "worker.eligibility": ("参评资格", "Eligibility"),
    "worker.veto": ("一票否决", "Veto"),
    "worker.interval": ("95% 区间", "95% interval"),
    "worker.respondents": ("应答户数", "respondents"),
    "worker.deductions": ("扣分核算（扣分含在工作实绩内）", "Deductions reconciled (inside work results)"),
    "worker.deductions_note": ("每项：事件扣分以该项满分为限（扣完为止）→ 该项得分 → 按其在工作实绩中的权重折算为总分扣分；合计即得分构成图中的“扣分”。",
                               "Each item: its events' points, capped at the item's full marks → the item's score → "
                               "the points the total lost, by the item's weight in work results; the sum is the chart's deductions step."),
    "deduction.capped": ("（封顶）", " (capped)"),
    "deduction.zeroed": ("（直接扣完）", " (zeroing event)"),
    "deduction.sum": ("合计", "Total"),
    "col.ded_item": ("扣分项", "Deduction item"),
    "col.ded_events": ("事件数", "Events"),
    "col.ded_event_points": ("事件扣分", "Event points"),
    "col.ded_full": ("该项满分", "Item full marks"),
    "col.ded_applied": ("计入扣分", "Applied"),
    "col.ded_item_score": ("该项得分", "Item score"),
    "col.ded_share": ("占工作实绩权重", "Weight in results"),
    "col.ded_points_lost": ("总分扣分", "Points off the total"),
    "step.before": ("{pillar}（扣分前）", "{pillar} before deductions"),
    "step.pillar_points": ("{pillar}得分", "{pillar} points"),
    "step.deductions": ("扣分", "Deductions"),
    "step.bonus": ("加分", "Bonus"),
    "step.cap": ("封顶", "Cap"),
    "step.rounding": ("四舍五入", "Rounding"),
    "step.total": ("总分", "Total"),
    "worker.served_area": ("所服务区域的居民（{grids} 个网格）", "residents of the area served ({grids} grids)"),
    "unit.pick": ("选择单位", "Pick a unit"),
    "unit.members": ("成员", "Members"),
    "unit.sub_units": ("下级单位", "Units below"),
    "vetoes.confirm": ("确认", "Confirm"),
    "vetoes.appeal": ("申诉", "Appeal"),
    "vetoes.uphold": ("维持", "Uphold"),
    "vetoes.overturn": ("撤销", "Overturn"),
    "vetoes.note": ("处理说明（必填）", "Reason / evidence (required)"),
    "vetoes.done": ("已记录。", "Recorded."),
    "vetoes.need_note": ("请填写处理说明。", "Please give a reason."),
    "vetoes.pick": ("请先在表格中选择一条记录。", "Select a row in the table first."),
    "surveys.below_min": ("应答不足的网格", "Grids below minimum respondents"),
    "scheme.weights": ("权重", "Weights"),
    "scheme.whatif": ("模拟调整（不改变已存结果）", "What-if (never changes the stored run)"),
    "scheme.apply": ("模拟", "Simulate"),
    "scheme.in_force": ("现行权重", "Weights in force"),
    "scheme.simulated": ("模拟权重", "Simulated weights"),
    "scheme.influence": ("实际影响（各部分对总分方差的贡献）", "Realised influence (share of total-score variance)"),
    "whatif.sum": ("三项权重之和须为 {total}，现为 {sum}：请调整后再模拟（不会自动按比例折算）。",
                   "The weights must add up to {total}; they add up to {sum}. Adjust them to simulate (they are not rescaled for you)."),
    "whatif.not_number": ("{names}：请填写 0–100 之间的数字。", "{names}: enter a number from 0 to 100."),
    "whatif.sum_ok": ("权重合计 {total}，可以模拟。", "The weights add up to {total}; ready to simulate."),
    "finalise.button": ("定稿锁定", "Finalise and lock"),
    "finalise.confirm": ("定稿后结果不可再修改，只能通过申诉更改。确定要定稿吗？", "A final run cannot be changed except through appeals. Finalise now?"),
    "finalise.done": ("已定稿。", "The run is final."),
    "finalise.already": ("该批次已定稿。", "This run is already final."),
    "stale.banner": ("评分已过期：自批次 {batch} 以来有 {n} 项变更", "Scores out of date: {n} changes since batch {batch}"),
    "stale.final": ("运行 {run} 已定稿，不会被修改：更改须经申诉更正流程，生成取代它的新定稿运行。",
                    "Run {run} is final and is never changed: the change goes through an audited correction that produces a superseding final run."),
    "stale.rescore": ("重新评分", "Rescore"),
    "stale.queued": ("已提交重新评分任务 {job}，完成后刷新页面。", "Rescore job {job} submitted; reload the page when it is done."),
    "stale.no_runner": ("重新评分须在服务器上运行（gridscore serve）。", "Rescoring runs on the server (gridscore serve)."),
    "stale.not_draft": ("只有草稿运行可以重新评分。", "Only a draft run can be rescored."),
    "finalise.none": ("没有可定稿的草稿批次。", "There is no draft run to finalise."),
    # survey form
    "survey.title": ("居民满意度调查", "Residents' satisfaction survey"),
    "survey.intro": ("您的家庭被随机抽中参加本次调查。回答匿名，网格员看不到谁回答了什么。大约需要两分钟。",
                     "Your household was randomly selected for this survey. Answers are anonymous: the grid worker cannot see who answered what. It takes about two minutes."),
    "survey.required": ("必答", "required"),
    "survey.submit": ("提交", "Submit"),
    "survey.thanks_title": ("感谢您的参与！", "Thank you!"),
    "survey.thanks": ("您的回答已收到。", "Your answers have been received."),
    "survey.closed_title": ("该调查链接无法使用", "This survey link cannot be used"),
    "survey.closed": ("该链接可能已使用、已过期或无效。如有疑问，请联系所在社区。感谢您的关心！",
                      "The link may have been used already, have expired, or be invalid. If in doubt please contact your community office. Thank you for your interest!"),
    "survey.fix": ("请检查以下标出的问题。", "Please check the questions marked below."),
    "survey.missing": ("请回答此题。", "Please answer this question."),
    "survey.busy": ("请求过于频繁，请稍后再试。", "Too many requests; please try again shortly."),
    "survey.lang": ("English", "中文"),
    # report (HTML/PDF) — headings, notes, cover
    "report.summary": ("一、总体情况", "1. Summary"),
    "report.distribution": ("总分分布", "Score distribution"),
    "report.grades": ("等次分布", "Grade distribution"),
    "report.grade_mix": ("各街道等次构成", "Grade mix by street"),
    "report.rankings": ("二、排名（按街道、社区）", "2. Rankings by street and community"),
    "report.rank_note": ("名次为岗位内名次；名次区间为考虑测量误差后的 90% 区间。分项为得分（分值），与看板一致。", "Ranks are within role; the rank interval is the 90% interval allowing for measurement error. Pillars are points, as in the dashboard."),
    "report.streets": ("街道排名", "Streets"),
    "report.communities": ("社区排名", "Communities"),
    "report.workers": ("人员排名", "Workers"),
    "report.vetoes": ("三、一票否决", "3. One-vote vetoes"),
    "report.no_vetoed": ("本期无被否决人员。", "No worker was vetoed this period."),
    "report.veto_events": ("否决事项及事由", "Veto events and reasons"),
    "report.no_events": ("本期无否决事项。", "No veto events this period."),
    "report.satisfaction": ("四、群众满意度（按网格）", "4. Residents' satisfaction by grid"),
    "report.satisfaction_note": ("满意度为 0–100 分的抽样估计，附 95% 置信区间与应答率；应答少于 {k_min} 户的网格不公布估计值，并另隐去同社区一个网格，以免由社区数据推算。", "Satisfaction is a 0–100 sample estimate with its 95% interval and response rate; grids with fewer than {k_min} respondents are suppressed, and one more grid of the same community with them, so the community figure cannot reveal them."),
    "report.no_survey": ("本期无抽样调查数据。", "No survey sample for this period."),
    "report.trends": ("五、趋势", "5. Trends"),
    "report.previous": ("与上一考核期比较（各街道平均分）", "Against the previous period (mean by street)"),
    "report.no_previous": ("没有上一考核期的评分结果，无法与上期比较。", "There is no score run for the previous period, so no comparison is made."),
    "report.departments": ("六、部门得分", "6. Department scores"),
    "report.no_departments": ("本范围内无部门得分。", "No department scores in this scope."),
    "report.appendix": ("附录：考核方法", "Appendix: methodology"),
    "report.appendix_note": ("以下内容由本期评分批次所用考核方案及抽样设计自动生成。", "Generated from the scheme the run used and the period's sample design."),
    "report.m_pillars": ("构成与分值", "Pillars and points"),
    "report.m_indicators": ("工作实绩指标、权重与目标", "Indicators, weights and targets"),
    "report.m_deductions": ("扣分项", "Deductions"),
    "report.m_vetoes": ("一票否决情形", "Veto rules"),
    "report.m_grades": ("等次划分", "Grades"),
    "report.m_rules": ("其他规则", "Other rules"),
    "report.m_design": ("满意度抽样设计与样本量", "Survey sample design and sizes"),
    "report.title": ("{period}网格化管理考核报告 · {scope}", "Annual assessment report {period} · {scope}"),
    "report.heading": ("网格化管理考核年度报告", "Grid governance assessment — annual report"),
    "report.whole_city": ("全市", "whole city"),
    "report.departments_others": ("部门及其他人员", "Departments and others"),
    "report.cover.period": ("考核期", "Period"),
    "report.cover.scope": ("范围", "Scope"),
    "report.cover.run": ("评分批次", "Score run"),
    "report.cover.status": ("状态", "Status"),
    "report.cover.status_draft": ("草稿（未定稿，仅供审阅）", "draft"),
    "report.cover.scheme": ("考核方案", "Scheme"),
    "report.cover.scored_at": ("评分时间", "Scored at"),
    "report.cover.finalised": ("定稿", "Finalised"),
    "report.cover.fingerprint": ("输入指纹", "Input fingerprint"),
    "report.cover.generated": ("生成时间", "Generated"),
    # exports
    "export.label": ("导出", "Export"),
    "export.pdf": ("年度报告 PDF", "Annual report PDF"),
    "export.xlsx": ("Excel", "Excel"),
    "export.html": ("HTML", "HTML"),
    "export.sheet_pdf": ("个人得分单 PDF", "Score sheet PDF"),
    # formats
    "sep.list": ("，", ", "),
    "bool.yes": ("是", "yes"),
    "bool.no": ("否", "no"),
    "sep.colon": ("：", ": "),
    # scheme codes in the report's method appendix (metrics.scheme)
    "source.indicators": ("工作记录指标与扣分项", "work-record indicators and deduction items"),
    "source.skill_assessments": ("业务技能考核", "skill assessments"),
    "source.survey": ("群众满意度抽样调查", "residents' satisfaction survey"),
    "rule.cap": ("满分", "Cap"),
    "rule.bonus_cap": ("加分上限", "Bonus cap"),
    "rule.min_months": ("参评最少在岗月数", "Fewest months in post to be ranked"),
    "rule.survey_n_min": ("满意度最少应答户数", "Fewest survey respondents to be ranked"),
    "rule.min_reliability": ("满意度最低信度", "Lowest survey reliability to be ranked"),
    "rule.acting_statuses": ("否决生效状态", "Veto statuses that act"),
    "rule.grade_cap": ("“限定等次”否决的最高等次", "Best grade under a grade-cap veto"),
    "rule.rank_interval": ("名次区间", "Rank interval"),
    "rule.draws": ("蒙特卡洛抽样次数", "Monte Carlo draws"),
    "rule.satisfaction_estimator": ("满意度估计方法", "Satisfaction estimator"),
    "rule.satisfaction_estimand": ("满意度计分口径", "Satisfaction scored as"),
    "rule.tied_below": ("“统计上并列”：本等次概率低于", "Statistically tied below P(own grade)"),
    "rule.rank_set": ("名次同时置信集水平", "Level of the simultaneous rank sets"),
    "event.inspection": ("督查发现问题", "inspection finding"),
    "event.rectification_overdue": ("逾期未整改", "rectification overdue"),
    "event.valid_complaint": ("有效投诉", "valid complaint"),
    "event.failed_spot_check": ("抽查不实", "record not confirmed by a spot check"),
    "event.bonus": ("加分事项", "bonus event"),
    "bonus.commendation": ("表彰奖励", "Commendation"),
    "bonus.innovation": ("创新工作", "Innovation"),
    "bonus.emergency_response": ("应急处置", "Emergency response"),
    "bonus.good_deed": ("好人好事", "Good deed"),
    "event.recorded": ("按记录分值", "the recorded points"),
    "design.design_id": ("抽样设计编号", "Design id"),
    "design.method": ("抽样方法", "Method"),
    "design.margin_kind": ("精度指标", "Margin on"),
    "design.target_margin": ("目标误差（±）", "Target margin (±)"),
    "design.assumed_sd": ("假定标准差", "Assumed SD"),
    "design.confidence": ("置信水平", "Confidence"),
    "design.response_rate": ("预期应答率", "Expected response rate"),
    "design.questionnaire_version": ("问卷版本", "Questionnaire version"),
    "design.method.srswor_by_grid": ("按网格分层的不放回简单随机抽样", "simple random sampling without replacement in each grid"),
    "design.margin_kind.mean": ("平均分", "mean score"),
    "design.margin_kind.proportion": ("满意比例", "share satisfied"),
    "direction.higher": ("越高越好", "higher is better"),
    "direction.lower": ("越低越好", "lower is better"),
    # report table columns (dashboard.reports.tables)
    "col.worker_id": ("编号", "ID"),
    "col.veto_reason": ("否决原因", "Veto reason"),
    "col.evidence.reason_evidence": ("事由与证据", "Reason / evidence"),
    "col.invited": ("抽样户数", "Invited"),
    "col.mean.satisfaction": ("满意度", "Satisfaction"),
    "col.ci_low": ("95% 置信区间", "95% interval"),
    "col.suppressed": ("样本不足已抑制", "Suppressed (few respondents)"),
    "col.mean_now": ("本期平均分", "Mean this period"),
    "col.mean_before": ("上期平均分", "Mean previous period"),
    "col.change": ("变化", "Change"),
    "col.name.pillar": ("部分", "Pillar"),
    "col.source": ("数据来源", "Source"),
    "col.min_coverage": ("最低覆盖率", "Min coverage"),
    "col.direction": ("方向", "Direction"),
    "col.target.target": ("目标值", "Target"),
    "col.floor": ("起评值", "Floor"),
    "col.name.deduction": ("扣分项", "Deduction"),
    "col.full": ("满分", "Full points"),
    "col.events": ("扣分标准", "Points per event"),
    "col.zeroing": ("直接扣完情形", "Zeroing events"),
    "col.name.veto_category": ("否决情形", "Veto category"),
    "col.low": ("下限", "From"),
    "col.high": ("上限", "Below"),
    "col.rule": ("规则", "Rule"),
    "col.value.value": ("取值", "Value"),
    "col.item": ("抽样设计", "Design item"),
    "col.grids": ("网格数", "Grids"),
    "col.population": ("总户数", "Households"),
    "col.completes_needed": ("需完成户数", "Completes needed"),
    "col.ranked_among": ("同岗位参评人数", "Ranked among"),
    "col.eligible": ("参评", "Eligible"),
    "col.ineligible_reason": ("不参评原因", "Ineligible reason"),
    "col.vetoed": ("否决", "Vetoed"),
    # reason codes (metrics.reasons): why a worker is scored, not ranked; why a pillar or item is missing
    "reason.in_post_lt_m": ("在岗不满{months}个月", "in post under {months} months"),
    "reason.results_missing": ("工作实绩缺项", "work results missing"),
    "reason.skills_missing": ("业务技能缺项", "job skills missing"),
    "reason.satisfaction_missing": ("群众满意度缺项", "satisfaction missing"),
    "reason.survey_n_lt_min": ("满意度应答户数不足", "too few survey respondents"),
    "reason.reliability_lt_min": ("满意度信度不足", "survey reliability too low"),
    "reason.pending_appeal": ("否决申诉待决", "veto appeal pending"),
    "reason.vetoed": ("一票否决", "vetoed"),
    "reason.no_workload": ("本期无该项工作量", "no workload this period"),
    "reason.no_assessment": ("本期无技能考核", "no skill assessment this period"),
    "reason.no_survey": ("所在网格本期无满意度调查结果", "no survey result for the grid this period"),
    "reason.suppressed_small": ("所在网格应答不足{k_min}户，满意度不予公布", "the grid's survey is suppressed (fewer than {k_min} respondents)"),
    "reason.suppressed_complementary": ("所在网格满意度为防反推而隐去（同社区另有样本不足网格）",
                                        "the grid's survey is suppressed as complementary (it would reveal a small grid)"),
    "reason.coverage_below_threshold": ("可计指标权重不足最低覆盖率", "too few items observed (below the coverage threshold)"),
    "reason.band": ("按分数段", "by score band"),
    "reason.quota": ("优秀名额限制，降为良好", "top-grade quota: moved down one grade"),
    "reason.veto": ("一票否决 {veto_id} 定为不合格", "failed by veto {veto_id}"),
    "reason.veto_cap": ("一票否决 {veto_id} 限定等次", "grade capped by veto {veto_id}"),
    "sep.reasons": ("；", "; "),
    "note.interval": ("† 区间超出 0–100 分：应答户数少时按 t 分布计算的 95% 区间不截断，以保持其 95% 覆盖（方法 A4、A7）；真实满意度仍在 0–100 之间。",
                      "† The interval passes 0 or 100: with few respondents the 95% t interval is not cut, so that it keeps "
                      "its 95% coverage (methodology A4, A7); the true satisfaction still lies within 0–100."),
    # veto categories: the default scheme's and the synthetic city's (a city's scheme may name its own)
    "veto_category.major_safety_incident": ("重大安全责任事故", "Major safety incident"),
    "veto_category.mass_incident": ("群体性事件", "Mass incident"),
    "veto_category.falsified_records": ("弄虚作假", "Falsified records"),
    "veto_category.discipline": ("违纪违规", "Breach of discipline"),
    "veto_category.negative_publicity": ("造成不良影响", "Bad public effect"),
    "veto_category.law_violation": ("违法违纪被立案查处", "Law violation"),
    "sep.open": ("（", " ("),
    "sep.close": ("）", ")"),
    "worker.not_ranked": ("参评不排名", "scored, not ranked"),
    "worker.not_scored": ("未计总分，不排名", "no total, not ranked"),
    "worker.not_ranked_why": ("不排名原因", "Not ranked because"),
    "kpi.ranked": ("参评排名人数", "Ranked"),
    "kpi.not_ranked_label": ("不排名人数（参评不排名或缺项）", "Not ranked (scored, not ranked or missing a pillar)"),
    "kpi.graded": ("评定等次 {n} 人", "{n} graded"),
    "kpi.not_ranked": ("不排名 {n} 人", "{n} not ranked"),
    "kpi.ungraded": ("无等次 {n} 人", "{n} without a grade"),
    "kpi.not_ranked_total": ("；不排名共 {n} 人（其中 {v} 人因一票否决定为不合格）",
                             "; {n} not ranked in all ({v} graded fail by a veto)"),
    "grade.none": ("不排名", "not ranked"),
}

# AG Grid's own chrome (pager, overlays, filter menus): `grid_locale` hands these to
# the grid as its `localeText`; the English texts are AG Grid's defaults.
GRID_TEXT: dict[str, tuple[str, str]] = {
    "page": ("页", "Page"),
    "to": ("至", "to"),
    "of": ("共", "of"),
    "more": ("更多", "more"),
    "pageLastRowUnknown": ("?", "?"),
    "pageSizeSelectorLabel": ("每页行数：", "Page Size:"),
    "ariaPageSizeSelectorLabel": ("每页行数", "Page Size"),
    "firstPage": ("首页", "First Page"),
    "previousPage": ("上一页", "Previous Page"),
    "nextPage": ("下一页", "Next Page"),
    "lastPage": ("末页", "Last Page"),
    "noRowsToShow": ("暂无数据", "No Rows To Show"),
    "noMatchingRows": ("没有符合条件的行", "No Matching Rows"),
    "loadingOoo": ("加载中…", "Loading..."),
    "loadingError": ("加载出错", "ERR"),
    "filterOoo": ("筛选…", "Filter..."),
    "applyFilter": ("应用", "Apply"),
    "clearFilter": ("清除", "Clear"),
    "resetFilter": ("重置", "Reset"),
    "cancelFilter": ("取消", "Cancel"),
    "textFilter": ("文本筛选", "Text Filter"),
    "numberFilter": ("数字筛选", "Number Filter"),
    "empty": ("请选择", "Choose one"),
    "equals": ("等于", "Equals"),
    "notEqual": ("不等于", "Does not equal"),
    "lessThan": ("小于", "Less than"),
    "greaterThan": ("大于", "Greater than"),
    "lessThanOrEqual": ("小于或等于", "Less than or equal to"),
    "greaterThanOrEqual": ("大于或等于", "Greater than or equal to"),
    "inRange": ("介于", "Between"),
    "inRangeStart": ("从", "From"),
    "inRangeEnd": ("到", "To"),
    "contains": ("包含", "Contains"),
    "notContains": ("不包含", "Does not contain"),
    "startsWith": ("开头是", "Begins with"),
    "endsWith": ("结尾是", "Ends with"),
    "blank": ("为空", "Blank"),
    "notBlank": ("不为空", "Not blank"),
    "andCondition": ("且", "AND"),
    "orCondition": ("或", "OR"),
    "ariaFilterInput": ("筛选输入", "Filter Input"),
    "ariaFilterValue": ("筛选值", "Filter Value"),
    "ariaFilterFromValue": ("筛选起始值", "Filter from value"),
    "ariaFilterToValue": ("筛选结束值", "Filter to Value"),
    "ariaFilteringOperator": ("筛选条件", "Filtering operator"),
    "ariaFilterMenuOpen": ("打开筛选菜单", "Open Filter Menu"),
    "ariaColumnFiltered": ("已筛选", "Column Filtered"),
    "ariaLabelColumnFilter": ("列筛选", "Column Filter"),
}
STRINGS.update({f"grid.{k}": v for k, v in GRID_TEXT.items()})


def grid_locale(lang: str) -> dict[str, str]:
    """AG Grid's `localeText` in `lang` (pager "1 至 50 共 149", "暂无数据", filter menus)."""
    return {k: t(f"grid.{k}", lang) for k in GRID_TEXT}


_ENUMS: dict[str, dict[str, str]] = {
    "grade": GRADES,
    "level": ORG_LEVELS,
    "role": WORKER_ROLES,
    "veto_scope": VETO_SCOPES,
    "veto_severity": VETO_SEVERITIES,
    "veto_status": VETO_STATUSES,
    "work_type": WORK_TYPES,
    "work_status": WORK_STATUSES,
    "work_outcome": WORK_OUTCOMES,
}


def lang_of(value: object) -> Lang:
    """Normalise a language parameter: "en" or else Chinese."""
    return "en" if str(value or "").lower().startswith("en") else "zh"


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The label for `key` in `lang` (the key itself if missing, so gaps show).

    With `values`, the label is a `str.format` template filled with them.
    """
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pick(pair[0], pair[1], lang)
    return text.format(**values) if values else text


def pick(zh: str, en: str, lang: str) -> str:
    """Of two texts that come with the data (a scheme's or questionnaire's zh/en names),
    the one in `lang`. The one place outside `t` that chooses text by language."""
    return en if lang_of(lang) == "en" else zh


def pick_attr(obj: object, base: str, lang: str, default: str = "") -> str:
    """`obj.<base>_zh` or `obj.<base>_en` by `lang` (names declared on scheme items)."""
    return str(getattr(obj, f"{base}_{lang_of(lang)}", default))


def other_lang(lang: str) -> Lang:
    """The language the switch in the navigation bar offers."""
    return "zh" if lang_of(lang) == "en" else "en"


def join_list(items: list[str], lang: str) -> str:
    """Items joined with the language's list separator (，or , )."""
    return t("sep.list", lang).join(items)


def enum_label(kind: str, code: str | None, lang: str = "zh") -> str:
    """Label of an enumeration code: Chinese from warehouse.enums, English from the code."""
    if code is None:
        return ""
    if lang_of(lang) == "en":
        return str(code).replace("_", " ")
    return _ENUMS.get(kind, {}).get(str(code), str(code))


def step_label(key: str, pillar: str | None, measure: str, lang: str = "zh") -> str:
    """The label of a score step (`metrics.explain.Step`): "工作实绩（扣分前）", "扣分", "工作实绩得分", …"""
    if key.endswith("_before") and pillar:
        return t("step.before", lang, pillar=t(f"col.{pillar}", lang))
    if key == pillar and measure == "total":
        return t("step.pillar_points", lang, pillar=t(f"col.{pillar}", lang))
    if f"col.{key}" in STRINGS and key == pillar:
        return t(f"col.{key}", lang)
    return t(f"step.{key}", lang)


def reason_label(code: str, lang: str = "zh", *, k_min: int = K_MIN) -> str:
    """Words for one reason code of `metrics.reasons` (the code itself only if undeclared, so gaps show)."""
    m = IN_POST_PATTERN.match(code)
    if m:
        return t("reason.in_post_lt_m", lang, months=f"{float(m.group(1)):g}")
    if code.startswith("veto cap "):
        return t("reason.veto_cap", lang, veto_id=code.removeprefix("veto cap ").strip())
    if code.startswith("veto "):
        return t("reason.veto", lang, veto_id=code.removeprefix("veto ").strip())
    if code == "suppressed_small":
        return t("reason.suppressed_small", lang, k_min=k_min)
    return t(f"reason.{code}", lang) if f"reason.{code}" in STRINGS else code


def event_label(code: str, lang: str = "zh") -> str:
    """A deduction or bonus event code in words (`metrics.scheme.DEDUCTION_EVENTS`)."""
    return t(f"event.{code}", lang) if f"event.{code}" in STRINGS else code


def bonus_label(code: str, lang: str = "zh", names: dict[str, str] | None = None) -> str:
    """A bonus category: the catalogue's words, else the scheme's name in `names`, else the code."""
    if f"bonus.{code}" in STRINGS:
        return t(f"bonus.{code}", lang)
    return (names or {}).get(code, code)


def veto_category_label(code: str | None, lang: str = "zh", names: dict[str, str] | None = None) -> str:
    """A veto category's name: the scheme's own name when given in `names`, else the catalogue's."""
    if not code:
        return ""
    if names and code in names:
        return names[code]
    return t(f"veto_category.{code}", lang) if f"veto_category.{code}" in STRINGS else code


def reasons_text(value: str | None, lang: str = "zh", *, details: dict[str, str | None] | None = None) -> str:
    """A stored reason field (codes joined by ';') in words, joined by the language's separator.

    `details` maps a code to the code of its cause (e.g. satisfaction_missing →
    suppressed_small), shown after it: "群众满意度缺项（所在网格应答不足5户…）".
    """
    words = []
    for code in split_reasons(value):
        text = reason_label(code, lang)
        cause = (details or {}).get(code)
        if cause:
            text += t("sep.open", lang) + reason_label(cause, lang) + t("sep.close", lang)
        words.append(text)
    return t("sep.reasons", lang).join(words)


INTERVAL_MARK = "†"
"""Marks a satisfaction interval that passes 0 or 100 (A4: the t interval is not cut)."""


def interval_outside(low: float | None, high: float | None, *, lo: float = 0.0, hi: float = 100.0) -> bool:
    """True when an interval on the 0–100 scale passes 0 or 100."""
    return (low is not None and low < lo - 1e-9) or (high is not None and high > hi + 1e-9)


def fmt_interval(low: float | None, high: float | None, lang: str = "zh") -> str:
    """A satisfaction interval "[a, b]", marked † when it passes 0 or 100 (see "note.interval")."""
    text = f"[{fmt_num(low, lang)}, {fmt_num(high, lang)}]"
    return text + INTERVAL_MARK if interval_outside(low, high) else text


def fmt_num(value: float | None, lang: str = "zh", *, digits: int = 1) -> str:
    """A number with thousands separators and `digits` decimals; "—" for missing."""
    if value is None or value != value:  # NaN
        return "—"
    return f"{value:,.{digits}f}"


def fmt_int(value: float | None, lang: str = "zh") -> str:
    """A whole number with thousands separators; "—" for missing."""
    if value is None or value != value:
        return "—"
    return f"{round(value):,d}"


def fmt_pct(value: float | None, lang: str = "zh", *, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage; "—" for missing."""
    if value is None or value != value:
        return "—"
    return f"{100 * value:.{digits}f}%"


def fmt_date(value: date | datetime | None, lang: str = "zh") -> str:
    """Dates as 2025年3月1日 in Chinese, 2025-03-01 in English."""
    if value is None:
        return "—"
    if lang_of(lang) == "en":
        return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value.isoformat()
    text = f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, datetime):
        text += f" {value:%H:%M}"
    return text


def fmt_period(period_id: str | None, lang: str = "zh") -> str:
    """Period code as words: 2025 → 2025年度 / 2025; 2025H1 → 2025年上半年 / 2025 H1."""
    if not period_id:
        return "—"
    p = str(period_id)
    if lang_of(lang) == "en":
        return p[:4] + (" " + p[4:] if len(p) > 4 else "")
    year, rest = p[:4], p[4:]
    if rest == "":
        return f"{year}年度"
    if rest in {"H1", "H2"}:
        return f"{year}年{'上' if rest == 'H1' else '下'}半年"
    if rest.startswith("Q"):
        return f"{year}年第{rest[1:]}季度"
    if rest.startswith("M"):
        return f"{year}年{int(rest[1:])}月"
    return p
