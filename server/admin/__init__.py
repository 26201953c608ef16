"""The administrator's pages: sites, zones, assets, contractors, contracts, users, the audit browser."""
