"""Words of issue 12's htmx pages (branch h12c)."""

MESSAGES = {
    "h12c.to_review": {"zh": "{n} 个工单待审核", "en": "{n} work orders to review"},
    "h12c.map_updating": {"zh": "正在更新地图…", "en": "Updating the map…"},
}
