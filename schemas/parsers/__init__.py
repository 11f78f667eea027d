"""Parsers for every supported source format, registered by name (see ``base.PARSERS``)."""

import importlib

from schemas.parsers.base import PARSERS, BadRecord, ParseContext, Parser, register

#: Modules holding registered parsers; importing one registers its parsers.
PARSER_MODULES = ("windows", "winxml", "syslog", "cloudtrail", "identity", "generic")


def load_all() -> dict[str, Parser]:
    """Import every parser module once and return the registry."""
    for module in PARSER_MODULES:
        importlib.import_module(f"schemas.parsers.{module}")
    return PARSERS


__all__ = ["PARSERS", "BadRecord", "ParseContext", "Parser", "load_all", "register"]
