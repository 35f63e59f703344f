"""Flag findings whose userName or email could pass for another: look-alikes (Unicode UTS #39).

``pаypal@example.com`` with a Cyrillic ``а``, an address with a zero-width space inside, or one
typed in fullwidth letters prints like the real one, so a reviewer would approve the wrong
account. Such accounts are not findings by themselves, but every finding on one says so in its
reason: scripts mixed within one label of the address (UTS #39 §5.1–5.2, via
``confusable-homoglyphs``), characters confusable with
Latin ones (the UTS #39 confusables table), invisible (format) characters, fullwidth forms.

Only values with a non-ASCII character can be any of these, and DuckDB finds those
(``strlen`` in bytes differs from ``length`` in characters), so Python looks at a handful of
strings, not at every account.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import duckdb
from confusable_homoglyphs import categories, confusables

_CANDIDATES = """
SELECT DISTINCT f.app, f.account_id, a.user_name, a.emails
FROM finding_new AS f
JOIN account AS a
    ON a.app = f.app AND a.account_id = f.account_id
    AND list_contains(f.snapshot_ids, a.snapshot_id)
WHERE f.account_id IS NOT NULL
    AND (strlen(coalesce(a.user_name, '')) <> length(coalesce(a.user_name, ''))
        OR strlen(array_to_string(a.emails, ' ')) <> length(array_to_string(a.emails, ' ')))
"""


_SEGMENT = re.compile(r"[@.+_\-\s]")
_NEUTRAL = frozenset({"COMMON", "INHERITED"})
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
"""Script mixes UTS #39 §5.2 ("highly restrictive") accepts: Japanese, Chinese, Korean writing."""


def _mixed_scripts(segment: str) -> frozenset[str]:
    """The scripts of one label (local part, domain label) when they mix suspiciously."""
    scripts = frozenset(categories.unique_aliases(segment)) - _NEUTRAL
    if len(scripts) <= 1 or any(scripts <= allowed for allowed in _ALLOWED_MIXES):
        return frozenset()
    return scripts


@cache
def lookalike_problems(text: str) -> tuple[str, ...]:
    """What makes ``text`` a possible look-alike, in words (empty when nothing does)."""
    if text.isascii():
        return ()
    out: list[str] = []
    invisible = sorted(
        {ch for ch in text if unicodedata.category(ch) in ("Cf", "Cc", "Zs")} - {" "}
    )
    if invisible:
        out.append("invisible character(s) " + ", ".join(f"U+{ord(c):04X}" for c in invisible))
    if any(unicodedata.east_asian_width(ch) == "F" for ch in text):
        out.append("fullwidth characters")
    mixed = sorted({a for seg in _SEGMENT.split(text) for a in _mixed_scripts(seg)})
    if mixed:
        out.append("mixed scripts (" + "+".join(mixed) + ")")
    if confusables.is_dangerous(text, preferred_aliases=["LATIN", "COMMON"]):
        out.append("characters confusable with Latin letters")
    return tuple(out)


def describe(value: str) -> str | None:
    """One clause for a finding's reason, or None."""
    problems = lookalike_problems(value)
    if not problems:
        return None
    shown = value.encode("ascii", "backslashreplace").decode()
    return f"look-alike {shown!r}: {'; '.join(problems)} (UTS #39)"


def flag_lookalike_findings(con: duckdb.DuckDBPyConnection) -> int:
    """Append a look-alike warning to the reason of this run's findings on such accounts.

    Works on the run's ``finding_new`` temp table, before findings are finalised; returns how many
    accounts were flagged.
    """
    flagged: list[tuple[str, str, str]] = []
    for app, account_id, user_name, emails in con.execute(_CANDIDATES).fetchall():
        notes = [
            note
            for value in dict.fromkeys([user_name, *(emails or [])])
            if value and (note := describe(value)) is not None
        ]
        if notes:
            flagged.append((app, account_id, " Warning: " + "; ".join(notes) + "."))
    if not flagged:
        return 0
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lookalike_note"
        " (app VARCHAR, account_id VARCHAR, note VARCHAR)"
    )
    con.executemany("INSERT INTO lookalike_note VALUES (?, ?, ?)", flagged)
    con.execute(
        "UPDATE finding_new AS f SET reason = f.reason || n.note FROM lookalike_note AS n"
        " WHERE f.app = n.app AND f.account_id = n.account_id"
    )
    return len(flagged)
