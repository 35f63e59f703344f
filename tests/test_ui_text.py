"""plain(): untrusted text made literal for Streamlit's Markdown elements."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboards"))

from ui_session import plain


def unescaped(text: str) -> str:
    """What CommonMark leaves after undoing backslash escapes (the text autolinking then sees)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def test_every_markdown_character_is_escaped() -> None:
    payload = "[x](http://e.example) ![b](http://127.0.0.1:9/b.png) <b>*_`~|#$:red[x]"
    out = plain(payload)
    assert not re.search(r"(?<!\\)[\[\]()!<>*_`~|#$]", out)
    assert unescaped(out).replace("\u2060", "") == payload  # reads the same


def test_literal_autolinks_cannot_form() -> None:
    original = "see http://evil.example, WWW.evil.example or maya@example.com"
    text = unescaped(plain(original))
    assert not re.search(r"(?i)https?://", text)  # GFM's literal autolink patterns
    assert not re.search(r"(?i)\bwww\.", text)
    assert not re.search(r"[-.\w+]+@[-\w]+(\.[-\w]+)+", text)
    assert (
        text.replace("\u2060", "")
        == "see http://evil.example, WWW.evil.example or maya@example.com"
    )
