"""Errors a user can cause, each naming what was wrong and what is allowed."""

from __future__ import annotations

from typing import Any


class ScenarioError(ValueError):
    """An invalid Scenario field: names the field, the value given and what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"invalid scenario field `{field}` = {value!r}: allowed is {allowed}")


class OutputExistsError(FileExistsError):
    """The output path already holds something and cannot be written as asked."""

    def __init__(self, path: str, reason: str | None = None) -> None:
        super().__init__(
            f"output {path!r}: {reason}"
            if reason
            else f"output directory {path!r} is not empty; choose an empty or new directory, "
            "or pass overwrite=True (CLI: --overwrite) to replace it"
        )


class UnsafeOutputError(OutputExistsError):
    """An output that fraudforge refuses to replace even with overwrite: a directory it did not
    write, the working directory or one of its parents, the home directory or the root."""

    def __init__(self, path: str, why: str) -> None:
        FileExistsError.__init__(
            self, f"refusing to replace {path!r}: {why}; choose another directory"
        )
