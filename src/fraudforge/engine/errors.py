"""Errors a user can cause, each naming what was wrong and what is allowed."""

from __future__ import annotations

from typing import Any

from fraudforge.foundation.errors import (
    ConfigError,
    DataError,
    OutputExistsError,
    UnsafeOutputError,
)


class ScenarioError(ConfigError):
    """An invalid Scenario field: names the field, the value given and what is allowed.

    The three are kept as attributes of the same names, so a caller (a form, a config editor)
    can point at the field without parsing the message.

    Parameters
    ----------
    field
        The field's name as a user writes it: a Scenario field (``customers``), a key of a mix
        (``fraud_mix.card_testing``), a campaign's field (``campaigns[0].factor``), or
        ``config`` for a scenario file that cannot be read.
    value
        The value given (shown with ``repr``).
    allowed
        What is allowed instead, in words (``1 to 2,000,000,000``).
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"invalid scenario field `{field}` = {value!r}: allowed is {allowed}")


class SchemaVersionError(DataError):
    """A dataset written with a schema version this fraudforge does not read: names the
    version found and the ones allowed."""

    def __init__(self, path: str, found: int, readable: tuple[int, ...], current: int) -> None:
        self.found = found
        super().__init__(
            f"dataset {path!r} has schema version {found}: this fraudforge writes version "
            f"{current} and reads versions {', '.join(map(str, readable))}; regenerate the "
            "dataset with `fraudforge generate` from its scenario (manifest.json `scenario`)"
        )


__all__ = ["OutputExistsError", "ScenarioError", "SchemaVersionError", "UnsafeOutputError"]
