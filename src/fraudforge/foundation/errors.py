"""The root of fraudforge's errors, and the errors of writing outputs. Every error a user can
cause is a ``FraudforgeError`` (and, where one fits, a built-in class such as ``ValueError``),
naming what was wrong and what is allowed; the command line prints it as one line."""

from __future__ import annotations

import errno
import re


class FraudforgeError(Exception):
    """Something a user asked for cannot be done as asked; the message says why and what is
    allowed."""


class ConfigError(FraudforgeError, ValueError):
    """An option, argument or setting (a keyword argument, a command-line flag, a settings or
    keys file) outside what is allowed: names it, the value given and what is allowed."""


class DataError(FraudforgeError, ValueError):
    """Input data that does not fit what the work needs: a table without a column, arrays of
    different lengths, no rows or one class only, a file that is not what it should hold."""


class ModelError(FraudforgeError, ValueError):
    """A model, estimator or saved artefact that cannot be used as asked: names the model and
    what is wrong with it (unfitted, another catalogue, unreadable, unknown)."""


class UnsupportedTypeError(FraudforgeError, TypeError):
    """An object of a type fraudforge cannot use in that place (a model or an input of another
    kind): names the type given and the types allowed."""


class NotFoundError(FraudforgeError, KeyError):
    """A lookup of a name or id that is not there (a customer, a column). Still a ``KeyError``
    for callers that look things up, but printed as its sentence, without ``KeyError``'s
    quotes."""

    def __str__(self) -> str:
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class NotLoadedError(FraudforgeError, RuntimeError):
    """Work asked of something that is not loaded yet (the service's online state or model);
    asking again later may succeed."""


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


_STORAGE_FULL = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up",
}
"""The errors of a write that ran out of room, by their number, and what they mean."""
_RUST_IO = re.compile(r"\(os error (\d+)\)")


def storage_full(exc: BaseException) -> str | None:
    """What ran out when ``exc`` is a write that ran out of room (a full disk or quota), else
    None. Python's own I/O errors carry the number as ``errno``; Polars and the other Rust
    libraries raise theirs as text quoting ``(os error N)``, in an ``OSError`` or their own
    classes (a Parquet write's ``ComputeError``)."""
    number = exc.errno if isinstance(exc, OSError) else None
    if number is None:
        found = _RUST_IO.search(str(exc))
        number = int(found.group(1)) if found else None
    return _STORAGE_FULL.get(number) if number is not None else None


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
