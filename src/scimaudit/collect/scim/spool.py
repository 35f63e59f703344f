"""The on-disk spool: raw responses land here while fetching, then move to DuckDB in chunks.

Why a spool: a full pull can be gigabytes (1M users ≈ 850 MB of JSON). Holding it in memory would
make memory grow with the tenant; writing each page straight into DuckDB would hold the store's
write lock for the whole network pull and lock out the dashboard. So pages are buffered up to
``chunk_bytes`` (32 MiB by default), written as one chunk file, and handed to the loader, which
holds the lock only while it copies that chunk in. Memory stays bounded by a few chunks whatever
the tenant size; if the store is busy, chunks wait on disk, not in RAM.

Each body's SHA-256 is taken here, as it arrives, with hashlib over the exact bytes (OpenSSL:
about 1.5 ms per 850 KB page; DuckDB's ``sha256()`` took 5× longer, on the busier loader side).

Format: Arrow IPC files, one per chunk, one row per response with the exact body bytes. Not NDJSON:
NDJSON would escape every quote of every body (15 % more bytes) and DuckDB's ``read_ndjson`` took
3× longer to load it than an Arrow table in our measurements (2.4 s vs 0.6–0.9 s per 200k users).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa

from scimaudit.collect.scim.fetch import Fetched

SPOOL_SCHEMA = pa.schema(
    [
        ("seq", pa.int32()),
        ("resource_type", pa.string()),
        ("request_url", pa.string()),
        ("request_params", pa.string()),
        ("status_code", pa.int32()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("elapsed_ms", pa.float64()),
        ("attempt", pa.int32()),
        ("body_sha256", pa.string()),
        ("body", pa.large_binary()),
    ]
)

DEFAULT_CHUNK_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class SpoolChunk:
    """A closed chunk file and what it holds."""

    path: Path
    first_seq: int
    last_seq: int
    pages: int
    nbytes: int
    resource_types: frozenset[str]


@dataclass
class _Buffer:
    seq: list[int] = field(default_factory=list)
    resource_type: list[str] = field(default_factory=list)
    request_url: list[str] = field(default_factory=list)
    request_params: list[str] = field(default_factory=list)
    status_code: list[int] = field(default_factory=list)
    received_at: list[int] = field(default_factory=list)  # microseconds since the epoch, UTC
    elapsed_ms: list[float] = field(default_factory=list)
    attempt: list[int] = field(default_factory=list)
    body_sha256: list[str] = field(default_factory=list)
    body: list[bytes] = field(default_factory=list)
    nbytes: int = 0


class Spool:
    """Numbers responses in the order received (``seq``) and writes them out in chunks."""

    def __init__(self, directory: Path, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> None:
        self.directory = directory
        self.chunk_bytes = chunk_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._buffer = _Buffer()
        self._next_seq = 1
        self._chunks = 0

    def add(self, resource_type: str, fetched: Fetched) -> tuple[int, SpoolChunk | None]:
        """Append one response; return its ``seq`` and a chunk if this one filled it."""
        seq = self._next_seq
        self._next_seq += 1
        buf = self._buffer
        buf.seq.append(seq)
        buf.resource_type.append(resource_type)
        buf.request_url.append(fetched.url)
        buf.request_params.append(orjson.dumps(fetched.params).decode())
        buf.status_code.append(fetched.status)
        buf.received_at.append(round(fetched.received_at.timestamp() * 1_000_000))
        buf.elapsed_ms.append(round(fetched.elapsed_ms, 3))
        buf.attempt.append(fetched.attempt)
        buf.body_sha256.append(hashlib.sha256(fetched.content).hexdigest())
        buf.body.append(fetched.content)
        buf.nbytes += len(fetched.content)
        if buf.nbytes >= self.chunk_bytes:
            return seq, self.flush()
        return seq, None

    def flush(self) -> SpoolChunk | None:
        """Write whatever is buffered as a chunk file (None when nothing is buffered)."""
        buf = self._buffer
        if not buf.seq:
            return None
        self._buffer = _Buffer()
        self._chunks += 1
        path = self.directory / f"chunk-{self._chunks:06d}.arrow"
        table = pa.table(
            {
                "seq": pa.array(buf.seq, pa.int32()),
                "resource_type": pa.array(buf.resource_type, pa.string()),
                "request_url": pa.array(buf.request_url, pa.string()),
                "request_params": pa.array(buf.request_params, pa.string()),
                "status_code": pa.array(buf.status_code, pa.int32()),
                # from integers: converting datetime objects would import pandas (seconds)
                "received_at": pa.array(buf.received_at, pa.int64()).cast(
                    pa.timestamp("us", tz="UTC")
                ),
                "elapsed_ms": pa.array(buf.elapsed_ms, pa.float64()),
                "attempt": pa.array(buf.attempt, pa.int32()),
                "body_sha256": pa.array(buf.body_sha256, pa.string()),
                "body": _binary_array(buf.body),
            },
            schema=SPOOL_SCHEMA,
        )
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, SPOOL_SCHEMA) as writer:
            writer.write_table(table)
        return SpoolChunk(
            path=path,
            first_seq=buf.seq[0],
            last_seq=buf.seq[-1],
            pages=len(buf.seq),
            nbytes=buf.nbytes,
            resource_types=frozenset(buf.resource_type),
        )

    def remove(self) -> None:
        """Delete the spool directory (after loading, or when giving up)."""
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.directory)


def _binary_array(bodies: list[bytes]) -> pa.Array:
    """Bodies as one Arrow ``large_binary`` array, built from two buffers.

    ``pa.array(list_of_bytes)`` took ~90 ms per MiB here (3.8 s for a 34 MiB chunk); joining the
    bytes and handing Arrow the offsets directly costs one memcpy.
    """
    offsets = np.zeros(len(bodies) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in bodies], out=offsets[1:])
    data = b"".join(bodies)
    return pa.Array.from_buffers(
        pa.large_binary(), len(bodies), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def read_chunk(chunk: SpoolChunk) -> pa.Table:
    """The chunk as an Arrow table, memory-mapped (the bodies are not copied into RAM)."""
    with pa.memory_map(str(chunk.path), "r") as source:
        return pa.ipc.open_file(source).read_all()
