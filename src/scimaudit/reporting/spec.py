"""Report specifications: what each report kind covers, from ``reports/frameworks/<kind>.toml``.

Control texts and the finding-kind → control mapping are data, not code, so a compliance team can
align the wording with its own control matrix without touching Python. A spec may borrow controls
from another file (``include_controls = ["sox:ITGC-UA-02"]``) so each text lives in one place.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scimaudit.errors import ReportError
from scimaudit.resources import reports_dir

REPORT_KINDS = ("sox", "hipaa", "leavers", "privileged")
TEST_BLOCKS = ("mapping", "leavers", "privileged", "sod", "stale")
NOT_COLLECTED = {
    "approval_records": "no approval records are collected (access requests and their approvals"
    " are not imported)",
}
"""Evidence a control may ``require`` that scimaudit does not collect, with the plain-words reason
the control table prints: such a control is "not evidenced" however clean its rules are."""


@dataclass(frozen=True)
class Control:
    """One framework control and the finding kinds whose exceptions bear on it."""

    framework: str
    id: str
    name: str
    reference: str
    text: str
    finding_kinds: tuple[str, ...]
    requires: tuple[str, ...] = ()
    """Evidence the control needs beyond the finding rules (keys of :data:`NOT_COLLECTED`)."""


@dataclass(frozen=True)
class ReportSpec:
    """Everything that differs between report kinds, as loaded from the TOML."""

    kind: str
    title: str
    framework: str
    objective: str
    exception_kinds: tuple[str, ...]
    tests: tuple[str, ...]
    privileged_only: bool
    controls: tuple[Control, ...]
    source_file: str
    source_sha256: str


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: report specification missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise ReportError(f"{path}: not valid TOML: {exc}") from None


def _controls(raw: dict[str, Any], path: Path, framework: str) -> list[Control]:
    out = []
    for i, item in enumerate(raw.get("controls", [])):
        unknown = [r for r in item.get("requires", []) if r not in NOT_COLLECTED]
        if unknown:
            raise ReportError(f"{path}: controls[{i}].requires names unknown evidence {unknown}")
        try:
            out.append(
                Control(
                    framework=framework,
                    id=str(item["id"]),
                    name=str(item["name"]),
                    reference=str(item.get("reference", "")),
                    text=" ".join(str(item["text"]).split()),
                    finding_kinds=tuple(item.get("finding_kinds", [])),
                    requires=tuple(item.get("requires", [])),
                )
            )
        except KeyError as exc:
            raise ReportError(f"{path}: controls[{i}] lacks key {exc.args[0]!r}") from None
    return out


def _framework_label(raw: dict[str, Any], fallback: str) -> str:
    return str(raw.get("report", {}).get("framework") or fallback.upper())


def load_spec(kind: str, base: Path | None = None) -> ReportSpec:
    """Load and validate the spec of one report kind."""
    import hashlib

    if kind not in REPORT_KINDS:
        raise ReportError(f"unknown report kind {kind!r} (choose from {', '.join(REPORT_KINDS)})")
    folder = (base or reports_dir()) / "frameworks"
    path = folder / f"{kind}.toml"
    raw = _read(path)
    head = raw.get("report")
    if not isinstance(head, dict):
        raise ReportError(f"{path}: missing [report] table")
    controls = _controls(raw, path, _framework_label(raw, kind))
    for ref in head.get("include_controls", []):
        source, _, control_id = str(ref).partition(":")
        other_path = folder / f"{source}.toml"
        other = _read(other_path)
        found = [
            c
            for c in _controls(other, other_path, _framework_label(other, source))
            if c.id == control_id
        ]
        if not found:
            raise ReportError(f"{path}: include_controls names {ref!r}, not in {other_path}")
        controls.extend(found)
    tests = tuple(head.get("tests", []))
    unknown = [t for t in tests if t not in TEST_BLOCKS]
    if unknown:
        raise ReportError(f"{path}: report.tests has unknown block(s) {unknown} ({TEST_BLOCKS})")
    try:
        return ReportSpec(
            kind=kind,
            title=str(head["title"]),
            framework=str(head.get("framework", "")),
            objective=" ".join(str(head.get("objective", "")).split()),
            exception_kinds=tuple(head.get("exception_kinds", [])),
            tests=tests,
            privileged_only=bool(head.get("privileged_only", False)),
            controls=tuple(controls),
            source_file=path.name,
            source_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        )
    except KeyError as exc:
        raise ReportError(f"{path}: [report] lacks key {exc.args[0]!r}") from None
