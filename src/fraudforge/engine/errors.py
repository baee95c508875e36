"""Errors a user can cause, each naming what was wrong and what is allowed."""

from __future__ import annotations

from typing import Any

from fraudforge.foundation.errors import FraudforgeError, OutputExistsError, UnsafeOutputError


class ScenarioError(FraudforgeError, ValueError):
    """An invalid Scenario field: names the field, the value given and what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"invalid scenario field `{field}` = {value!r}: allowed is {allowed}")


__all__ = ["OutputExistsError", "ScenarioError", "UnsafeOutputError"]
