"""Attacks on a signed evidence pack, each put through ``scimaudit verify`` with and without store.

Issue 16, item 6: a cover figure edited (sidecar rewritten, or deleted), a byte flipped in a page
stream of a copy without its sidecar, the signature stripped (sidecar rewritten), content appended
after the signature, and a pack dated before its data. Each must end in exit 8 (FAILED), never
"intact"; what cannot be proven ends in exit 11 (INCONCLUSIVE). The PDFs are real and read back.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pikepdf
import pytest

from report_support import build_store, make_config
from scimaudit.errors import ReportError
from scimaudit.reporting import build as build_module
from scimaudit.reporting.store_key import key_dir
from scimaudit.reporting.verify import verify_pack
from test_report_pdf import EPOCH, Pack, _build, _pack

pytestmark = pytest.mark.slow
BEFORE_DATA = "1700000000"  # 2023-11-14: before the tiny store's data (2024-06-30)


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return _pack(tmp_path_factory.mktemp("signed"), "sox")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _copy(pack: Pack, folder: Path, *, sidecar: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / pack.result.pdf_path.name
    shutil.copyfile(pack.result.pdf_path, pdf)
    if sidecar:
        shutil.copyfile(pack.result.manifest_path, folder / pack.result.manifest_path.name)
    return pdf


def _rewrite_sidecar(pdf: Path) -> None:
    """What a forger does after editing the PDF: make the sidecar's hash match the new file."""
    side = pdf.with_name(pdf.stem + ".manifest.json")
    body = orjson.loads(side.read_bytes())
    data = pdf.read_bytes()
    body["pdf"].update(sha256=_sha(data), bytes=len(data))
    side.write_bytes(orjson.dumps(body))


def _verify_cli(pdf: Path, store: Path | None) -> subprocess.CompletedProcess[str]:
    where = ["--store", str(store)] if store else ["--no-store"]
    return subprocess.run(
        [sys.executable, "-m", "scimaudit", "verify", str(pdf), *where],
        capture_output=True,
        text=True,
        cwd=pdf.parent,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
        check=False,
    )


def _fails_both_ways(
    pdf: Path, store: Path, *, failing: set[str], store_catches: bool = True
) -> None:
    """exit 8 with the store and without it, naming ``failing`` (subset) and no traceback;
    ``store_catches``: the register also rejects the file (not so for a pack the store issued)."""
    for where in (store, None):
        run = _verify_cli(pdf, where)
        assert run.returncode == 8, (where, run.stdout, run.stderr)
        assert "verification FAILED" in run.stderr and "is intact" not in run.stdout
        assert "Traceback" not in run.stderr + run.stdout
        report = verify_pack(pdf, store_path=where, no_store=where is None)
        assert report.verdict == "FAILED"
        assert failing <= {c.name for c in report.failures}, (where, report.failures)
        if where is not None and store_catches:
            assert "store: issued pack" in {c.name for c in report.failures}


