"""Where the files scimaudit ships beside its code are: report templates, dashboard, sample data.

The project keeps them in top-level folders (``reports/``, ``dashboards/``, ``sample_data/``) so
people can read and edit them as documents, not as code. Two ways of running must both find them:

* an installed wheel (``uv tool install``, ``pipx``, ``pip``): the wheel carries them as package
  data, ``scimaudit/_reports``, ``scimaudit/_dashboards``, ``scimaudit/_sample_data``
  (``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``);
* the source checkout (``make``/``uv sync`` install the project editable, and an editable install
  imports ``src/scimaudit`` in place, without the force-included copies): the top-level folders
  next to ``src/``.

Every module asks here instead of counting ``Path(__file__).parents``, so a moved file or a new
install layout is fixed in one place, and a missing part is one clear :class:`InstallationError`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from scimaudit.errors import InstallationError

Folder = Literal["reports", "dashboards", "sample_data"]

PACKAGED: dict[Folder, str] = {
    "reports": "_reports",
    "dashboards": "_dashboards",
    "sample_data": "_sample_data",
}
"""Top-level folder of the checkout → its name inside the installed package."""


def package_dir() -> Path:
    """The folder of the imported ``scimaudit`` package (site-packages, or ``src/`` editable).

    Jinja, weasyprint and Streamlit need real file paths, so a package imported from a zip file
    (where ``importlib.resources`` gives no folder) is refused rather than half-working.
    """
    root = resources.files("scimaudit")
    if not isinstance(root, Path):
        raise InstallationError(
            f"scimaudit is imported from {root}, not from a folder: install the wheel "
            "(uv tool install, pipx or pip) so its templates and dashboard are files on disk"
        )
    return root


def checkout_dir() -> Path | None:
    """The repository root when this package runs from a source checkout (``src/scimaudit``).

    Recognised by ``pyproject.toml`` beside ``src/``: a wheel installed in some other project's
    virtualenv must never pick up that project's folders or git history.
    """
    src = package_dir().parent
    root = src.parent
    if src.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def resource_dir(folder: Folder, needs: str) -> Path:
    """The folder holding ``needs`` (a path inside it): packaged copy first, then the checkout."""
    candidates = [package_dir() / PACKAGED[folder]]
    checkout = checkout_dir()
    if checkout is not None:
        candidates.append(checkout / folder)
    for candidate in candidates:
        if (candidate / needs).exists():
            return candidate
    looked = " and ".join(str(c / needs) for c in candidates)
    raise InstallationError(
        f"{folder}/{needs} is missing from this scimaudit installation (looked for {looked}): "
        "reinstall it from a complete wheel (uv build --wheel in the repository) or run it "
        "from a checkout"
    )


def reports_dir() -> Path:
    """``reports/``: templates, print styles and the framework mappings of evidence documents."""
    return resource_dir("reports", "templates")


def report_templates_dir(template: str | None = None) -> Path:
    """``reports/templates/``: the jinja templates of packs and campaign evidence.

    ``template`` names one that must be there, so a missing template is named in the error
    instead of surfacing later as a jinja ``TemplateNotFound``.
    """
    needs = f"templates/{template}" if template else "templates"
    return resource_dir("reports", needs) / "templates"


def dashboard_app() -> Path:
    """``dashboards/app.py``, the Streamlit entry script (``views/``, ``server.py`` beside it)."""
    return resource_dir("dashboards", "app.py") / "app.py"


def sample_data_dir() -> Path:
    """The folder holding ``generate.py``, the sample-organisation generator the demo runs."""
    return resource_dir("sample_data", "generate.py")
