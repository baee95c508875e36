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
    """The output directory already holds files and overwriting was not asked for."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"output directory {path!r} is not empty; choose an empty or new directory, "
            "or pass overwrite=True (CLI: --overwrite) to replace it"
        )
