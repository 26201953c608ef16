"""Inspection rounds: schedules, what is due, missed rounds, emergencies and the weekly report (docs/rounds.md)."""
