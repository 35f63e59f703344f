"""The page archive: every SCIM response body, exactly as received, in immutable Parquet files.

Layout: ``<store file>.raw/<snapshot_id>/chunk-NNNNNN.parquet`` beside the DuckDB store. One file
holds a run of consecutive responses (``seq`` order) with their request parameters, status,
timings and SHA-256; ``raw_scim_page`` in the store has one row per response naming its file
(:data:`ARCHIVE_COLUMNS` minus the body). The store and its ``.raw`` folder are one unit: back
them up and move them together. ``scimaudit snapshots --verify ID`` re-reads a snapshot's files
and checks every body against the hashes in the store.

Why files and not a DuckDB column: bodies are few, huge values (a 1000-user page is ~850 KB).
Stored in the database they shared one row group, so each checkpoint rewrote every page ever
stored; here they are written once, compressed, and never touched again (see migration 005).
Why Parquet (zstd level 1): DuckDB reads it natively (``read_parquet``), so the staging SQL
parses the bodies straight from the file, and an auditor can query the raw pages with plain SQL;
zstd-1 wrote 32 MiB of pages in ~25 ms, faster than writing them uncompressed (less to write);
SCIM JSON is repetitive and shrinks several-fold (the benchmark's synthetic pages 30x).

Writing: pages are buffered up to ``chunk_bytes`` (8 MiB), then written as one file (first under
a ``.part`` name, renamed when complete) and handed to the loader. Memory stays bounded by a few
chunks whatever the tenant size, and if the store is busy, chunks wait on disk, not in RAM. Each
body's SHA-256 is taken here, as it arrives, with hashlib over the exact bytes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from scimaudit.scim.fetch import Fetched

ARCHIVE_SCHEMA = pa.schema(
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
ARCHIVE_COLUMNS = tuple(ARCHIVE_SCHEMA.names)

DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024
"""Pages per archive file: 8 MiB (~10 pages of 1000 users) bounds what one loader parses at
once; 32 MiB files needed a DuckDB memory limit over 1 GB for the same speed."""
ZSTD_LEVEL = 1
PART_SUFFIX = ".part"


def archive_root(store_path: Path) -> Path:
    """The page archive folder of a store: ``<store file>.raw`` beside it."""
    return store_path.parent / f"{store_path.name}.raw"


def snapshot_folder(store_path: Path, snapshot_id: int) -> Path:
    """Where one snapshot's archive files live."""
    return archive_root(store_path) / str(snapshot_id)


@dataclass(frozen=True)
class ArchiveChunk:
    """A written archive file and what it holds; ``relative`` is its path under the archive root."""

    path: Path
    relative: str
    first_seq: int
    last_seq: int
    pages: int
    nbytes: int
    resource_types: frozenset[str]


@dataclass
class _Buffer:
    """Responses waiting to be written as one archive file, column by column."""

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


class PageWriter:
    """Numbers one snapshot's responses in the order received (``seq``) and archives them."""

    def __init__(
        self, store_path: Path, snapshot_id: int, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES
    ) -> None:
        self.folder = snapshot_folder(store_path, snapshot_id)
        self.chunk_bytes = chunk_bytes
        self.folder.mkdir(parents=True, exist_ok=True)
        self._buffer = _Buffer()
        self._next_seq = 1
        self._chunks = 0

    def add(self, resource_type: str, fetched: Fetched) -> tuple[int, ArchiveChunk | None]:
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

    def flush(self) -> ArchiveChunk | None:
        """Write whatever is buffered as an archive file (None when nothing is buffered)."""
        buf = self._buffer
        if not buf.seq:
            return None
        self._buffer = _Buffer()
        self._chunks += 1
        name = f"chunk-{self._chunks:06d}.parquet"
        path = self.folder / name
        write_archive_file(path, _table(buf))
        return ArchiveChunk(
            path=path,
            relative=f"{self.folder.name}/{name}",
            first_seq=buf.seq[0],
            last_seq=buf.seq[-1],
            pages=len(buf.seq),
            nbytes=buf.nbytes,
            resource_types=frozenset(buf.resource_type),
        )


def write_archive_file(path: Path, table: pa.Table) -> None:
    """Write ``table`` (:data:`ARCHIVE_SCHEMA`) to ``path`` whole or not at all (``.part``, rename).

    Statistics only for the small columns: min/max of 850 KB bodies would be wasted work.
    """
    part = path.with_name(path.name + PART_SUFFIX)
    pq.write_table(
        table,
        part,
        compression="zstd",
        compression_level=ZSTD_LEVEL,
        use_dictionary=["resource_type", "request_url"],
        write_statistics=["seq", "resource_type", "status_code"],
    )
    os.replace(part, path)


def _table(buf: _Buffer) -> pa.Table:
    """The buffered responses as an Arrow table in ``ARCHIVE_SCHEMA`` (one row per response)."""
    return pa.table(
        {
            "seq": pa.array(buf.seq, pa.int32()),
            "resource_type": pa.array(buf.resource_type, pa.string()),
            "request_url": pa.array(buf.request_url, pa.string()),
            "request_params": pa.array(buf.request_params, pa.string()),
            "status_code": pa.array(buf.status_code, pa.int32()),
            # from integers: converting datetime objects would import pandas (seconds)
            "received_at": pa.array(buf.received_at, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "elapsed_ms": pa.array(buf.elapsed_ms, pa.float64()),
            "attempt": pa.array(buf.attempt, pa.int32()),
            "body_sha256": pa.array(buf.body_sha256, pa.string()),
            "body": binary_array(buf.body),
        },
        schema=ARCHIVE_SCHEMA,
    )


def binary_array(bodies: list[bytes]) -> pa.Array:
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
