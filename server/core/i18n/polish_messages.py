"""Words for issue 12's polish: counts that name what they count."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "wo.showing": {"zh": "列出 {n} 张，共 {total} 张工单", "en": "Listing {n} of {total} work orders"},
}
