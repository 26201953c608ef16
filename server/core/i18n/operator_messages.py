"""Words for the operator's own standards, ad-hoc hazards and the honest scoring rule (issue 15)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "standards.written_by_operator": {
        "zh": "本类别由运营方编写：合同标准原文没有此类设施的标准，条款措辞为运营方所定。",
        "en": "Written by the operator: the contract's source text has no standard for this category; "
              "the clause wording is the operator's.",
    },
    # -- scoring: where the rule's numbers come from, and the safety veto -----------------------
    "scoring.rule_origin_operator": {
        "zh": "权重、付款档次与缺陷响应时限（RESPONSE_TIMES）均为运营方默认值，合同文本未作规定。",
        "en": "The weights, payment bands and defect response times (RESPONSE_TIMES) are the operator's "
              "defaults: the contract text sets none of them.",
    },
    "scoring.rule_origin_contract": {
        "zh": "权重与付款档次取自合同：{source}",
        "en": "The weights and payment bands are the contract's: {source}",
    },
    "scoring.veto_rule": {
        "zh": "安全一票否决（{source}）：当月有安全缺陷超过响应时限仍未关闭的，付款不超过 {cap}。",
        "en": "Safety veto ({source}): a month in which a safety defect stays unclosed past its due time "
              "pays at most {cap}.",
    },
    "scoring.note_safety_veto": {"zh": "安全一票否决", "en": "safety veto"},
    "scoring.veto_applied": {
        "zh": "安全一票否决：{n} 项安全缺陷超过响应时限仍未关闭，付款上限 {cap}（按得分档次为 {band}）。",
        "en": "Safety veto: {n} safety defect(s) not closed by their due time; payment capped at {cap} "
              "(the score's band pays {band}).",
    },
    "scoring.veto_applied_no_change": {
        "zh": "安全一票否决：{n} 项安全缺陷超过响应时限仍未关闭；得分档次 {band} 已不高于上限 {cap}。",
        "en": "Safety veto: {n} safety defect(s) not closed by their due time; the score's band ({band}) is "
              "already no higher than the cap ({cap}).",
    },
    "scoring.veto_defect": {
        "zh": "条款 {clause}（{severity}），应于 {due} 前响应",
        "en": "clause {clause} ({severity}), due {due}",
    },
}
