"""HTML (jinja2) → PDF/A-3b (weasyprint), with the evidence files embedded as attachments.

* ``autoescape=True``: every value from SCIM or HR (userNames, display names, evidence) is text,
  never markup; ``StrictUndefined``: a template typo fails the build instead of printing an empty
  cell.
* PDF/A-3b is the PDF/A level that keeps arbitrary embedded files (1b/2b drop them; ISO 19005-3).
* Reproducibility: attachments sorted by name with fixed created/modified dates, document dates from
  ``<meta name="dcterms.created|modified">``; weasyprint derives the file /ID from the content
  (MD5), so the same context gives the same bytes.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2
import pydyf
from markupsafe import Markup, escape
from weasyprint import HTML, Attachment

from scimaudit.errors import ReportError
from scimaudit.reporting.context import AttachmentInfo, ReportContext
from scimaudit.reporting.dictionary import CSV_NOTE, data_dictionary
from scimaudit.reporting.glossary import TERMS, control_entries, pack_finding_entries
from scimaudit.reporting.leavers import (
    BREACHED,
    INDETERMINATE,
    STILL_ACTIVE,
    STILL_ACTIVE_BREACHED,
    WITHIN,
)
from scimaudit.reporting.sampling import METHOD, REFERENCE_CODE
from scimaudit.reporting.signoff import BLANK_ROLES
from scimaudit.resources import report_templates_dir, reports_dir

PDF_VARIANT = "pdf/a-3b"
ATTACHMENT_ZLIB_LEVEL = 6


def _num(value: int | float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ts(value: datetime | date | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 48:
        return f"{value / 24:,.1f} d"
    return f"{value:,.1f} h"


def _short(value: str | None, n: int = 16) -> str:
    return "—" if not value else value[:n]


def _dash(value: Any) -> Any:
    return "—" if value is None or value == "" else value


_BREAK_POINTS = re.compile(r"(?<=[_./+:-])|(?=@)")
"""Where an identifier may wrap: after _ . / + : - and before @ (never inside a word)."""


def _ident(value: Any) -> Any:
    """An identifier (finding kind, userName, e-mail, group, rule code) with line-break chances
    only at its separators, as ``<wbr>``: "terminated_active" wraps as "terminated_ / active",
    never "terminated_acti / ve" (the stylesheet turns off breaking anywhere else)."""
    if value is None or value == "":
        return "—"
    return Markup("<wbr>").join(escape(p) for p in _BREAK_POINTS.split(str(value)) if p)


_TEXT_NODE = re.compile(r">([^<]+)<")
_LONG_TOKEN = re.compile(r"[^\s<>]{12,}")
_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HEX_RUN = re.compile(r"[0-9a-f]{32,}")
_VERBATIM = re.compile(r"(<head>.*?</head>|<pre[^>]*>.*?</pre>)", re.S)


LONGEST_SEGMENT = 20
"""A piece longer than this between separators (a hostile or random userName) gets a break chance
every 16 characters: the stylesheet never breaks inside a word on its own (``overflow-wrap:
break-word`` would, and weasyprint then splits even the pieces between ``<wbr>``), so without it
such a piece would print over the next column."""


_CHARACTER = re.compile(r"&#?\w+;|.", re.S)
"""One printed character of escaped text: an entity (``&#34;``) counts as one and is never cut."""


def _groups(piece: str) -> str:
    chars = _CHARACTER.findall(piece)
    return "<wbr>".join("".join(chars[i : i + 16]) for i in range(0, len(chars), 16))


def _soft_token(match: re.Match[str]) -> str:
    token = match.group(0)
    if _DATE_LIKE.match(token):
        return token
    if _HEX_RUN.fullmatch(token):  # digests and hex ids: in groups of 16, as they are read aloud
        return _groups(token)
    return "<wbr>".join(
        _groups(p) if len(_CHARACTER.findall(p)) > LONGEST_SEGMENT else p
        for p in _BREAK_POINTS.split(token)
        if p
    )


def soft_breaks(html: str) -> str:
    """Give every long token of the page's text the break chances of :func:`_ident`.

    Applied once to the rendered HTML (text nodes only; the head and ``<pre>`` blocks are left
    verbatim), so every table of every section gets them without each template remembering a
    filter. Text nodes are already escaped, and no entity contains a break character.
    """
    parts = _VERBATIM.split(html)
    for i in range(0, len(parts), 2):
        parts[i] = _TEXT_NODE.sub(
            lambda m: ">" + _LONG_TOKEN.sub(_soft_token, m.group(1)) + "<", parts[i]
        )
    return "".join(parts)


def environment() -> jinja2.Environment:
    """The template environment: autoescaping on, undefined names fail loudly."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(report_templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        num=_num, pct=_pct, ts=_ts, hours=_hours, short=_short, dash=_dash, ident=_ident
    )
    env.globals.update(
        blank_roles=BLANK_ROLES,
        data_dictionary=data_dictionary(),
        csv_note=CSV_NOTE,
        sample_method=METHOD,
        sample_code=REFERENCE_CODE,
        outcomes=(STILL_ACTIVE_BREACHED, BREACHED, STILL_ACTIVE, INDETERMINATE, WITHIN),
        glossary_findings=pack_finding_entries,
        glossary_controls=control_entries,
        glossary_terms=TERMS,
    )
    return env


def render_html(ctx: ReportContext) -> str:
    """The report as one HTML string (the stylesheet is linked relative to ``reports/``)."""
    try:
        template = environment().get_template(f"{ctx.spec.kind}.html")
        return soft_breaks(template.render(ctx=ctx, facts=ctx.facts, scope=ctx.facts.scope))
    except jinja2.TemplateError as exc:
        where = (
            f" ({exc.filename}:{exc.lineno})" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        )
        raise ReportError(f"report template error{where}: {exc}") from None


def _attachments(items: Sequence[AttachmentInfo], stamp: datetime) -> list[Attachment]:
    naive = stamp.astimezone(UTC).replace(tzinfo=None)
    return [
        Attachment(
            filename=str(item.path),
            name=item.name,
            description=item.description,
            created=naive,
            modified=naive,
            relationship=item.relationship,
        )
        for item in sorted(items, key=lambda a: a.name)
    ]


def _dedupe_associated_files(pdf: Any) -> None:
    """weasyprint 70 lists each attachment twice in the catalog's /AF array; keep one of each."""
    af = pdf.catalog.get("AF")
    if af:
        unique = list(dict.fromkeys(af))
        af.clear()
        af.extend(unique)


def _deflate(raw: bytes) -> bytes:
    return zlib.compress(raw, ATTACHMENT_ZLIB_LEVEL)


def _precompress_attachments(pdf: Any) -> None:
    """Deflate embedded files once, at level 6, on both cores.

    pydyf deflates every stream at level 9 and computes it twice; on a 180 MB population.csv that
    is most of the time a 2M-account pack takes (level 6 is 4x faster for a 6% larger file).
    """
    streams = [
        obj
        for obj in pdf.objects
        if isinstance(obj, pydyf.Stream)
        and obj.compress
        and obj.extra.get("Type") == "/EmbeddedFile"
    ]
    raws = [
        b"\n".join(item if isinstance(item, bytes) else str(item).encode() for item in obj.stream)
        for obj in streams
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:  # zlib releases the GIL
        packed = list(pool.map(_deflate, raws))
    for obj, data in zip(streams, packed, strict=True):
        obj.stream = [data]
        obj.extra["Filter"] = "/FlateDecode"
        obj.compress = False


def _finish(_document: Any, pdf: Any) -> None:
    _dedupe_associated_files(pdf)
    _precompress_attachments(pdf)


def render_pdf(ctx: ReportContext, target: Path, extra: Sequence[AttachmentInfo] = ()) -> int:
    """Write the PDF/A-3b to ``target`` with the attachments (+ ``extra``); return pages."""
    html = render_html(ctx)
    options: dict[str, Any] = {"pdf_variant": PDF_VARIANT}
    document = HTML(string=html, base_url=str(reports_dir()) + "/").render(**options)
    document.write_pdf(
        str(target),
        finisher=_finish,
        attachments=_attachments([*ctx.attachments, *extra], ctx.generated_at),
        **options,
    )
    return len(document.pages)
