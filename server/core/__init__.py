"""The core: what every domain, page and the sync protocol build on; it imports none of them.

The database, settings, rendering, the request helpers, geo, the signed-in user, security
headers, the text rule, errors and their table, validation, the words (i18n), CSV files and
the per-request dependencies (docs/architecture.md).
"""
