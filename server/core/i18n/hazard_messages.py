"""UI words of hazard reports (problems no clause covers): server/inspections/hazards.py."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "hazard.unknown_category": {
        "zh": "类别应为以下之一：{categories}。",
        "en": "the category must be one of: {categories}.",
    },
    "hazard.unknown_severity": {
        "zh": "严重程度应为以下之一：{severities}。",
        "en": "the severity must be one of: {severities}.",
    },
    "hazard.no_asset_near": {
        "zh": "{metres} 米内没有您片区的设施，无法记录此隐患。",
        "en": "no asset of your zones lies within {metres} m of this position.",
    },
    "hazard.title": {"zh": "报告隐患", "en": "Report a hazard"},
    "hazard.report": {"zh": "报告隐患（标准条款之外）", "en": "Report a hazard (no clause covers it)"},
    "hazard.hint": {
        "zh": "树枝倒伏、井盖破损等标准条款未涵盖的问题：记录后成为缺陷，离线也可保存，联网后自动同步。",
        "en": "A fallen branch, a broken manhole cover — a problem no clause covers: it becomes a defect; "
              "it saves offline too and syncs when online.",
    },
    "hazard.category": {"zh": "类别", "en": "Category"},
    "hazard.other": {"zh": "其他", "en": "Other"},
    "hazard.severity": {"zh": "严重程度", "en": "Severity"},
    "hazard.note": {"zh": "说明", "en": "Note"},
    "hazard.photos": {"zh": "照片", "en": "Photos"},
    "hazard.save": {"zh": "保存隐患", "en": "Save the hazard"},
    "hazard.need_note": {"zh": "请说明隐患。", "en": "Please describe the hazard."},
    "offline.kind_hazard": {"zh": "隐患报告", "en": "Hazard report"},
}
