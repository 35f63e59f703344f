"""canaille 0.3.6 as a SCIM peer: a subprocess on 127.0.0.1, from its own virtualenv.

canaille is an OpenID Connect provider with a SCIM server; 0.3.6 breaks with scim2-models >= 0.10
while scim2-server 0.8.3 (our main peer) needs a newer one, so it lives in
``tests/peers/canaille/.venv`` (``make peers`` builds it from the pinned
``tests/peers/canaille/requirements.txt``) and runs ``tests/peers/canaille/serve.py``. Its quirks,
which the collector must survive: ``count`` answers HTTP 500, filters are ignored, and Group
member ``value``s are userNames, not ids (hence ``member_ref = "userName"``).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent / "peers" / "canaille"
PYTHON = HERE / ".venv" / "bin" / "python"


class CanailleProcess:
    """Start canaille seeded with ``users`` / ``groups``; stops when the context exits."""

    def __init__(self, seed: dict[str, Any]) -> None:
        if not PYTHON.exists():
            raise RuntimeError(f"canaille's virtualenv is missing ({PYTHON}): run `make peers`")
        self._dir = tempfile.TemporaryDirectory()
        seed_path = Path(self._dir.name) / "seed.json"
        seed_path.write_bytes(orjson.dumps(seed))
        self.proc = subprocess.Popen(
            [str(PYTHON), str(HERE / "serve.py"), str(seed_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read().decode() if self.proc.stderr else ""
            self.close()
            raise RuntimeError(f"canaille did not start: {err[-2000:]}")
        self.base_url: str = orjson.loads(line)["base_url"]

    def close(self) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()  # serve.py stops when its stdin closes
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        self._dir.cleanup()

    def __enter__(self) -> CanailleProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
