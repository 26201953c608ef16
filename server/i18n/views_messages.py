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
    # A refused record's fields in words (sync/labels.py)
    "fieldname.asset_id": {"zh": "设施", "en": "Asset"},
    "fieldname.observed_at": {"zh": "检查时间", "en": "Time of the inspection"},
    "fieldname.position": {"zh": "位置", "en": "Position"},
    "fieldname.lat": {"zh": "纬度", "en": "Latitude"},
    "fieldname.lon": {"zh": "经度", "en": "Longitude"},
    "fieldname.accuracy_m": {"zh": "定位精度", "en": "Position accuracy"},
    "fieldname.notes": {"zh": "备注", "en": "Notes"},
    "fieldname.photos": {"zh": "照片", "en": "Photos"},
    "fieldname.photo_n": {"zh": "第 {n} 张照片", "en": "Photo {n}"},
    "fieldname.damages": {"zh": "破损", "en": "Damage instances"},
    "fieldname.damage_n": {"zh": "第 {n} 处破损", "en": "Damage no. {n}"},
    "fieldname.damage_type": {"zh": "破损类型", "en": "Type of damage"},
    "fieldname.not_applicable": {"zh": "不适用的条款", "en": "Clauses marked not applicable"},
    "fieldname.standards_version": {"zh": "标准版本", "en": "Standards version"},
    "fieldname.observations": {"zh": "观察项", "en": "Observations"},
    "fieldname.category": {"zh": "设施类别", "en": "Asset category"},
    "fieldname.name": {"zh": "名称", "en": "Name"},
    "fieldname.code": {"zh": "编号", "en": "Code"},
    "fieldname.zone_id": {"zh": "片区", "en": "Zone"},
    "fieldname.work_order_id": {"zh": "工单", "en": "Work order"},
    "fieldname.compliant": {"zh": "手机上的结论", "en": "The phone's verdict"},
    "fieldname.clauses": {"zh": "手机上的条款判定", "en": "The phone's clause results"},
    "fieldname.id": {"zh": "编号", "en": "Id"},
    "views.choose_asset": {"zh": "改选其他设施", "en": "Choose another asset"},
    "views.reassign_note": {
        "zh": "原设施已停用:请选择同类别的另一设施,记录将改记到所选设施并重新同步。",
        "en": "The record's asset is retired: choose another asset of the same category; "
              "the record moves to it and is sent again.",
    },
    "views.problems_here": {"zh": "需要修改的地方:", "en": "To correct:"},
}
