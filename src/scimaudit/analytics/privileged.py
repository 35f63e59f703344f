"""The one definition of "this group is privileged": a group name against configured patterns.

Analysis (scope tables for privileged_account) and access reviews (the privileged flag on campaign
items) both ask; two copies had drifted (only one stripped the pattern), so a pattern written as
``" Domain Admins "`` flagged findings but not review items. Patterns are shell-style (``fnmatch``),
matched on the whole name, ignoring case and the spaces around the pattern.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase


def pattern_key(pattern: str) -> str:
    """A configured pattern as it is compared: trimmed, lower case."""
    return pattern.strip().lower()


def matches(pattern: str, group_name: str | None) -> bool:
    """Does the group name match this one configured pattern?"""
    if group_name is None:
        return False
    return fnmatchcase(group_name.lower(), pattern_key(pattern))


def is_privileged(group_name: str | None, patterns: Iterable[str]) -> bool:
    """Does the group name match any of an app's ``privileged_groups`` patterns?"""
    return any(matches(p, group_name) for p in patterns)
