"""Standards versions the operator installs (issue #15 item 1): stored in the database so
every worker sees the same set, validated and diffed before they are scheduled.

models.py holds the table, registry.py the set the app judges with (shipped versions plus
installed ones, refreshed across workers), service.py the install rules, pages.py
`/admin/standards`, cli.py `fieldcheck standards install`.
"""
