"""The demo site: a riverside green belt with accounts for every role and three months of history.

`await load_demo(db)` loads it once (idempotent); `DEMO_ACCOUNTS` lists the sign-ins.
"""

from server.demo.accounts import DEMO_ACCOUNTS, DemoAccount
from server.demo.loader import DemoSummary, build_demo, load_demo

__all__ = ["DEMO_ACCOUNTS", "DemoAccount", "DemoSummary", "build_demo", "load_demo"]
