"""The lifecycle stages of a registered model version, in a module of their own so that the
service's wire types can name them without loading the registry."""

from __future__ import annotations

STAGES: tuple[str, ...] = ("none", "staging", "production", "archived")
"""Lifecycle stages. Promoting a version to production archives the previous production one."""
