"""Text from servers and files made safe to print on a terminal (no imports: the CLI uses it)."""

from __future__ import annotations

from typing import Any


def terminal_safe(value: Any, *, keep_newlines: bool = False) -> str:
    """Text with every non-printable character shown as an escape (``\\x1b``, ``\\u200b``).

    A SCIM value or an HR cell can hold ESC sequences (which a terminal runs: colours, cursor moves,
    a retitled window, a hidden line), NUL, bidirectional overrides (which reorder what is shown)
    or zero-width characters (which make two different names print alike). Escaping them, rather
    than dropping them, keeps two different values looking different. Printable text, the common
    case, is returned as is; ``keep_newlines`` leaves line breaks of multi-line messages alone.
    """
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or (keep_newlines and ch == "\n") else _escape(ch) for ch in text
    )


def _escape(ch: str) -> str:
    """A character as a visible escape (``\\x1b``, ``\\u200b``) a terminal will not act on."""
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
