"""Issue 13, item 6: values from servers reach no terminal raw (tables, CSV, collect messages)."""

from __future__ import annotations

import io

import pytest

from scimaudit.cmd.findings import table_lines
from scimaudit.collect.scim.progress import make_progress
from scimaudit.output import print_rows
from scimaudit.textsafe import terminal_safe

# 6. control characters reach no terminal ------------------------------------------------------

RAW = "evil\x1b]0;pwned\x07\x00\u202eadmin\u200b"


def test_collect_messages_escape_control_characters() -> None:

    stream = io.StringIO()
    sink = make_progress(True, stream)
    sink.finish("app", "failed", f"snapshot 3: {RAW}")
    out = stream.getvalue()
    assert "\x1b" not in out and "\x00" not in out and "\u202e" not in out
    assert "evil\\x1b]0;pwned\\x07\\x00\\u202eadmin\\u200b" in out


def test_tables_and_csv_escape_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"user_name": RAW, "reason": "=cmd|' /C calc'!A0"}]
    for fmt in ("table", "csv"):
        print_rows(rows, fmt, columns=["user_name", "reason"], width=200)
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x00" not in out and "\u200b" not in out, fmt
        assert "pwned\\x07" in out, fmt
    print_rows(rows, "json")
    assert "\\u001b" in capsys.readouterr().out  # JSON escapes them itself


def test_findings_table_lines_show_escapes_not_spaces() -> None:
    row = {
        "user_name": RAW,
        "account_id": "a1",
        "severity": "high",
        "kind": "privileged_account",
        "app": "chat",
        "employee_id": None,
        "status": "open",
        "reason": "in admins\x1b[2J",
        "group_name": "admins",
    }
    text = "\n".join(table_lines([row]))
    assert "\x1b" not in text and "\u202e" not in text
    assert "\\x1b[2J" in text


def test_printable_text_is_returned_unchanged_and_escapes_are_distinct() -> None:
    assert terminal_safe("José Müller <jm@example.com>") == "José Müller <jm@example.com>"
    assert terminal_safe("ad\u200bmin") != terminal_safe("admin")
    assert terminal_safe("a\nb") == "a\\x0ab"
    assert terminal_safe("a\nb", keep_newlines=True) == "a\nb"
    assert terminal_safe(None) == ""
