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
}
