"""How a registered model is named: the lifecycle stages and the one parser and printer of a
model reference (``NAME``, ``NAME:VERSION`` or ``NAME@STAGE``), used by the registry, the
command line, the service (``--model`` and ``POST /v1/admin/model``) and the deploy tool.

A bare ``NAME`` means the version in ``production`` when one is promoted, otherwise the newest
version: a model just trained can be used (and served) before anyone promotes it, and once a
version is promoted a newer, unreviewed one never replaces it by accident
(``Registry.show`` applies the rule; docs/architecture.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fraudforge.foundation.errors import ConfigError

STAGES: tuple[str, ...] = ("none", "staging", "production", "archived")
"""Lifecycle stages. Promoting a version to production archives the previous production one."""

FORMS = "NAME, NAME:VERSION or NAME@STAGE (e.g. fraud-model, fraud-model:3, fraud-model@staging)"
"""The accepted forms of a model reference, as error messages name them."""

NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
"""A model name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit."""

_REF = re.compile(rf"^(?P<name>{NAME_PATTERN})(?:@(?P<stage>\w+)|:(?P<v>[0-9]+))?$", re.ASCII)


class ModelRefError(ConfigError):
    """A model reference that is not one of the accepted forms, or names an unknown stage."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A reference to a registered model version: by ``version``, by ``stage`` or (both None)
    by name alone, which means the production version if one is promoted, else the newest.

    Parameters
    ----------
    name
        The registered model's name.
    version
        A version number (1, 2, ...), or None.
    stage
        One of ``STAGES``, or None; at most one of ``version`` and ``stage`` is given.
    """

    name: str
    version: int | None = None
    stage: str | None = None

    def __post_init__(self) -> None:
        if self.version is not None and self.stage is not None:
            raise ModelRefError(
                f"model reference {self.name}: give a version or a stage, not both; "
                f"allowed are {FORMS}"
            )
        if self.stage is not None and self.stage not in STAGES:
            raise ModelRefError(f"unknown stage `{self.stage}`: allowed are {', '.join(STAGES)}")

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}:{self.version}"
        if self.stage is not None:
            return f"{self.name}@{self.stage}"
        return self.name

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """The reference ``text`` names (``str`` of the result gives it back); anything else
        is a ``ModelRefError`` naming the accepted forms.

        Parameters
        ----------
        text
            ``NAME``, ``NAME:VERSION`` or ``NAME@STAGE`` (``NAME_PATTERN``; a version of
            digits; a stage of ``STAGES``).

        Returns
        -------
        ModelSpec
            The reference.

        Raises
        ------
        ModelRefError
            For any other text, or an unknown stage.
        """
        m = _REF.match(text)
        if m is None:
            raise ModelRefError(f"invalid model reference `{text}`: allowed are {FORMS}")
        return cls(m["name"], None if m["v"] is None else int(m["v"]), m["stage"])


__all__ = ["FORMS", "NAME_PATTERN", "STAGES", "ModelRefError", "ModelSpec"]
