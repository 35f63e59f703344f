"""The wheel is the whole product: built, installed in a fresh venv, used from an empty folder.

People install CLIs with ``uv tool install`` or ``pipx``; what they get is the wheel, not the
checkout. This test builds it, installs it outside the checkout (first without the ``demo`` extra,
then with it, dependencies pinned to ``uv.lock`` so an upstream release cannot fail it on some
day), and from an empty directory runs the three headline commands that once found their files
only in a checkout: ``scimaudit demo``, ``scimaudit dashboard`` (signed in, a page opened) and
``scimaudit review evidence 1`` (PDF read back). It checks the checkout is not what ran.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from scimaudit.demo.loopback import find_free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[1]
UV = REPO / ".tools" / "bin" / "uv"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]

PROBE = """
import json, scimaudit
from scimaudit import resources as r
print(json.dumps({
    "module": scimaudit.__file__,
    "reports": str(r.reports_dir()),
    "dashboard": str(r.dashboard_app()),
    "sample_data": str(r.sample_data_dir()),
    "checkout": None if r.checkout_dir() is None else str(r.checkout_dir()),
    "commit": __import__("scimaudit.reporting.provenance").reporting.provenance.git_commit(),
}))
"""


def run(argv: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, check=False, **kwargs
    )


def must(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (
        f"{result.args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


class Installed:
    """A wheel installed in a venv of its own, run from an empty folder with a clean environment."""

    def __init__(self, tmp: Path, constraints: Path) -> None:
        self.tmp = tmp
        self.constraints = constraints
        self.venv = tmp / "venv"
        self.bin = self.venv / "bin"
        self.work = tmp / "empty"
        self.work.mkdir()
        drop = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "UV_PROJECT")
        env = {
            k: v for k, v in os.environ.items() if k not in drop and not k.startswith("SCIMAUDIT_")
        }
        # The checkout's .venv/bin must not be on PATH: only the fresh venv answers `scimaudit`.
        path = [p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(REPO))]
        env["PATH"] = os.pathsep.join([str(self.bin), *path])
        self.env = env

    def create(self) -> None:
        must(run([UV, "venv", "--quiet", "--python", sys.executable, self.venv], timeout=120))

    def install(self, spec: str) -> None:
        """``uv pip install`` (uv's cache: seconds), versions pinned to the lock file."""
        must(
            run(
                [
                    UV,
                    "pip",
                    "install",
                    "--quiet",
                    "--python",
                    self.bin / "python",
                    "-c",
                    self.constraints,
                    spec,
                ],
                env=self.env,
                timeout=600,
            )
        )

    def scimaudit(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run(
            [self.bin / "scimaudit", *args],
            cwd=self.work,
            env={**self.env, **env},
            timeout=600,
        )

    def python(self, code: str) -> str:
        return must(run([self.bin / "python", "-c", code], cwd=self.work, env=self.env, timeout=60))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not UV.is_file():
        pytest.fail(f"{UV} is missing: `make venv` installs the pinned uv")
    out = tmp_path_factory.mktemp("dist")
    must(run([UV, "build", "--wheel", "--out-dir", out, REPO], cwd=REPO, timeout=300))
    (built,) = out.glob("scimaudit-*.whl")
    return built


@pytest.fixture(scope="module")
def constraints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime and ``demo`` versions of ``uv.lock``, as pip-style constraints."""
    path = tmp_path_factory.mktemp("lock") / "constraints.txt"
    must(
        run(
            [
                UV,
                "export",
                "--frozen",
                "--no-dev",
                "--extra",
                "demo",
                "--no-emit-project",
                "--no-hashes",
                "--quiet",
                "-o",
                path,
            ],
            cwd=REPO,
            timeout=120,
        )
    )
    return path


@pytest.fixture
def installed(constraints: Path, tmp_path: Path) -> Installed:
    """A fresh venv per test, so each test's extras are its own."""
    inst = Installed(tmp_path, constraints)
    inst.create()
    return inst


def test_the_wheel_carries_templates_dashboard_and_generator_but_no_test_peers(
    wheel: Path,
) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "scimaudit/_reports/templates/campaign.html",
        "scimaudit/_reports/templates/sox.html",
        "scimaudit/_reports/styles/print.css",
        "scimaudit/_reports/frameworks/hipaa.toml",
        "scimaudit/_dashboards/app.py",
        "scimaudit/_dashboards/ui_session.py",
        "scimaudit/_dashboards/views/evidence.py",
        "scimaudit/_dashboards/server.py",
        "scimaudit/_sample_data/generate.py",
        "scimaudit/resources.py",
        "scimaudit/demo/scim2_server.py",
    ):
        assert needed in names
    assert not [n for n in names if "scimmy" in n.lower() or n.startswith("scimaudit/peers/")]
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]


