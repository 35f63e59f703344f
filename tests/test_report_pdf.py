"""Evidence packs as PDFs, read back: PDF/A-3b metadata, attachments and hashes, text, rendering,
reproducibility, forced packs, tampering, signing, and the CLI (all slow: they render PDFs)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pikepdf
import pypdf
import pytest
from PIL import Image

from report_support import FORMULA, XSS, Expected, build_store, make_config
from scimaudit.config import Config, SecretRef
from scimaudit.reporting.build import ReportResult, build_report
from scimaudit.reporting.signoff import SignOff
from scimaudit.reporting.verify import verify_pack
from scimaudit.store.connect import connect

pytestmark = pytest.mark.slow
EPOCH = "1719792000"  # 2024-07-01T00:00:00Z
SECTIONS = [
    "1 Document control",
    "2 Control description and policy parameters",
    "3 Data lineage and completeness",
    "4 Population summary",
    "5 Results",
    "6 Report-specific tests",
    "7 Sampling",
    "8 Sign-off",
    "9 Appendices",
]


@dataclass
class Pack:
    config: Config
    result: ReportResult
    text: str
    """Reading-order text, whitespace collapsed."""
    pages: list[str]
    """Layout text per page."""


def _build(
    config: Config, kind: str, out: Path, *, force: bool = False, signoffs: Sequence[SignOff] = ()
) -> ReportResult:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        mp.setenv("SCIMAUDIT_GENERATED_BY", "auditor-test")
        return build_report(
            config,
            kind,
            as_of=None,
            period_start=None,
            period_end=None,
            out_dir=out,
            force=force,
            signoffs=signoffs,
        )


def pdftotext(path: Path, *, layout: bool = True) -> str:
    """Text of the PDF: ``layout`` keeps pages and columns; without it, cell text stays in order."""
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def flat(path: Path) -> str:
    """Reading-order text, whitespace collapsed to single spaces (wrapped cells rejoined)."""
    return " ".join(pdftotext(path, layout=False).split())


def _pack(tmp: Path, kind: str, **build: Any) -> Pack:
    config = make_config(tmp)
    if not config.store.path.exists():
        build_store(config.store.path)
    result = _build(config, kind, tmp / "out", **build)
    pages = pdftotext(result.pdf_path).split("\f")[: result.pages]
    return Pack(config, result, flat(result.pdf_path), pages)


@pytest.fixture(scope="module")
def sox(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return _pack(tmp_path_factory.mktemp("sox"), "sox")


@pytest.fixture(scope="module")
def hipaa(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return _pack(tmp_path_factory.mktemp("hipaa"), "hipaa")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_pdf_is_pdfa3b_with_every_attachment_hashed_in_the_manifest(sox: Pack) -> None:
    result = sox.result
    with pikepdf.open(result.pdf_path) as pdf:
        assert pdf.open_metadata().pdfa_status == "3B"
        assert result.report_id in str(pdf.docinfo["/Title"])
        assert str(pdf.docinfo["/CreationDate"]) == "D:20240701000000Z"
        outline = [item.title for item in pdf.open_outline().root]
        assert outline == SECTIONS
        names = sorted(str(n) for n in pdf.Root.Names.EmbeddedFiles.Names[::2])
        assert names == sorted(names)  # the name tree lists attachments sorted
        assert len(pdf.Root.AF) == len(names)  # PDF/A-3: each file associated with the document
    reader = pypdf.PdfReader(result.pdf_path)
    assert len(reader.pages) == result.pages
    embedded = {name: blobs[0] for name, blobs in reader.attachments.items()}
    body = orjson.loads(embedded.pop("manifest.json"))
    listed = {a["name"]: a for a in body["attachments"]}
    assert set(listed) == set(embedded)
    assert {"population.csv", "exceptions.csv", "sample.csv", "framework-sox.toml"} <= set(listed)
    assert any(n.startswith("rule-findings-") for n in listed)
    for name, blob in embedded.items():
        assert _sha(blob) == listed[name]["sha256"], name
    assert (
        body["population"]["sha256"] == _sha(embedded["population.csv"]) == result.population_sha256
    )
    side = orjson.loads(result.manifest_path.read_bytes())
    data = result.pdf_path.read_bytes()
    pdf_entry = side.pop("pdf")
    assert pdf_entry == {
        "name": result.pdf_path.name,
        "sha256": _sha(data),
        "bytes": len(data),
        "unsigned_sha256": _sha(data[: pdf_entry["unsigned_bytes"]]),
        "unsigned_bytes": pdf_entry["unsigned_bytes"],
    }
    assert side == body
    assert body["cover"]["figures"][2] == {"label": "open exceptions", "value": "3"}
    assert body["scope"]["data_as_of"] == "2024-06-30T07:01:00Z"  # the run's end, latest of all


def test_text_has_every_section_and_the_store_figures(hipaa: Pack) -> None:
    text, result, expected = hipaa.text, hipaa.result, Expected()
    positions = [text.find(section) for section in SECTIONS]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    assert result.population_rows == expected.population
    assert f"{expected.population} accounts, of which 6 active" in text
    assert "Overall: 66.7%, 2 unmatched" in text
    for page_no, page in enumerate(hipaa.pages, start=1):
        assert f"Page {page_no} of {result.pages}" in page
        assert f"Report {result.report_id}" in page
        assert f"Population SHA-256 {result.population_sha256[:16]}" in page
        assert "CONFIDENTIAL" in page
    for control in (
        "164.308(a)(1)(ii)(D)",
        "164.308(a)(3)(ii)(C)",
        "164.312(a)(2)(i)",
        "164.312(b)",
    ):
        assert control in text
    assert "2 terminations and 1 contract ends" in text
    assert "exact" not in text.replace("exactly", "")  # removal times are bounds, never exact
    assert "no later than lastModified 2024-06-21 10:00 UTC" in text
    assert "between snapshots 2024-06-01 06:00 UTC and 2024-06-30 06:00 UTC" in text
    assert "risk-accepted by ciso@" in text and "expires 2024-12-31" in text
    assert "remediated 2024-06-30" in text


def test_hostile_values_are_printed_as_text(hipaa: Pack) -> None:
    squeezed = hipaa.text.replace(" ", "")  # cells wrap long tokens; compare without spaces
    assert XSS in squeezed  # escaped: an unescaped <script> element would print nothing
    assert FORMULA in squeezed
    assert "Example Health <Corp>" in hipaa.text


def test_every_page_renders_with_visible_content(tmp_path: Path) -> None:
    pack = _pack(tmp_path, "leavers")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", str(pack.result.pdf_path), str(tmp_path / "page")],
        check=True,
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pack.result.pages
    for image in images:
        gray = Image.open(image).convert("L")
        ink = sum(gray.histogram()[:200]) / (gray.width * gray.height)
        assert 0.003 < ink < 0.6, (image.name, ink)
    assert "Figure 2. Worst-case removal lag" in pack.text


def test_privileged_pack_lists_administrators_and_only_their_exceptions(tmp_path: Path) -> None:
    signoff = SignOff(
        role="Reviewer (campaign Q2-ehr)",
        name="Rita <Reviewer>",
        title="Records manager",
        statement="Reviewed 2 privileged accounts: 2 kept",
        reference="campaign 7",
        signed_at=datetime(2024, 6, 28, 15, 0, tzinfo=UTC),
    )
    pack = _pack(tmp_path, "privileged", signoffs=[signoff])
    signed = pack.text.split("8 Sign-off")[1]
    assert (
        "Rita <Reviewer>" in signed and "campaign 7" in signed and "2024-06-28 15:00 UTC" in signed
    )
    assert "1 account(s) hold a configured privileged group" in pack.text
    assert "ehr-admins" in pack.text and "Alice Admin" in pack.text
    exceptions = pack.text.split("5.2 Exceptions")[1].split("6 Report-specific tests")[0]
    assert "sod_conflict" in exceptions and "terminated_active" not in exceptions


def test_same_data_and_epoch_give_identical_bytes(sox: Pack, tmp_path: Path) -> None:
    """Signed packs differ only in the appended signature: the document before it is identical."""
    again = _build(sox.config, "sox", tmp_path / "again")
    assert again.report_id == sox.result.report_id
    first_side = orjson.loads(sox.result.manifest_path.read_bytes())
    again_side = orjson.loads(again.manifest_path.read_bytes())
    unsigned = first_side["pdf"]["unsigned_bytes"]
    assert unsigned == again_side["pdf"]["unsigned_bytes"] < again.pdf_path.stat().st_size
    assert first_side["pdf"]["unsigned_sha256"] == again_side["pdf"]["unsigned_sha256"]
    assert again.pdf_path.read_bytes()[:unsigned] == sox.result.pdf_path.read_bytes()[:unsigned]
    first_side.pop("pdf")
    again_side.pop("pdf")
    assert first_side == again_side  # the embedded manifest, signer included, is reproducible


def test_forced_pack_over_incomplete_data_is_marked_on_every_page(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    build_store(config.store.path, hr_rejected=2)
    result = _build(config, "sox", tmp_path / "out", force=True)
    pages = pdftotext(result.pdf_path).split("\f")[: result.pages]
    assert all("NOT VALID AS EVIDENCE" in page for page in pages)
    body = orjson.loads(result.manifest_path.read_bytes())
    assert body["report"]["valid_as_evidence"] is False
    assert body["report"]["failed_checks"] == ["hr:hr: rows rejected at import"]


@pytest.fixture
def copy(sox: Pack, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    pdf = tmp_path / sox.result.pdf_path.name
    side = tmp_path / sox.result.manifest_path.name
    shutil.copyfile(sox.result.pdf_path, pdf)
    shutil.copyfile(sox.result.manifest_path, side)
    yield pdf, side


def test_verify_passes_on_an_intact_pack(sox: Pack, copy: tuple[Path, Path]) -> None:
    report = verify_pack(copy[0], store_path=sox.config.store.path)
    assert report.ok, report.failures
    names = {c.name for c in report.checks if c.ok}
    assert {
        "document hash",
        "PDF/A-3B",
        "embedded manifest",
        "attachments",
        "store: population",
        "store: exceptions",
        "store: snapshots",
    } <= names


def test_verify_fails_when_one_byte_of_the_file_changes(copy: tuple[Path, Path]) -> None:
    pdf, _ = copy
    data = bytearray(pdf.read_bytes())
    middle = len(data) // 2
    data[middle] = (data[middle] + 1) % 256
    pdf.write_bytes(bytes(data))
    report = verify_pack(pdf, store_path=None)
    assert not report.ok
    assert "document hash" in {c.name for c in report.failures}


def test_verify_fails_when_an_attachment_is_replaced_even_with_a_new_sidecar(
    copy: tuple[Path, Path],
) -> None:
    pdf, side = copy
    tampered = pdf.with_name("tampered.pdf")
    with pikepdf.open(pdf) as doc:
        original = doc.attachments["population.csv"].get_file().read_bytes()
        changed = original.replace(b"c-bob", b"c-bop", 1)
        assert changed != original
        doc.attachments["population.csv"] = pikepdf.AttachedFileSpec(
            doc, changed, filename="population.csv"
        )
        doc.save(tampered)
    forged = orjson.loads(side.read_bytes())
    forged["pdf"] = {
        "name": tampered.name,
        "sha256": _sha(tampered.read_bytes()),
        "bytes": tampered.stat().st_size,
    }
    tampered.with_name("tampered.manifest.json").write_bytes(orjson.dumps(forged))
    report = verify_pack(tampered, store_path=None)
    failed = {c.name for c in report.failures}
    assert "attachment population.csv" in failed and "document hash" not in failed


def test_verify_fails_when_the_store_no_longer_matches(tmp_path: Path) -> None:
    pack = _pack(tmp_path, "sox")
    assert verify_pack(pack.result.pdf_path, store_path=pack.config.store.path).ok
    with connect(pack.config.store.path) as con:
        con.execute("UPDATE identity_link SET user_name = 'renamed' WHERE account_id = 'c-bot'")
    report = verify_pack(pack.result.pdf_path, store_path=pack.config.store.path)
    assert [c.name for c in report.failures] == ["store: population"]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    return subprocess.run(
        [sys.executable, "-m", "scimaudit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_cli_report_refuses_incomplete_data_then_verify_exit_codes(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    build_store(config.store.path, hr_rejected=1)
    (tmp_path / "scimaudit.toml").write_text(
        '[store]\npath = "store.duckdb"\n[[apps]]\nname = "chat"\n'
        'url = "http://127.0.0.1:9/chat/v2"\ntoken = { env = "T" }\nframeworks = ["SOX"]\n'
    )
    refused = _cli("report", "sox", "--out", "out", cwd=tmp_path)
    assert refused.returncode == 7, refused.stderr
    assert "rows rejected at import" in refused.stderr and "Traceback" not in refused.stderr
    forced = _cli("report", "sox", "--out", "out", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "NOT VALID AS EVIDENCE" in forced.stdout
    pdf = next((tmp_path / "out").glob("SOX-*.pdf"))
    ok = _cli("verify", str(pdf), cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK:" in ok.stdout
    data = bytearray(pdf.read_bytes())
    data[-200] ^= 0x01
    pdf.write_bytes(bytes(data))
    bad = _cli("verify", str(pdf), "--no-store", cwd=tmp_path)
    assert bad.returncode == 8
    assert "verification FAILED" in bad.stderr and "document hash" in bad.stderr


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Evidence Signer")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = tmp / "key.pem", tmp / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def test_signed_pack_keeps_attachments_and_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    key, cert = _self_signed(tmp_path)
    monkeypatch.setenv("SIGN_PASS", "s3cret")
    base = make_config(tmp_path)
    build_store(base.store.path)
    report = base.report.model_copy(
        update={"sign_key": key, "sign_cert": cert, "sign_passphrase": SecretRef(env="SIGN_PASS")}
    )
    config = base.model_copy(update={"report": report})
    result = _build(config, "sox", tmp_path / "out")
    assert result.signed
    with pikepdf.open(result.pdf_path) as pdf:
        assert pdf.open_metadata().pdfa_status == "3B"
        assert "population.csv" in pdf.attachments
    capfd.readouterr()
    checks = verify_pack(result.pdf_path, store_path=config.store.path)
    assert checks.ok, checks.failures
    assert any(c.name.startswith("signature") and c.ok for c in checks.checks)
    quiet = capfd.readouterr()
    assert "Traceback" not in quiet.err + quiet.out  # a valid self-signed signature, no noise
    body = orjson.loads(result.manifest_path.read_bytes())
    assert body["signer"]["source"] == "configured"
    assert body["signer"]["subject"] == "Common Name: Evidence Signer"
    assert result.pdf_path.read_bytes().count(b"/ByteRange") == 1


def test_pack_over_an_open_campaign_says_so_on_the_cover_and_in_section_8(tmp_path: Path) -> None:
    """One reviewer (Eve) decided and signed, another (Carol) did nothing: the campaign is open."""
    import time_machine

    from scimaudit.review.actors import Actor
    from scimaudit.review.campaigns import start_campaign
    from scimaudit.review.decisions import decide, keep_all_unflagged, sign_off

    base = make_config(tmp_path)
    build_store(base.store.path)
    apps = [
        app.model_copy(update={"fallback_reviewer": "E5" if app.name == "chat" else "E3"})
        for app in base.apps
    ]
    config = base.model_copy(update={"apps": apps})
    eve = Actor("eve@example.com", "manager", "password", employee_id="E5", name="Eve")
    with time_machine.travel(datetime(2024, 6, 30, 12, 0, tzinfo=UTC), tick=True):
        cid = start_campaign(
            config, name="Q2 access", due=date(2024, 7, 15), actor="t", today=date(2024, 6, 30)
        )
        with connect(config.store.path, read_only=True) as con:
            eves = con.execute(
                "SELECT item_id, flagged FROM campaign_item WHERE campaign_id = ?"
                " AND reviewer_id = 'E5' ORDER BY item_id",
                [cid],
            ).fetchall()
            items, carols = con.execute(
                "SELECT count(*), count(*) FILTER (reviewer_id = 'E3') FROM campaign_item"
                " WHERE campaign_id = ?",
                [cid],
            ).fetchone() or (0, 0)
        flagged = [i for i, f in eves if f]
        assert flagged and carols > 0
        for item in flagged:
            decide(config, eve, cid, [item], "revoke", "no longer needed")
        keep_all_unflagged(config, eve, cid)
        sign_off(config, eve, cid)
    result = _build(config, "sox", tmp_path / "out")
    text = flat(result.pdf_path)
    cover = pdftotext(result.pdf_path).split("\f")[0]
    undecided = items - len(eves)
    statement = (
        f"Access review: not yet evidenced: campaign {cid} is open, {undecided} of {items} items"
        " undecided, 1 of 2 reviewers not signed"
    )
    assert statement in " ".join(cover.split())
    assert "attested" not in text
    section8 = text.split("8 Sign-off")[-1].split("9 Appendices")[0]
    assert statement in section8 and "This campaign is still OPEN (due 2024-07-15)" in section8
    kept = len(eves) - len(flagged)
    assert f"{items}: {len(eves)} decided ({kept} kept, {len(flagged)} revoked)" in section8
    assert f"{undecided} undecided" in section8
    assert f"{len(flagged)} one by one, {len(eves) - len(flagged)} by a bulk action" in section8
    assert "2: 1 signed, 1 not signed; 0 delegation(s)" in section8
    assert "0 decision(s) by the person whose access it is" in section8
    assert "Reviewers who have signed off so far in the open campaign" in section8
    body = orjson.loads(result.manifest_path.read_bytes())
    state = body["signoff"]["campaign"]
    assert state["state"] == "open" and state["control_status"] == "not yet evidenced"
    assert (state["items"], state["undecided"], state["signed"]) == (items, undecided, 1)
    assert body["cover"]["statements"] == [statement]
    embedded = {n: b[0] for n, b in pypdf.PdfReader(result.pdf_path).attachments.items()}
    decisions = embedded["review_decisions.csv"].decode().splitlines()
    assert len(decisions) == items + 1 and decisions[0].startswith("item_id,")
    listed = {a["name"]: a["sha256"] for a in body["attachments"]}
    assert listed["review_decisions.csv"] == _sha(embedded["review_decisions.csv"])
    assert verify_pack(result.pdf_path, store_path=config.store.path).ok


def test_privileged_pack_counts_people_not_accounts_in_the_sod_test(tmp_path: Path) -> None:
    """Alice holds the conflicting pair on two accounts: one person, two rows in exceptions.csv."""
    import csv
    import io

    config = make_config(tmp_path)
    build_store(config.store.path)
    with connect(config.store.path) as con:
        con.execute(
            "INSERT INTO finding (run_id, finding_key, kind, app, account_id, user_name,"
            " employee_id, group_name, severity, reason, evidence, snapshot_ids, status)"
            " SELECT run_id, 'k-sod-alice-2', kind, app, 'e-alice-2', 'alice2', employee_id,"
            " group_name, severity, reason, evidence, snapshot_ids, 'open' FROM finding"
            " WHERE finding_key = 'k-sod-alice'"
        )
    result = _build(config, "privileged", tmp_path / "out")
    embedded = {n: b[0] for n, b in pypdf.PdfReader(result.pdf_path).attachments.items()}
    rows = list(csv.DictReader(io.StringIO(embedded["exceptions.csv"].decode())))
    sod = [r for r in rows if r["rule_id"] == "sod_conflict"]
    people = {r["employee_id"] or f"{r['app']}:{r['account_id']}" for r in sod}
    assert (len(sod), len(people)) == (2, 1)
    printed = re.search(
        r"People holding both sides of a pair: (\d+) \(open (\d+), risk-accepted "
        r"(\d+)\), on (\d+) account\(s\)",
        flat(result.pdf_path),
    )
    assert printed, flat(result.pdf_path)
    assert printed.groups() == (str(len(people)), "1", "1", str(len(sod)))
