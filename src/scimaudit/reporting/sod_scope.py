"""The SoD rules a pack speaks for: only those touching its in-scope apps, and which in-scope apps
no rule covers.

Why: a HIPAA pack over chat and ehr that lists the erp/code rules and reports "no SoD conflicts"
suggests a test that never ran on its apps. The rules come from the run's recorded policy
parameters (what the analysis actually used), else from the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SodScope:
    """The SoD rules in a pack's scope, and the coverage of its apps."""

    rules: list[str]
    """One line per rule touching an in-scope app (``name: app/group vs app/group``)."""
    out_of_scope: int
    """Configured rules that name none of the pack's apps (not shown)."""
    covered_apps: frozenset[str]
    """Every app some rule names, in scope or not."""
    uncovered: tuple[str, ...]
    """In-scope apps no rule names."""


def _rule_apps(rule: dict[str, Any]) -> set[str]:
    if rule.get("app"):
        return {str(rule["app"])}
    return {str(side.get("app")) for side in (rule.get("left") or {}, rule.get("right") or {})}


def _rule_text(rule: dict[str, Any]) -> str:
    if rule.get("app"):
        groups = " vs ".join(str(g) for g in rule.get("groups", []))
        return f"{rule.get('name') or 'SoD'}: {rule['app']}: {groups}"
    left, right = rule.get("left") or {}, rule.get("right") or {}
    return (
        f"{rule.get('name') or 'SoD'}: {left.get('app')}/{left.get('group')} vs "
        f"{right.get('app')}/{right.get('group')}"
    )


def sod_scope(rules: Any, apps: tuple[str, ...]) -> SodScope:
    """Scope the run's SoD ``rules`` (a list of rule dicts as recorded) to ``apps``."""
    shown: list[str] = []
    hidden = 0
    covered: set[str] = set()
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            shown.append(str(rule))
            continue
        names = _rule_apps(rule)
        covered |= names
        if names & set(apps):
            shown.append(_rule_text(rule))
        else:
            hidden += 1
    return SodScope(
        rules=shown,
        out_of_scope=hidden,
        covered_apps=frozenset(covered),
        uncovered=tuple(a for a in apps if a not in covered),
    )