def test_demo_without_its_extra_says_what_to_install(wheel: Path, installed: Installed) -> None:
    installed.install(str(wheel))
    result = installed.scimaudit("demo")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "'demo' extra" in result.stderr and "scimaudit[demo]" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (installed.work / "demo-out").exists()  # refused before writing anything


def test_installed_wheel_runs_demo_dashboard_and_campaign_evidence_from_an_empty_folder(
    wheel: Path, installed: Installed
) -> None:
    installed.install(f"{wheel}[demo]")

    # What runs is the venv's copy: module and every resource inside its site-packages. The
    # venv sits in a git repository of its own: a pack must not claim that repository's commit.
    git = ["git", "-C", installed.tmp, "-c", "user.name=t", "-c", "user.email=t@example.com"]
    must(run([*git, "init", "-q"], timeout=30))
    must(run([*git, "commit", "-q", "--allow-empty", "-m", "someone else's project"], timeout=30))
    found = json.loads(installed.python(PROBE))
    assert found["checkout"] is None and found["commit"] == "unknown"
    for key in ("module", "reports", "dashboard", "sample_data"):
        path = Path(found[key])
        assert path.is_relative_to(installed.venv), (key, path)
        assert "site-packages" in path.parts and not path.is_relative_to(REPO), (key, path)

    # 1. the demo, to the end, leaving no process behind
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    demo = installed.scimaudit("demo")
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    said = " ".join(demo.stdout.split())  # rich wraps long lines
    assert "Demo complete" in said and "healthy on http://127.0.0.1:" in said
    out = installed.work / "demo-out"
    assert {p.name.split("-")[0] for p in (out / "reports").glob("*.pdf")} >= {"SOX", "HIPAA"}
    assert leftovers(before, installed.tmp) == []
    revoked = re.search(r"\((\d+) revoked\)", said)
    assert revoked is not None, demo.stdout
    config = {"SCIMAUDIT_CONFIG": str(out / "scimaudit.toml")}

    # 2. the campaign's evidence PDF, read back
    evidence = installed.scimaudit("review", "evidence", "1", **config)
    assert evidence.returncode == 0, evidence.stderr
    pdf = Path(evidence.stdout.split()[-1])
    assert pdf.name == "campaign-1.pdf" and pdf.is_relative_to(installed.work)
    text = " ".join(must(run(["pdftotext", "-layout", pdf, "-"], timeout=60)).split())
    assert text.startswith("Access review evidence: Demo access review")
    assert "Campaign 1 · Demo access review" in text
    assert f"revocations requested {revoked.group(1)}" in text  # the demo's own decisions
    assert "hash chain verified" in text

    # 3. the dashboard: health, the app page, a signed-in page from the packaged views/
    auditor = next(
        u
        for u in tomllib.loads((out / "scimaudit.toml").read_text())["dashboard"]["users"]
        if u["role"] == "auditor"
    )
    port = find_free_port()
    log = (installed.tmp / "dashboard.log").open("wb")
    proc = subprocess.Popen(
        [str(installed.bin / "scimaudit"), "dashboard", "--port", str(port)],
        cwd=installed.work,
        env={**installed.env, **config},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    children: list[psutil.Process] = []
    try:
        wait_healthy(base, proc)
        page = httpx.get(f"{base}/", timeout=10)
        assert page.status_code == 200 and '<div id="root">' in page.text
        children = psutil.Process(proc.pid).children(recursive=True)
        app = [" ".join(c.cmdline()) for c in children]
        assert any("streamlit run" in c and str(installed.venv) in c for c in app), app
        assert any("scimaudit/_dashboards/server.py" in c for c in app), app
        sign_in_and_open_evidence(base, auditor["email"], "demo-auditor")
    finally:
        proc.terminate()  # SIGTERM, as a service manager stops it
        proc.wait(20)
        log.close()
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], (installed.tmp / "dashboard.log").read_text()[-2000:]
    assert leftovers(before, installed.tmp) == []


def leftovers(before: set[int], tmp: Path) -> list[str]:
    """Processes started since ``before`` that still run from the installed venv or its folders."""
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if p.info["pid"] not in before and str(tmp) in cmd and p.pid != os.getpid():
            found.append(cmd)
    return found


def wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"scimaudit dashboard exited with {proc.returncode}"
        try:
            if httpx.get(f"{base}/_stcore/health", timeout=2).text.strip() == "ok":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{base}/_stcore/health did not answer ok within 90 s")


def sign_in_and_open_evidence(base: str, email: str, password: str) -> None:
    """Sign in through the packaged app.py and open the packaged Evidence page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(base)
            page.get_by_label("Work email").fill(email)
            page.get_by_label("Password", exact=True).fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("button", name="Sign out").wait_for()
            page.get_by_test_id("stSidebarNav").get_by_text("Evidence", exact=True).click()
            page.get_by_role("heading", name="Evidence", exact=True).wait_for()
        finally:
            browser.close()
