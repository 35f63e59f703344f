"""Each framework control's verdict in plain words: "evidenced", "exceptions (N)" or
"not evidenced: <why>".

Why a verdict of its own: a control is only as evidenced as the least tested part of its
population. A rule that could not run on an in-scope app (no sign-in data, no SoD rule, no
privileged group) or could not judge some of its items leaves that part of the control untested,
and "no exceptions" over it would claim more than the data shows. So the first question is
coverage, then exceptions. The reasons come from the recorded rule populations
(``finding_population``), the run's SoD rules and the configured privileged groups; evidence the
tool never collects (approval records) is named by the control itself in the framework TOML
(``requires``, see :data:`scimaudit.reporting.spec.NOT_COLLECTED`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from scimaudit.reporting.spec import NOT_COLLECTED, Control

Status = Literal["evidenced", "exceptions", "not evidenced"]
UNIT_PLURAL = {"account": "accounts", "membership": "memberships", "person": "people"}


def unit_label(unit: str, n: int) -> str:
    """``1 account`` / ``482 accounts`` / ``12 people``: a count always names what it counts."""
    word = unit if n == 1 else UNIT_PLURAL.get(unit, unit + "s")
    return f"{n:,} {word}"


@dataclass(frozen=True)
class Coverage:
    """What a report's controls are judged against besides the rule populations."""

    apps: tuple[str, ...]
    """The pack's in-scope apps."""
    sod_apps: frozenset[str]
    """Apps some configured SoD rule names (in scope or not)."""
    privileged_apps: frozenset[str]
    """Apps with at least one configured privileged group."""


@dataclass(frozen=True)
class ControlResult:
    """One control: what its rules tested (per unit), the exceptions, and what was not tested."""

    control: Control
    tested: tuple[tuple[str, int], ...]
    """(unit, count): per unit, the largest population any of the control's rules tested."""
    not_assessable: tuple[tuple[str, int], ...]
    exceptions: int
    """All statuses in the period (open, risk-accepted, remediated), as listed in 5.2."""
    open: int
    gaps: tuple[str, ...]
    """Plain-words reasons part of the control's population was not tested."""

    @property
    def status(self) -> Status:
        if self.gaps:
            return "not evidenced"
        return "exceptions" if self.exceptions else "evidenced"

    @property
    def conclusion(self) -> str:
        """Exactly one of "evidenced", "exceptions (N)", "not evidenced: <why>"."""
        if self.gaps:
            return "not evidenced: " + "; ".join(self.gaps)
        if self.exceptions:
            return f"exceptions ({self.exceptions:,})"
        return "evidenced"

    @property
    def tested_text(self) -> list[str]:
        return [unit_label(u, n) for u, n in self.tested]

    @property
    def not_assessable_text(self) -> list[str]:
        return [unit_label(u, n) for u, n in self.not_assessable if n]


def _apps(names: Iterable[str]) -> str:
    names = list(names)
    return ("app " if len(names) == 1 else "apps ") + ", ".join(names)


def _sod_gap(cov: Coverage) -> list[str]:
    uncovered = [a for a in cov.apps if a not in cov.sod_apps]
    if not uncovered:
        return []
    if not cov.sod_apps:
        return ["no SoD rule is configured"]
    covered = [a for a in cov.apps if a in cov.sod_apps]
    where = (
        f"{', '.join(covered)} only"
        if covered
        else f"only {', '.join(sorted(cov.sod_apps))}, outside this pack"
    )
    return [f"SoD rules cover {where}; in-scope apps without rules: {', '.join(uncovered)}"]


def _privileged_gap(cov: Coverage) -> list[str]:
    uncovered = [a for a in cov.apps if a not in cov.privileged_apps]
    if not uncovered:
        return []
    return [f"no privileged group is configured for {_apps(uncovered)}"]


def _unjudged(kind: str, app: str, row: dict[str, Any]) -> str | None:
    n, tested = int(row["not_assessable"]), int(row["tested"])
    if not n:
        return None
    if kind == "stale_access" and tested == 0:
        return f"no sign-in data for app {app}"
    total = unit_label(str(row.get("unit") or "account"), n + tested)
    why = {
        "stale_access": "judged for use (no sign-in and no age reference)",
        "role_drift": "judged for role fit (no role policy and too few peers)",
        "service_owner_left": "checked (service account with no named owner)",
    }.get(kind, f"judged by rule {kind}")
    return f"{n:,} of {total} on app {app} could not be {why}"


def _kind_gaps(kind: str, rows: dict[str, dict[str, Any]], cov: Coverage) -> list[str]:
    if kind == "sod_conflict":
        return _sod_gap(cov)
    if kind == "privileged_account":
        return _privileged_gap(cov)
    missing = [a for a in cov.apps if a not in rows]
    out = [f"rule {kind} recorded no result for {_apps(missing)}"] if missing else []
    stale_apps = []
    for app in cov.apps:
        if app in rows and (gap := _unjudged(kind, app, rows[app])):
            if gap.startswith("no sign-in data"):
                stale_apps.append(app)
            else:
                out.append(gap)
    if stale_apps:
        out.insert(0, f"no sign-in data for {_apps(stale_apps)}")
    return out


def _per_unit(counts: dict[str, dict[str, int]]) -> tuple[tuple[str, int], ...]:
    by_unit: dict[str, int] = {}
    for kind_counts in counts.values():
        for unit, n in kind_counts.items():
            by_unit[unit] = max(by_unit.get(unit, 0), n)
    order = list(UNIT_PLURAL)
    return tuple(sorted(by_unit.items(), key=lambda x: order.index(x[0]) if x[0] in order else 9))


def judge_control(
    control: Control,
    rule_population: Sequence[dict[str, Any]],
    cov: Coverage,
    *,
    exceptions: int,
    open_exceptions: int,
) -> ControlResult:
    """The verdict of one control from its rules' populations (in-scope and cross-app rows)."""
    rows: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    tested: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    unjudged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rule_population:
        kind = str(row["kind"])
        if kind not in control.finding_kinds:
            continue
        rows[kind][str(row["app"])] = row
        unit = str(row.get("unit") or "account")
        tested[kind][unit] += int(row["tested"])
        unjudged[kind][unit] += int(row["not_assessable"])
    gaps: list[str] = [NOT_COLLECTED[r] for r in control.requires]
    for kind in control.finding_kinds:
        gaps += [g for g in _kind_gaps(kind, rows[kind], cov) if g not in gaps]
    per_unit = _per_unit(tested)
    if not gaps and not any(n for _u, n in per_unit):
        gaps.append("its rules tested nothing in scope")
    return ControlResult(
        control=control,
        tested=per_unit,
        not_assessable=_per_unit(unjudged),
        exceptions=exceptions,
        open=open_exceptions,
        gaps=tuple(gaps),
    )
