"""How figures are written for people: one place, so the page, the CSV and the PDF agree."""

from __future__ import annotations

from fractions import Fraction


def percent(value: Fraction | None, *, sign: bool = True) -> str:
    """A ratio as a percentage to one decimal (2/3 → "66.7 %"); "—" when undefined."""
    if value is None:
        return "—"
    text = f"{float(value) * 100:.1f}"
    return f"{text} %" if sign else text


def score(value: Fraction | None) -> str:
    """A score to one decimal, "—" when the scope is not scored."""
    return "—" if value is None else f"{float(value):.1f}"


def payment(value: Fraction | None) -> str:
    return "—" if value is None else f"{float(value):g} %"


def plain(value: Fraction | None, places: int = 4) -> str:
    """A ratio as a plain decimal for CSV (0.6667), empty when undefined."""
    return "" if value is None else f"{float(value):.{places}f}"
