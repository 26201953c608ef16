"""The core: what every domain may use and that imports no domain.

The database, settings, rendering, the request helpers, geo, the signed-in user, security
headers, the text rule, CSV files and the per-request dependencies (docs/architecture.md).
"""
