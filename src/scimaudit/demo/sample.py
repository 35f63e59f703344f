"""Find and run the committed sample-data generator for a given date.

The generator (``sample_data/generate.py``) is a script beside the data, not a module of the
package (the wheel carries it as package data, see :mod:`scimaudit.resources`), so the demo loads
it by path. The demo regenerates the organisation *as of today*: the committed
files are pinned to one date for tests, but terminations, contract ends and sign-ins are only
meaningful relative to the day the demo runs.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

from scimaudit.errors import ConfigError
from scimaudit.resources import sample_data_dir

APPS = ("chat", "code", "erp", "ehr", "crm")


def default_sample_dir() -> Path:
    """The folder of the sample-data generator this installation ships (or the checkout's)."""
    return sample_data_dir()


def load_generator(sample_dir: Path) -> ModuleType:
    """Load ``generate.py`` from ``sample_dir`` by path: a script beside the data, not a module."""
    script = sample_dir / "generate.py"
    if not script.exists():
        raise ConfigError(f"{script}: sample-data generator not found (pass --sample-data DIR)")
    spec = importlib.util.spec_from_file_location("scimaudit_sample_generate", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def generate_for(sample_dir: Path, out_dir: Path, as_of: date) -> Path:
    """Write the sample organisation computed for ``as_of`` into ``out_dir``; return it."""
    load_generator(sample_dir).generate(out_dir, as_of=as_of)
    return out_dir
