"""The root of fraudforge's errors, and the errors of writing outputs. Every error a user can
cause is a ``FraudforgeError`` (and, where one fits, a built-in class such as ``ValueError``),
naming what was wrong and what is allowed; the command line prints it as one line."""

from __future__ import annotations


class FraudforgeError(Exception):
    """Something a user asked for cannot be done as asked; the message says why and what is
    allowed."""


class OutputExistsError(FraudforgeError, FileExistsError):
    """The output path already holds something and cannot be written as asked.

    Parameters
    ----------
    path
        The output path.
    reason
        Why it cannot be written; default: it is a non-empty directory and ``overwrite`` was
        not given.
    """

    def __init__(self, path: str, reason: str | None = None) -> None:
        super().__init__(
            f"output {path!r}: {reason}"
            if reason
            else f"output directory {path!r} is not empty; choose an empty or new directory, "
            "or pass overwrite=True (CLI: --overwrite) to replace it"
        )


class UnsafeOutputError(OutputExistsError):
    """An output that fraudforge refuses to replace even with overwrite: a directory it did not
    write, the working directory or one of its parents, the home directory or the root.

    Parameters
    ----------
    path
        The output path.
    why
        Which of those it is.
    """

    def __init__(self, path: str, why: str) -> None:
        FileExistsError.__init__(
            self, f"refusing to replace {path!r}: {why}; choose another directory"
        )


_TYPE_WORDS = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "array": "a list",
    "object": "a table of fields",
    "null": "nothing (null)",
}


def plain_expectation(text: str) -> str:
    """msgspec's type message ("Expected `int`, got `str`") in words a user reads after
    "allowed is": "an integer (got a string)"; other messages are returned unchanged."""
    import re

    match = re.fullmatch(r"Expected `([^`]+)`, got `([^`]+)`", text.strip())
    if match is None:
        return text

    def words(types: str) -> str:
        names = [t.strip() for t in types.split("|")]
        if len(names) > 1:  # an optional field: leaving it out is the way to give nothing
            names = [t for t in names if t != "null"]
        return " or ".join(_TYPE_WORDS.get(t, f"`{t}`") for t in names)

    return f"{words(match.group(1))} (got {words(match.group(2))})"
