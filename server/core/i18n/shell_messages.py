"""Words of the offline asset page (the shell the phone fills from its stored bundle)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "inspect.asset_not_downloaded": {
        "zh": "这台手机上没有该设施：请在有网络时打开它，或先“下载离线数据”。",
        "en": "This asset is not stored on this phone: open it with a signal, or “Download for offline” first.",
    },
    "inspect.from_phone": {
        "zh": "无网络：显示的是上次下载到手机上的数据。",
        "en": "No signal: showing what was last downloaded to this phone.",
    },
    "inspect.last_known": {"zh": "上次下载时的最近巡检", "en": "Latest inspection when downloaded"},
}
