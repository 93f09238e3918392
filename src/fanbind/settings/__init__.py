"""metadata.yaml → frozen, fully checked settings.

``schema`` holds the models, ``yaml_guard`` the hardened reader, ``explain`` the
one pydantic-error mapper, ``limits`` the environment's bounds, ``vocab`` AO3's
words, ``loader`` the entry points re-exported here.
"""

from fanbind.settings.limits import Limits
from fanbind.settings.loader import (
    EXTENSION_PREFIX,
    load_config,
    parse_config,
    print_settings,
    with_print_overrides,
)
from fanbind.settings.schema import AnthologyConfig, LimitsConfig, PrintConfig, StoryConfig
from fanbind.settings.vocab import Category, Rating

__all__ = [
    "EXTENSION_PREFIX",
    "AnthologyConfig",
    "Category",
    "Limits",
    "LimitsConfig",
    "PrintConfig",
    "Rating",
    "StoryConfig",
    "load_config",
    "parse_config",
    "print_settings",
    "with_print_overrides",
]
