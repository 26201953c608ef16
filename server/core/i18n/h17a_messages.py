"""Words of photos kept in an object store (server/photos/stores.py)."""

MESSAGES: dict[str, dict[str, str]] = {
    "photos.store_unavailable": {
        "zh": "服务器暂时无法访问照片存储，照片未保存。照片仍保存在手机上，稍后会自动重试。",
        "en": "The server cannot reach its photo storage right now; nothing was stored. The photo stays on the phone and will be sent again shortly.",
    },
}
