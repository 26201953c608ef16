"""The two kinds of error the standards package raises.

`StandardsFileError` is a fault in the data files (found at load time, names the file,
line and key); `EvaluationError` is bad input to the judging engine (carries a stable
code, the field at fault and a message in English and Chinese).
"""

from __future__ import annotations

from collections.abc import Mapping


class StandardsFileError(ValueError):
    """A standards data file is broken: unreadable, malformed or failing the schema."""

    def __init__(self, path: str, line: int | None, key: str, detail: str) -> None:
        self.path = path
        self.line = line
        self.key = key
        self.detail = detail
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {key}: {detail}" if key else f"{where}: {detail}")


class EvaluationError(ValueError):
    """A case given to the engine is bad input; it is refused, never judged.

    `code` is one of the stable codes of docs/standards-format.md, `field` the dotted
    path of the offending part of the case ("" for the case itself), and `messages` the
    same explanation in English ("en") and Chinese ("zh"). `str()` is the English one.
    """

    def __init__(self, code: str, field: str, messages: Mapping[str, str]) -> None:
        self.code = code
        self.field = field
        self.messages = {"en": messages["en"], "zh": messages["zh"]}
        super().__init__(self.messages["en"])

    def as_dict(self) -> dict[str, object]:
        """The error as plain data, e.g. for an API response."""
        return {"code": self.code, "field": self.field, "messages": dict(self.messages)}
