"""The control table of rendered packs, read back: each row says what the data supports.

One SOX pack holds a control that is evidenced (privileged listing over every app), one with
exceptions (unique accounts) and several not evidenced (SoD without a rule for the app, approvals
not collected); the HIPAA pack's audit-controls row is not evidenced because ehr has no sign-in
data, even though chat has a (remediated) unused-access exception.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from report_support import build_store, make_config
from scimaudit.config import Config
from scimaudit.reporting.build import ReportResult, build_report
from scimaudit.store.connect import connect
from test_report_controls import no_signal

pytestmark = pytest.mark.slow
EPOCH = "1719792000"  # 2024-07-01T00:00:00Z, after the tiny store's data

SOX_IDS = [f"ITGC-AC-0{i}" for i in range(1, 7)]
HIPAA_IDS = [
    "164.308(a)(1)(ii)(D)",
    "164.308(a)(3)(ii)(B)",
    "164.308(a)(3)(ii)(C)",
    "164.308(a)(4)(ii)(B)",
    "164.308(a)(4)(ii)(C)",
    "164.312(a)(1)",
    "164.312(a)(2)(i)",
    "164.312(b)",
]


def _text(pdf: Path, *, layout: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    raw = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if layout:
        return raw
    # cells wrap; a line ending in a hyphen ("in-" / "scope") is one word
    return re.sub(r"-\s+", "-", " ".join(raw.split()))


def _join(parts: list[str]) -> str:
    return re.sub(r"-\s+", "-", " ".join(" ".join(parts).split()))


def _rows(layout: str, ids: list[str]) -> dict[str, str]:
    """Control id → its row in the 6.1 table: the cells left of "Result", then " | ", then the
    Result cell (wrapped lines rejoined), read by column from the layout text."""
    table = layout.split("6.1 Control mapping and results", 1)[1]
    table = table.split("Privileged access (listing rule", 1)[0]
    out: dict[str, tuple[list[str], list[str]]] = {}
    col, current = -1, ""
    for line in table.splitlines():
        if re.search(r"\bControl\b.*\bResult\b", line):
            col = line.index("Result")  # the header, repeated on every page of the table
            continue
        if col < 0 or not line.strip() or line.startswith(("Report ", "SOX IT", "HIPAA Sec")):
            continue
        head = line.split()[0] if line.split() else ""
        if head in ids:
            current = head
            out[current] = ([], [])
        if current:
            out[current][0].append(line[:col])
            out[current][1].append(line[col:])
    return {cid: _join(left) + " | " + _join(result) for cid, (left, result) in out.items()}


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[ReportResult, str]]:
    tmp = tmp_path_factory.mktemp("controls")
    config = make_config(
        tmp, chat={"privileged_groups": ["chat-admins"], "break_glass_accounts": ["svc-bot"]}
    )
    build_store(config.store.path)
    no_signal(config.store.path)
    with connect(config.store.path) as con:
        # every rule of the unique-accounts and privileged controls ran on chat
        con.executemany(
            "INSERT INTO finding_population VALUES (2, ?, 'chat', ?, 0, 0, ?, 'test')",
            [
                ("privileged_account", 5, "membership"),
                ("ambiguous_identity", 5, "account"),
                ("duplicate_account", 4, "account"),
                ("service_owner_left", 1, "account"),
                ("stale_identifier", 4, "account"),
            ],
        )
    return {kind: _build(config, kind, tmp / kind) for kind in ("sox", "hipaa")}


def _build(config: Config, kind: str, out: Path) -> tuple[ReportResult, str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        result = build_report(
            config, kind, as_of=None, period_start=None, period_end=None, out_dir=out
        )
    return result, _text(result.pdf_path, layout=True)


def test_sox_rows_read_evidenced_exceptions_or_not_evidenced_with_why(
    packs: dict[str, tuple[ReportResult, str]],
) -> None:
    rows = _rows(packs["sox"][1], SOX_IDS)
    assert rows["ITGC-AC-05"].endswith("| evidenced"), rows["ITGC-AC-05"]
    assert "5 memberships" in rows["ITGC-AC-05"]
    assert rows["ITGC-AC-02"].endswith("| exceptions (2)"), rows["ITGC-AC-02"]
    assert rows["ITGC-AC-06"].endswith(
        "not evidenced: SoD rules cover only ehr, outside this pack; "
        "in-scope apps without rules: chat"
    ), rows["ITGC-AC-06"]
    assert "not evidenced: no approval records are collected" in rows["ITGC-AC-01"]
    for cid, row in rows.items():
        assert re.search(r"\| (evidenced|exceptions \(\d+\)|not evidenced: \S.*)$", row), cid
        assert "no exceptions" not in row, cid


def test_hipaa_audit_controls_are_not_evidenced_without_sign_in_data(
    packs: dict[str, tuple[ReportResult, str]],
) -> None:
    rows = _rows(packs["hipaa"][1], HIPAA_IDS)
    audit = rows["164.312(b)"]
    assert audit.endswith("| not evidenced: no sign-in data for app ehr"), audit
    assert "exception noted" not in audit and "exceptions (" not in audit
    assert "not evidenced: no approval records" in rows["164.308(a)(4)(ii)(B)"]
    assert (
        "SoD rules cover ehr only; in-scope apps without rules: chat"
        in (rows["164.308(a)(3)(ii)(B)"])
    )


def test_no_tested_account_count_exceeds_the_population_on_the_cover(
    packs: dict[str, tuple[ReportResult, str]],
) -> None:
    for kind, ids in (("sox", SOX_IDS), ("hipaa", HIPAA_IDS)):
        result, text = packs[kind]
        for cid, row in _rows(text, ids).items():
            for n in re.findall(r"\b(\d[\d,]*) accounts\b", row):
                assert int(n.replace(",", "")) <= result.population_rows, (kind, cid, row)


def test_privileged_listing_is_not_printed_as_exceptions_in_5_1(
    packs: dict[str, tuple[ReportResult, str]],
) -> None:
    text = " ".join(packs["sox"][1].split())
    section = text.split("5.1 Rule results", 1)[1].split("5.2 Exceptions", 1)[0]
    assert re.search(r"privileged_account chat 5 memberships — 0 0 listed", section), section


def test_break_glass_account_listed_with_owner_and_unknown_last_use(
    packs: dict[str, tuple[ReportResult, str]],
) -> None:
    text = _text(packs["sox"][0].pdf_path)
    part = text.split("Break-glass accounts", 1)[1][:900]
    assert "chat svc-bot active no owner: linked to no person" in part, part
    assert "unknown: no sign-in data for app chat" in part
