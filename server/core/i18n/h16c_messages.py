"""Words of the round alerts on the notifications page and the weekly report's CLI."""

MESSAGES: dict[str, dict[str, str]] = {
    "notice.rounds_heading": {"zh": "巡检提醒", "en": "Round alerts"},
    "notice.rounds_none": {"zh": "没有巡检提醒。", "en": "No round alerts."},
    "notice.round_missed": {"zh": "漏检：片区 {zone}，{first} – {last}，{due} 个中 {missed} 个未检",
                            "en": "Missed round: zone {zone}, {first} – {last}, {missed} of {due} not inspected"},
    "notice.round_emergency_late": {"zh": "紧急巡检已超时：{reason}", "en": "Emergency round past its hours: {reason}"},
}