def _to_unicode(font: pikepdf.Object) -> dict[bytes, str]:
    text = font.ToUnicode.read_bytes().decode("latin-1")
    out: dict[bytes, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            out[bytes.fromhex(src)] = bytes.fromhex(dst).decode("utf-16-be")
    triple = r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>"
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(triple, block):
            for k in range(int(lo, 16), int(hi, 16) + 1):
                out[k.to_bytes(len(lo) // 2, "big")] = chr(int(dst, 16) + k - int(lo, 16))
    return out


def _edit_cover_figure(pdf_path: Path, label: str, new: str) -> str:
    """Replace the glyphs of the figure printed above ``label`` on page 1 (as a PDF editor does:
    same font, other digits) and save the file; return the old value."""
    with pikepdf.open(pdf_path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        maps = {str(k): _to_unicode(f) for k, f in page.Resources.Font.items()}
        ops = pikepdf.parse_content_stream(page)
        font, shown = "", []
        for i, (operands, op) in enumerate(ops):
            if str(op) == "Tf":
                font = str(operands[0])
            elif str(op) == "TJ":
                raw = b"".join(bytes(p) for p in operands[0] if isinstance(p, pikepdf.String))
                text = "".join(maps[font].get(raw[j : j + 2], "?") for j in range(0, len(raw), 2))
                shown.append((i, font, text))
        at = next(n for n, (_, _, text) in enumerate(shown) if text == label.upper())
        index, value_font, old = shown[at - 1]
        glyph = {char: code for code, char in maps[value_font].items()}
        operands, op = ops[index]
        ops[index] = pikepdf.ContentStreamInstruction(
            [pikepdf.Array([pikepdf.String(b"".join(glyph[c] for c in new))])], op
        )
        page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(ops))
        pdf.save(pdf_path)
    return old


@pytest.mark.parametrize("sidecar", ["rewritten", "deleted"])
def test_cover_figure_edited_fails(signed: Pack, tmp_path: Path, sidecar: str) -> None:
    pdf = _copy(signed, tmp_path)
    old = _edit_cover_figure(pdf, "open exceptions", "0")
    assert old == "3"
    page1 = subprocess.check_output(["pdftotext", "-layout", "-l", "1", str(pdf), "-"], text=True)
    assert re.search(r"^\s*5\s+1\s+0\s+0\s+50\.0%\s*$", page1, re.M), page1  # what a reader sees
    if sidecar == "rewritten":
        _rewrite_sidecar(pdf)
    else:
        pdf.with_name(pdf.stem + ".manifest.json").unlink()
    report = verify_pack(pdf, no_store=True)
    cover = next(c for c in report.checks if c.name == "cover figures")
    assert cover.ok is False and "open exceptions: printed 0, manifest 3" in cover.detail
    _fails_both_ways(pdf, signed.config.store.path, failing={"cover figures", "declared signer"})


def test_byte_flipped_in_a_page_stream_without_sidecar_fails(signed: Pack, tmp_path: Path) -> None:
    pdf = _copy(signed, tmp_path, sidecar=False)
    with pikepdf.open(pdf) as doc:
        num, gen = doc.pages[2].Contents.objgen
    data = bytearray(pdf.read_bytes())
    start = data.index(b"stream", data.index(f"\n{num} {gen} obj".encode())) + 20
    data[start] ^= 0x01
    pdf.write_bytes(bytes(data))
    _fails_both_ways(pdf, signed.config.store.path, failing={"declared signer"})


def test_stripped_signature_with_rewritten_sidecar_fails(signed: Pack, tmp_path: Path) -> None:
    pdf = _copy(signed, tmp_path)
    side = orjson.loads(signed.result.manifest_path.read_bytes())["pdf"]
    unsigned = pdf.read_bytes()[: side["unsigned_bytes"]]
    assert _sha(unsigned) == side["unsigned_sha256"]  # the signature was an appended update
    pdf.write_bytes(unsigned)
    _rewrite_sidecar(pdf)
    with pikepdf.open(pdf) as doc:  # a well-formed PDF without any signature field
        assert "/AcroForm" not in doc.Root
    report = verify_pack(pdf, no_store=True)
    signer = next(c for c in report.checks if c.name == "declared signer")
    assert signer.ok is False and "stripped or replaced" in signer.detail
    _fails_both_ways(pdf, signed.config.store.path, failing={"declared signer"})


def test_content_appended_after_the_signature_fails(signed: Pack, tmp_path: Path) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    pdf = _copy(signed, tmp_path, sidecar=False)
    with pdf.open("rb") as src:
        writer = IncrementalPdfFileWriter(src, strict=False)
        page = writer.root["/Pages"]["/Kids"][0]
        overlay = writer.add_object(
            generic.StreamObject(stream_data=b"q 1 1 1 rg 300 300 200 50 re f Q")
        )
        contents = page["/Contents"]
        kids = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
        page["/Contents"] = generic.ArrayObject([*kids, overlay])
        writer.update_container(page)
        out = io.BytesIO()
        writer.write(out)
    pdf.write_bytes(out.getvalue())
    _fails_both_ways(pdf, signed.config.store.path, failing={"declared signer"})


def test_pack_dated_before_its_data_is_refused_and_a_forged_one_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path)
    build_store(config.store.path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BEFORE_DATA)
    with pytest.raises(ReportError, match="before its data"):
        build_module.build_report(
            config, "sox", as_of=None, period_start=None, period_end=None, out_dir=tmp_path / "o"
        )
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.pdf"))
    # a forger's build with the guard removed still fails verification, store or no store
    monkeypatch.setattr(build_module, "refuse_backdated", lambda *_: None)
    forged = build_module.build_report(
        config, "sox", as_of=None, period_start=None, period_end=None, out_dir=tmp_path / "o"
    )
    _fails_both_ways(
        forged.pdf_path, config.store.path, failing={"generation time"}, store_catches=False
    )


def test_cli_refuses_a_backdated_source_date_epoch(tmp_path: Path) -> None:
    build_store(tmp_path / "store.duckdb")
    (tmp_path / "scimaudit.toml").write_text(
        '[store]\npath = "store.duckdb"\n[[apps]]\nname = "chat"\n'
        'url = "http://127.0.0.1:9/chat/v2"\ntoken = { env = "T" }\nframeworks = ["SOX"]\n'
    )
    run = subprocess.run(
        [sys.executable, "-m", "scimaudit", "report", "sox", "--out", "out"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "SOURCE_DATE_EPOCH": BEFORE_DATA},
        check=False,
    )
    assert run.returncode == 7, run.stderr
    assert "2023-11-14" in run.stderr and "before its data" in run.stderr
    assert "Traceback" not in run.stderr


def test_intact_signed_pack_verifies_quietly_with_the_store_key(
    signed: Pack, tmp_path: Path
) -> None:
    folder = key_dir(signed.config.store.path)
    assert (folder / "signer-key.pem").stat().st_mode & 0o077 == 0
    body = orjson.loads(signed.result.manifest_path.read_bytes())
    assert body["signer"]["source"] == "store" and len(body["signer"]["certificate_sha256"]) == 64
    for where in (signed.config.store.path, None):
        pdf = _copy(signed, tmp_path / ("with" if where else "without"), sidecar=where is None)
        run = _verify_cli(pdf, where)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Traceback" not in run.stderr and run.stderr.strip() == ""
        assert "is intact" in run.stdout and "SKIPPED" not in run.stdout


def test_missing_store_makes_the_result_inconclusive(signed: Pack, tmp_path: Path) -> None:
    pdf = _copy(signed, tmp_path)
    run = _verify_cli(pdf, tmp_path / "no-such-store.duckdb")
    assert run.returncode == 11, run.stdout + run.stderr
    assert "INCONCLUSIVE" in run.stderr and "is intact" not in run.stdout


def test_unsigned_pack_is_proven_only_by_the_store(tmp_path: Path) -> None:
    base = make_config(tmp_path)
    build_store(base.store.path)
    config = base.model_copy(update={"report": base.report.model_copy(update={"sign": False})})
    first = _build(config, "sox", tmp_path / "a")
    again = _build(config, "sox", tmp_path / "b")
    assert first.pdf_path.read_bytes() == again.pdf_path.read_bytes()  # unsigned: reproducible
    assert not key_dir(config.store.path).exists()
    assert verify_pack(first.pdf_path, store_path=config.store.path).verdict == "INTACT"
    alone = verify_pack(first.pdf_path, no_store=True)
    assert alone.verdict == "INCONCLUSIVE"
    assert [c.name for c in alone.skipped] == ["document integrity"]
    assert _verify_cli(first.pdf_path, None).returncode == 11
