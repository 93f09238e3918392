"""Bounds on the work of reading metadata.yaml, chosen by the environment.

They guard reading the file itself (its size, aliases, nesting), so they cannot
live in the file; the book's own bounds are ``limits:`` in metadata.yaml
(:class:`fanbind.settings.schema.LimitsConfig`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from fanbind.errors import MetadataError


@dataclass(frozen=True)
class Limits:
    """Bounds on the work of reading metadata.yaml, chosen by the caller.

    They exist because the file may be hostile: each one stops a way to make
    the loader eat memory or time before validation could say anything useful.
    They are checked before the thing they bound is expanded (size before
    reading, aliases and depth while composing, the expanded node count before
    building Python objects). :meth:`from_env` lets a person raise one without
    a code change; every "limit exceeded" message names its variable.
    """

    max_yaml_bytes: int = 2 * 1024 * 1024
    """metadata.yaml bigger than this is refused before it is read."""
    max_aliases: int = 100
    """YAML aliases (``*name``) allowed in one file ("billion laughs")."""
    max_stories: int = 5000
    """Stories allowed when metadata.yaml does not set ``limits: max_stories``."""
    max_depth: int = 100
    """Nesting depth of lists and mappings (aliases included)."""
    max_nodes: int = 1_000_000
    """Values in the document once every alias is expanded."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Defaults, overridden by ``FANBIND_MAX_YAML_BYTES`` and friends.

        The CLI has no flag for these (they rarely need raising), so the
        environment is the one place a person can raise them.
        """
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for spec in fields(cls):
            name = env_name(spec.name)
            raw = env.get(name)
            if raw is None or not raw.strip():
                continue
            try:
                number = int(raw.strip().replace("_", ""))
            except ValueError:
                number = 0
            if number < 1:
                raise MetadataError(
                    f"the environment variable {name}={raw!r} is not a positive whole number",
                    hint=f"unset {name}, or set it to a number such as {spec.default}",
                )
            values[spec.name] = number
        return cls(**values)


def env_name(field_name: str) -> str:
    """``max_yaml_bytes`` → ``FANBIND_MAX_YAML_BYTES``."""
    return "FANBIND_" + field_name.upper()


#: Top-level keys starting with this are ignored: a place for YAML anchors
