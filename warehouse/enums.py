"""Enumerations of the warehouse: the allowed codes and their Chinese labels.

Ingest validates against these; templates offer them as dropdowns; the dashboard
shows the labels. One place, so the three never disagree.
"""

from __future__ import annotations

ORG_LEVELS: dict[str, str] = {
    "district": "区",
    "street": "街道",
    "community": "社区",
    "grid": "网格",
}

WORKER_ROLES: dict[str, str] = {
    "grid_worker": "网格员",
    "grid_head": "网格长",
    "grid_police": "网格警察",
    "coordinator": "综治协管员",
    "community_staff": "社区工作者",
    "department_staff": "部门人员",
}

DEPARTMENT_KINDS: dict[str, str] = {
    "functional": "职能部门",
    "street_office": "街道办事处",
    "community": "社区居委会",
}

WORK_TYPES: dict[str, str] = {
    "visit": "入户走访",
    "dispute": "矛盾纠纷调解",
    "dispute_screening": "矛盾纠纷排查",
    "hazard_report": "隐患上报",
    "service_errand": "代办服务",
    "petition": "信访代访",
    "hotline": "热线工单",
    "key_person_followup": "重点人员帮教",
    "drill": "应急演练",
    "meeting": "居民议事会",
}

WORK_STATUSES: dict[str, str] = {
    "open": "办理中",
    "closed": "已办结",
    "cancelled": "已撤销",
}

WORK_OUTCOMES: dict[str, str] = {
    "success": "成功",
    "partial": "部分解决",
    "failed": "未解决",
    "referred": "转办",
}

WARNING_LEVELS: dict[str, str] = {
    "red": "红色",
    "yellow": "黄色",
    "blue": "蓝色",
}

WORK_SOURCES: dict[str, str] = {
    "patrol": "巡查发现",
    "resident": "群众反映",
    "hotline": "热线转办",
    "assigned": "上级交办",
    "inspection": "督查发现",
}

INSPECTION_KINDS: dict[str, str] = {
    "open": "明察",
    "covert": "暗访",
    "spot_check": "抽查",
}

COMPLAINT_CHANNELS: dict[str, str] = {
    "hotline": "行风热线",
    "letter": "来信",
    "visit": "来访",
    "online": "网上",
}

VETO_SCOPES: dict[str, str] = {
    "worker": "个人",
    "grid": "网格",
    "community": "社区",
    "department": "部门",
}

VETO_SEVERITIES: dict[str, str] = {
    "fail": "不合格",
    "grade_cap": "限定等次",
    "no_award": "取消评优",
}

VETO_STATUSES: dict[str, str] = {
    "proposed": "已提出",
    "confirmed": "已确认",
    "appealed": "申诉中",
    "upheld": "维持",
    "overturned": "撤销",
}

PERIOD_KINDS: dict[str, str] = {
    "year": "年度",
    "half": "半年",
    "quarter": "季度",
    "month": "月度",
}

GRADES: dict[str, str] = {
    "excellent": "优秀",
    "good": "良好",
    "pass": "合格",
    "fail": "不合格",
}
