"""Monthly compliance scoring: the rule as data, the figures, closing months, pages and reports.

See docs/scoring.md. rules.py loads standards/scoring/*.yaml; queries.py reduces a month to
plain rows in the database; figures.py applies the rule to them; service.py scores, closes
and reopens months and builds trends; charts.py, pdf.py and exports.py draw and export;
controllers.py holds the pages and GET /api/scores; cli.py is `fieldcheck score`.
"""
