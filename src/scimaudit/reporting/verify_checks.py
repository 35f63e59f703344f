"""One verification check and the verdict over all of them (shared by the verify modules).

Three verdicts, never more comfortable than the evidence: FAILED when any check failed; else
INCONCLUSIVE when a *required* check could not run (no store, no signature, no manifest); else
INTACT. A check that is not required and cannot run (no sidecar beside a signed pack) is "n/a":
something else proves what it would have.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Verdict = Literal["INTACT", "FAILED", "INCONCLUSIVE"]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None
    """True passed, False failed, None could not be checked."""
    detail: str
    required: bool = True
    """A required check that cannot run makes the verdict INCONCLUSIVE."""

    @property
    def result(self) -> str:
        if self.ok is None:
            return "SKIPPED" if self.required else "n/a"
        return "PASS" if self.ok else "FAIL"


@dataclass(frozen=True)
class VerificationReport:
    pdf_path: Path
    report_id: str
    checks: list[Check]

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]

    @property
    def skipped(self) -> list[Check]:
        return [c for c in self.checks if c.ok is None and c.required]

    @property
    def verdict(self) -> Verdict:
        if self.failures:
            return "FAILED"
        return "INCONCLUSIVE" if self.skipped else "INTACT"

    @property
    def ok(self) -> bool:
        return self.verdict == "INTACT"
