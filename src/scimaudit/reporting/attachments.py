"""The files a pack embeds: CSVs from the store, every SQL file the analysis and report ran, the
framework mapping used; each hashed for the manifest and sorted by name (reproducible order)."""

from __future__ import annotations

import hashlib
import shutil
from functools import cache
from pathlib import Path, PurePosixPath

from scimaudit.analytics.sql_steps import ANALYTICS_SQL
from scimaudit.reporting.context import AttachmentInfo, RuleFile, StoreFacts
from scimaudit.reporting.population import sha256_file
from scimaudit.reporting.report_sql import REPORT_SQL
from scimaudit.reporting.spec import ReportSpec
from scimaudit.resources import reports_dir


@cache
def _sql_files() -> tuple[tuple[str, str, bool, str, bytes], ...]:
    """``(shown path, attachment name, is a finding rule, stem, bytes)`` of every SQL file.

    Read once per process, like the analytics' own ``sql_text``: the SQL a process runs does not
    change when someone edits the files on disk later.
    """
    found = []
    for rel, entry in ANALYTICS_SQL.files():
        parts = PurePosixPath(rel).parts
        found.append(
            (
                f"analytics/sql/{rel}",
                "rule-" + "-".join(parts),
                parts[0] == "findings",
                PurePosixPath(rel).stem,
                entry.read_bytes(),
            )
        )
    for rel, entry in REPORT_SQL.files():
        found.append(
            (
                f"reporting/sql/{rel}",
                f"report-{rel}",
                False,
                PurePosixPath(rel).stem,
                entry.read_bytes(),
            )
        )
    return tuple(found)


def collect_rules(work: Path, printed_kinds: set[str]) -> list[RuleFile]:
    """Every analytics SQL file and this report's own queries, copied into ``work``; finding rules
    of ``printed_kinds`` are marked for printing in full (the rest are listed with their hash)."""
    rules = []
    for shown, name, is_finding, stem, data in _sql_files():
        (work / name).write_bytes(data)
        rules.append(
            RuleFile(
                path=shown,
                attachment=name,
                sha256=hashlib.sha256(data).hexdigest(),
                text=data.decode("utf-8", errors="replace"),
                printed=is_finding and stem in printed_kinds,
            )
        )
    return rules


def attachment_info(path: Path, name: str, media: str, rel: str, desc: str) -> AttachmentInfo:
    return AttachmentInfo(
        name=name,
        path=path,
        sha256=sha256_file(path),
        size=path.stat().st_size,
        media_type=media,
        relationship=rel,
        description=desc,
    )


def prepare_attachments(
    facts: StoreFacts, spec: ReportSpec, rules: list[RuleFile], work: Path
) -> list[AttachmentInfo]:
    spec_copy = work / f"framework-{spec.source_file}"
    shutil.copyfile(reports_dir() / "frameworks" / spec.source_file, spec_copy)
    items = [
        attachment_info(
            facts.population.csv_path,
            "population.csv",
            "text/csv",
            "Data",
            "Complete tested population, sorted by (app, account_id)",
        ),
        attachment_info(
            facts.exceptions.csv_path,
            "exceptions.csv",
            "text/csv",
            "Data",
            "Every exception in scope (open, risk-accepted, remediated)",
        ),
        attachment_info(
            facts.remediation.csv_path,
            "remediation.csv",
            "text/csv",
            "Data",
            "Requested revocations on in-scope apps: requested, applied, verified (period end)",
        ),
        attachment_info(
            facts.sample.csv_path,
            "sample.csv",
            "text/csv",
            "Data",
            f"Reproducible sample of {facts.sample.frame.file}"
            f"{': ' + facts.sample.frame.condition if facts.sample.frame.condition else ''} "
            "(sha256-rank/1, seed = SHA-256 of that file)",
        ),
        attachment_info(
            spec_copy,
            spec_copy.name,
            "application/toml",
            "Source",
            "Control texts and finding-kind mapping used",
        ),
    ]
    if facts.leaver_file is not None:
        items.append(
            attachment_info(
                facts.leaver_file.csv_path,
                "leavers.csv",
                "text/csv",
                "Data",
                "One row per HR leaver of the period x in-scope app, including 'no account found'",
            )
        )
    if facts.hr_extract is not None:
        items.append(
            attachment_info(
                facts.hr_extract.csv_path,
                "hr_extract.csv",
                "text/csv",
                "Data",
                f"The run's HR snapshot as imported from {facts.hr_extract.file_name} "
                f"(original file SHA-256 {facts.hr_extract.original_sha256})",
            )
        )
    for rule in rules:
        items.append(
            attachment_info(
                work / rule.attachment,
                rule.attachment,
                "application/sql",
                "Source",
                f"SQL text of {rule.path}",
            )
        )
    return sorted(items, key=lambda a: a.name)
