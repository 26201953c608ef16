"""The core the domains build on: nothing in here imports a domain (docs/architecture.md)."""
