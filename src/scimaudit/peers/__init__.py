"""Real SCIM 2.0 service providers on 127.0.0.1, for the demo and the tests.

Two independent implementations, so the collector is never tuned to one server's habits:

* :class:`Scim2ServerProcess` — scim2-server 0.8.3 (Python), several tenants per process,
  index and cursor pagination (RFC 7644 §3.4.2.4, RFC 9865), Bulk, ETags.
* :class:`ScimmyProcess` — SCIMMY 1.3.5 + scimmy-routers 1.3.2 (node), see ``tests/peers/scimmy/``.

:func:`seed` and :func:`seed_from_sample_dir` load users and groups into either one.
Each process is a context manager that stops and reaps its child on exit.
"""

from scimaudit.peers.scim2_server import (
    SCIM2_SERVER_VERSION,
    PeerError,
    PeerStartError,
    Scim2ServerProcess,
    SeedError,
    find_free_port,
    seed,
    seed_from_sample_dir,
)
from scimaudit.peers.scimmy import ScimmyProcess

__all__ = [
    "SCIM2_SERVER_VERSION",
    "PeerError",
    "PeerStartError",
    "Scim2ServerProcess",
    "ScimmyProcess",
    "SeedError",
    "find_free_port",
    "seed",
    "seed_from_sample_dir",
]
