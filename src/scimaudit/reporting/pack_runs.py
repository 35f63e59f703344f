"""Evidence packs for the dashboard: build one, or verify an uploaded PDF, with the CLI in a child
process (``scimaudit report`` / ``scimaudit verify``), so the pages and the CLI produce the very
same files."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scimaudit.config import Config
from scimaudit.errors import ReportError
from scimaudit.review.actors import READ_ALL, Actor, require_role

PACK_KINDS = ("sox", "hipaa", "leavers", "privileged")


def _scimaudit(
    config: Config, args: list[str], timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run the scimaudit CLI in a child process.

    Evidence packs open the store read-only; DuckDB refuses a read-only and a read-write connection
    to one file inside one process, and the dashboard's own connections are read-write, so packs are
    built (and verified) in a separate process, which simply waits its turn for the file lock.
    """
    cmd = [sys.executable, "-m", "scimaudit"]
    if config.source is not None:
        cmd += ["--config", str(config.source)]
    return subprocess.run(cmd + args, capture_output=True, text=True, timeout=timeout, check=False)


@dataclass(frozen=True)
class Pack:
    """A generated evidence pack, ready to download (the PDF and its sidecar manifest)."""

    name: str
    pdf: bytes
    manifest_name: str | None
    manifest: bytes | None
    summary: str


def build_pack(config: Config, actor: Actor, kind: str, *, as_of: date | None = None) -> Pack:
    """Produce one evidence pack with ``scimaudit report`` in a child process."""
    require_role(actor, READ_ALL, "generate evidence packs")
    if kind not in PACK_KINDS:
        raise ReportError(f"unknown pack {kind!r}; choose {', '.join(PACK_KINDS)}")
    with tempfile.TemporaryDirectory(prefix="scimaudit-pack-") as tmp:
        args = ["report", kind, "--out", tmp] + (["--as-of", as_of.isoformat()] if as_of else [])
        proc = _scimaudit(config, args)
        if proc.returncode != 0:
            raise ReportError(_last_lines(proc.stderr or proc.stdout))
        pdfs = sorted(Path(tmp).glob("*.pdf"))
        if not pdfs:
            raise ReportError(f"`scimaudit report {kind}` wrote no PDF")
        sidecars = sorted(Path(tmp).glob("*.manifest.json"))
        summary = "\n".join(
            line
            for line in proc.stdout.strip().splitlines()
            if tmp not in line  # where the child wrote it is gone once downloaded
        )
        return Pack(
            name=pdfs[0].name,
            pdf=pdfs[0].read_bytes(),
            manifest_name=sidecars[0].name if sidecars else None,
            manifest=sidecars[0].read_bytes() if sidecars else None,
            summary=summary,
        )


def verify_upload(
    config: Config, actor: Actor, name: str, pdf: bytes, manifest: bytes | None = None
) -> tuple[bool, str]:
    """Run ``scimaudit verify`` on an uploaded PDF (and its sidecar manifest, if given) against
    the store; return (intact?, its report)."""
    require_role(actor, READ_ALL, "verify evidence")
    with tempfile.TemporaryDirectory(prefix="scimaudit-verify-") as tmp:
        path = Path(tmp) / (Path(name).name or "upload.pdf")
        path.write_bytes(pdf)
        if manifest is not None:  # the sidecar lives beside the PDF: <stem>.manifest.json
            path.with_name(path.stem + ".manifest.json").write_bytes(manifest)
        proc = _scimaudit(config, ["verify", str(path)], timeout=300)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip().replace(tmp + "/", "")


def _last_lines(text: str, n: int = 6) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-n:]) or "the report command failed without a message"
