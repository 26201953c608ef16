"""Words of the inspection page, the map-first map, the phone's compact bar, offline set-up and
device names (issue 12). Merged into server/i18n/messages.py's MESSAGES at its end."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "inspection.title": {"zh": "巡检记录", "en": "Inspection"},
    "inspection.not_found": {"zh": "没有这条巡检记录。", "en": "There is no such inspection."},
    "inspection.gps": {"zh": "记录时的位置", "en": "Position when recorded"},
    "inspection.accuracy": {"zh": "(精度 ±{m} 米)", "en": "(accurate to ±{m} m)"},
    "inspection.no_gps": {"zh": "未记录位置", "en": "No position recorded"},
    "inspection.judged_by": {"zh": "判定所用标准版本", "en": "Judged by standards version"},
    "inspection.phone_had": {"zh": "手机上为 {version}", "en": "the phone had {version}"},
    "inspection.received": {"zh": "服务器收到", "en": "Received by the server"},
    "inspection.measured": {"zh": "测量与观察", "en": "Measured and observed"},
    "inspection.yes": {"zh": "是", "en": "Yes"},
    "inspection.no": {"zh": "否", "en": "No"},
    "inspection.damages": {"zh": "破损", "en": "Damage instances"},
    "inspection.damage_n": {"zh": "第 {n} 处", "en": "No. {n}"},
    "inspection.damage_photo": {"zh": "第 {n} 处破损的照片 {k}", "en": "Photo {k} of damage no. {n}"},
    "inspection.photo": {"zh": "巡检照片 {k}", "en": "Inspection photo {k}"},
    "inspection.photos": {"zh": "巡检照片", "en": "Photos of the inspection"},
    "inspection.no_photos": {"zh": "无照片", "en": "No photos"},
    "inspection.clauses": {"zh": "各条款判定", "en": "Clause by clause"},
    "inspection.defects": {"zh": "由此记录发现的缺陷", "en": "Defects this inspection found"},
    "inspection.open": {"zh": "查看巡检记录", "en": "View the inspection"},
    "offline.download_size": {
        "zh": "将下载约 {size}：{assets} 个设施、{defects} 个未关闭缺陷、{pages} 个页面",
        "en": "Will download about {size}: {assets} assets, {defects} open defects, {pages} pages",
    },
    "offline.update_size": {
        "zh": "更新约 {size}：{assets} 个有变化的设施、{defects} 个缺陷、{pages} 个页面",
        "en": "Update of about {size}: {assets} changed assets, {defects} defects, {pages} pages",
    },
    "views.saved_no_page": {
        "zh": "本机尚未存储设施页面(未下载离线数据),有信号时会自动发送。",
        "en": "This phone has not stored the asset's page (nothing downloaded for offline); "
              "the record is sent when there is signal.",
    },
}
