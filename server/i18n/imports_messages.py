"""UI words of importing and exporting the register (server/imports/, /admin/import)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # Whole-file problems: the import does not run.
    "imports.unknown_kind": {"zh": "未知的导入类型“{kind}”（应为 zones 或 assets）。", "en": "unknown import kind {kind!r} (zones or assets)."},
    "imports.unknown_site": {"zh": "没有编号为“{site}”的项目。", "en": "no site with code {site!r}."},
    "imports.unreadable": {"zh": "无法读取文件：{detail}", "en": "the file cannot be read: {detail}"},
    "imports.bad_crs": {"zh": "坐标系无法使用：{detail}", "en": "the coordinate reference system cannot be used: {detail}"},
    "imports.no_crs": {"zh": "{file} 未声明坐标系；请用 --crs 指定（如 EPSG:4527、gcj02、bd09）。",
                       "en": "{file} declares no coordinate reference system; name it with --crs (e.g. EPSG:4527, gcj02, bd09)."},
    "imports.bad_field_option": {"zh": "字段对应有误：{detail}", "en": "bad field mapping: {detail}"},
    "imports.no_column": {"zh": "文件中找不到字段“{target}”的列（可用列名：{names}；文件的列：{columns}）；可用 --field {target}=列名 指定。",
                          "en": "no column for {target} (looked for {names}; the file has: {columns}); name it with --field {target}=COLUMN."},
    "imports.export_format": {"zh": "{file}：请使用 .geojson 或 .gpkg 文件名。", "en": "{file}: export to a .geojson or .gpkg file."},
    # One feature refused (field, code, message).
    "imports.refused_asset": {"zh": "{code}：{message}", "en": "{code}: {message}"},
    "imports.missing_value": {"zh": "缺少“{field}”。", "en": "{field} is missing."},
    "imports.bad_text": {"zh": "“{field}”含有无法保存的字符。", "en": "{field} holds a character that cannot be stored."},
    "imports.too_long": {"zh": "“{field}”超过 {limit} 个字符。", "en": "{field} is longer than {limit} characters."},
    "imports.not_a_number": {"zh": "“{field}”不是数字：{value}", "en": "{field} is not a number: {value}"},
    "imports.missing_geometry": {"zh": "该要素没有几何图形。", "en": "the feature has no geometry."},
    "imports.off_the_planet": {"zh": "坐标超出经纬度范围（按 {crs} 读取）；文件的坐标系是否有误？可用 --crs 指定。",
                               "en": "the coordinates are off the planet (read as {crs}); is the file's CRS right? Name it with --crs."},
    "imports.unknown_category": {"zh": "未知的设施类别“{value}”（可用：{categories}，或其中文、英文名称）。",
                                 "en": "unknown category {value!r} (one of {categories}, or its Chinese or English name)."},
    "imports.unknown_zone": {"zh": "该项目中没有片区“{value}”。", "en": "the site has no zone {value!r}."},
    "imports.outside_zones": {"zh": "位置不在该项目的任何片区内。", "en": "the position is not inside any zone of the site."},
    "imports.duplicate_code": {"zh": "文件中编号重复（已在前面的要素中出现）。", "en": "the code appears earlier in the file."},
    "imports.code_in_other_site": {"zh": "该编号已属于另一个项目的设施。", "en": "the code belongs to an asset of another site."},
    "imports.not_a_polygon": {"zh": "片区边界必须是面（Polygon 或 MultiPolygon）。", "en": "a zone outline must be a polygon (Polygon or MultiPolygon)."},
}
