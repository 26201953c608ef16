"""`python -m standards ...`: see standards/cli.py."""

from .cli import main

raise SystemExit(main())
