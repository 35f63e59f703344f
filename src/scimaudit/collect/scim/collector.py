"""Collect apps: one snapshot per app pull, judged complete or failed by its completeness record.

Per app (all apps concurrently, each with its own client and request budget):

1. register a ``running`` snapshot (a short store transaction);
2. read the discovery endpoints (advice only), choose paging and page size;
3. list all Users, then all Groups (members inline, or listed without members and read one by one),
   landing every response in the page archive (Parquet files beside the store), which two loader
   threads load into the store file by file;
4. ask for ``totalResults`` again; if the count changed while we pulled (or resources shifted so
   that ids were repeated), the snapshot is closed ``failed`` and the app is pulled again as a new
   snapshot, up to :data:`MAX_PULL_ATTEMPTS` times;
5. close the snapshot ``complete`` only when everything reconciles (see
   :mod:`scimaudit.collect.scim.completeness`) and is coherent (every membership resolves, see
   :mod:`scimaudit.collect.scim.coherence`), else ``failed`` with the record kept; ``suspect`` when
   it reconciles but its user count collapsed against the last complete one. Neither a failed nor a
   suspect pull replaces the previous complete snapshot (``snapshots.current`` skips them).

A request has an overall deadline (``request_deadline_seconds``, start to last byte) and so has
the whole pull of an app (``app_deadline_seconds``); past either, the app fails, naming it.

:func:`collect_apps` is the library entry point (sync; it runs its own event loop).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from scimaudit.collect.scim.archive_check import remove_unreferenced_files
from scimaudit.collect.scim.completeness import AppRecord, ResourceRecord
from scimaudit.collect.scim.judge import (
    AppResult,
    attach_error,
    judge,
    load_failure,
    merge_chunk,
    summary,
    worth_another_pull,
)
from scimaudit.collect.scim.loader import (
    ChunkResult,
    CommitTurn,
    load_chunk,
)
from scimaudit.collect.scim.page_archive import ArchiveChunk, PageWriter
from scimaudit.collect.scim.progress import ProgressSink, make_progress
from scimaudit.collect.scim.pull import AppSession, pull_listing, read_groups_one_by_one, recount
from scimaudit.collect.scim.store_session import StoreSession
from scimaudit.collect.scim.vendors import Quirks
from scimaudit.config import AppConfig, Config
from scimaudit.errors import EXIT_BUG, CollectionError, ScimauditError
from scimaudit.scim.auth import build_auth
from scimaudit.scim.client import TransportFactory, build_client
from scimaudit.scim.discovery import discover
from scimaudit.scim.fetch import Fetched, FetchStats, ScimFetcher
from scimaudit.scim.paginate import CursorPager, IndexPager
from scimaudit.scim.ratelimit import RateLimiter
from scimaudit.scim.retry import RetryPolicy
from scimaudit.store import snapshots
from scimaudit.store.connect import connect

MAX_PULL_ATTEMPTS = 3
"""Pulls of one app per run when the data changes underneath us; then it is reported failed."""

LOADER_THREADS = 2
"""Chunks loaded at once. One chunk's staging SQL runs on one core (its input is a few dozen page
rows, below DuckDB's unit of parallel work), so a second loader is what uses the second core."""

__all__ = ["AppResult", "CollectRun", "collect_apps", "collect_apps_async", "recollect"]


class CollectRun:
    """One collect run over several apps, sharing the loader threads and the store session."""

    def __init__(
        self,
        config: Config,
        progress: ProgressSink,
        *,
        transport_factory: TransportFactory | None = None,
        chunk_bytes: int | None = None,
    ) -> None:
        self.config = config
        self.store_path = config.store.path
        self.lock_timeout = config.store.lock_timeout_seconds
        self.progress = progress
        self.transport_factory = transport_factory
        self.chunk_bytes = chunk_bytes
        self.loader = concurrent.futures.ThreadPoolExecutor(
            LOADER_THREADS, thread_name_prefix="scim-loader"
        )
        self.session = StoreSession(self.store_path, self.lock_timeout)
        self._pending = 0  # store jobs queued or running
        self._pending_lock = threading.Lock()

    def _on_loader(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        """Queue store work for the loader threads; the store closes when none is left."""
        with self._pending_lock:
            self._pending += 1

        def job() -> Any:
            """Run the store work; the last job to finish releases the shared store connection."""
            try:
                return fn(*args, **kwargs)
            finally:
                with self._pending_lock:
                    self._pending -= 1
                    idle = self._pending == 0
                if idle:
                    self.session.release()

        return asyncio.get_running_loop().run_in_executor(self.loader, job)

    async def _store(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run store work on a loader thread (a pull's begin/finalize bracket its chunk loads)."""
        return await self._on_loader(fn, *args, **kwargs)

    async def run(self, apps: list[AppConfig]) -> list[AppResult]:
        """Pull every app concurrently; the loader threads are drained before returning."""
        try:
            return list(await asyncio.gather(*(self.collect_app(app) for app in apps)))
        finally:
            self.loader.shutdown(wait=True)

    async def collect_app(self, app: AppConfig) -> AppResult:
        """Pull one app, again when its data changed during the pull; never raises."""
        previous: list[int] = []
        while True:
            result, retry = await self._pull_once(app, len(previous) + 1, previous)
            if result.snapshot_id is not None:
                previous.append(result.snapshot_id)
            if not retry or len(previous) >= MAX_PULL_ATTEMPTS:
                result.attempts = list(previous)
                self.progress.finish(app.name, result.status, summary(result))
                return result

    def _begin(self) -> Callable[[str, str], int]:
        def begin(name: str, url: str) -> int:
            """Open the app's ``running`` snapshot (on a loader thread: the store is not async)."""
            with self.session.cursor() as con:
                return snapshots.begin(con, "app", name, location=url)

        return begin

    async def _pull_once(
        self, app: AppConfig, attempt: int, previous: list[int]
    ) -> tuple[AppResult, bool]:
        """One pull of one app into a new snapshot; returns its result and whether to pull again.

        Pages are landed in archive chunks that loader threads store while the pull goes on;
        whatever happens (deadline, SCIM error, a bug) the chunks already received are still stored
        and the failure goes into the record, so one app never stops the others. The second value is
        true when the data moved during the pull (:func:`worth_another_pull`).
        """
        started = time.monotonic()
        try:
            snapshot_id = await self._store(self._begin(), app.name, app.url)
        except ScimauditError as exc:
            return AppResult(
                app.name, "failed", None, error=str(exc), exit_code=exc.exit_code
            ), False
        quirks = Quirks.from_app(app)
        record = AppRecord(
            app=app.name,
            url=app.url,
            snapshot_id=snapshot_id,
            pull_attempt=attempt,
            previous_attempts=list(previous),
            group_members=quirks.group_members,
        )
        writer = PageWriter(self.store_path, snapshot_id, **self._chunk_kw())
        loads: list[asyncio.Future[ChunkResult]] = []
        last_commit: list[threading.Event | None] = [None]

        def submit(chunk: ArchiveChunk) -> None:
            """Queue a chunk to load, chained to the previous one: commits keep arrival order."""
            turn = CommitTurn(after=last_commit[0], done=threading.Event())
            last_commit[0] = turn.done
            loads.append(
                self._on_loader(
                    load_chunk,
                    self.session,
                    snapshot_id=snapshot_id,
                    app=app.name,
                    quirks=quirks,
                    chunk=chunk,
                    turn=turn,
                )
            )

        def land(resource_type: str, fetched: Fetched) -> int:
            """Archive one response, handing a full chunk to the loader; returns the page's seq."""
            seq, chunk = writer.add(resource_type, fetched)
            if chunk is not None:
                submit(chunk)
            return seq

        exit_code = 0
        try:
            async with asyncio.timeout(app.app_deadline_seconds):
                await self._pull_types(app, quirks, record, land)
        except TimeoutError:
            attach_error(
                record,
                f"app {app.name!r}: the pull did not finish within app_deadline_seconds = "
                f"{app.app_deadline_seconds:g}; stopped (raise it for a tenant this large or slow)",
            )
            exit_code = CollectionError.exit_code
        except ScimauditError as exc:
            attach_error(record, str(exc))
            exit_code = exc.exit_code
        except Exception as exc:  # a bug: keep the other apps going, report it
            attach_error(record, f"internal error ({type(exc).__name__}: {exc})")
            exit_code = EXIT_BUG
        finally:
            last = writer.flush()
            if last is not None:
                submit(last)
            outcomes = await asyncio.gather(*loads, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                record.errors.append(f"loading into the store failed: {load_failure(outcome)}")
                exit_code = exit_code or getattr(outcome, "exit_code", EXIT_BUG)
            else:
                merge_chunk(record, outcome)
        record.duration_seconds = time.monotonic() - started
        try:
            result = await self._store(self._finalize, record, quirks)
        except ScimauditError as exc:
            result = AppResult(
                app.name, "failed", snapshot_id, error=str(exc), exit_code=exc.exit_code
            )
        if result.status != "complete":
            result.exit_code = exit_code or CollectionError.exit_code
        result.duration_seconds = record.duration_seconds
        return result, worth_another_pull(record)

    def _chunk_kw(self) -> dict[str, int]:
        return {"chunk_bytes": self.chunk_bytes} if self.chunk_bytes else {}

    async def _pull_types(
        self,
        app: AppConfig,
        quirks: Quirks,
        record: AppRecord,
        land: Callable[[str, Fetched], int],
    ) -> None:
        """Open the app's client (auth, retry policy, rate limit) and pull each resource type."""
        auth = build_auth(app.effective_auth, app=app.name)
        transport = self.transport_factory(app) if self.transport_factory else None
        async with build_client(app, auth, transport=transport) as client:
            fetcher = ScimFetcher(
                client,
                app=app.name,
                policy=RetryPolicy(
                    max_retries=app.max_retries,
                    base_seconds=app.retry_base_seconds,
                    max_wait_seconds=app.retry_after_max_seconds,
                ),
                limiter=RateLimiter(app.requests_per_second),
                request_deadline=app.request_deadline_seconds,
            )
            session = AppSession(
                app.name,
                fetcher,
                app.concurrency,
                land,
                self.progress,
                overrun_share=app.paging_overrun_share,
            )
            try:
                await self._pull_each_type(session, fetcher, quirks, record, land)
            finally:
                record.count_refused = session.count_refused

    async def _pull_each_type(
        self,
        session: AppSession,
        fetcher: ScimFetcher,
        quirks: Quirks,
        record: AppRecord,
        land: Callable[[str, Fetched], int],
    ) -> None:
        """Discovery, then every resource type: list, read groups one by one, re-count."""
        caps, landed = await discover(fetcher, FetchStats())
        for endpoint, fetched in landed:
            land(endpoint, fetched)
        record.discovery = caps.as_dict()
        mode = caps.choose_pagination(quirks.pagination)
        size = caps.page_size(quirks.page_size)
        for rtype in ("User", "Group"):
            rec = ResourceRecord(rtype)
            record.resources[rtype] = rec
            pager = IndexPager(size) if mode == "index" else CursorPager(size)
            one_by_one = rtype == "Group" and quirks.group_members == "per_group"
            extra = {"excludedAttributes": "members"} if one_by_one else None
            ids = await pull_listing(
                session, rtype, pager, rec, extra_params=extra, keep_ids=one_by_one
            )
            if one_by_one:
                await read_groups_one_by_one(session, ids, rec)
            await recount(session, rtype, mode, rec)

    def _finalize(self, record: AppRecord, quirks: Quirks) -> AppResult:
        """Count what was loaded, hash what was landed, judge, and close the snapshot."""
        with self.session.cursor() as con:
            return judge(con, record, quirks)


def select_apps(config: Config, app_names: list[str] | None) -> list[AppConfig]:
    """The apps to collect: all configured, or those named (unknown names are a ConfigError)."""
    if not app_names:
        return list(config.apps)
    return [config.app(name) for name in dict.fromkeys(app_names)]


async def collect_apps_async(
    config: Config,
    app_names: list[str] | None = None,
    *,
    progress: ProgressSink | None = None,
    transport_factory: TransportFactory | None = None,
    chunk_bytes: int | None = None,
) -> list[AppResult]:
    """Async form of :func:`collect_apps`."""
    apps = select_apps(config, app_names)
    sink = progress or make_progress(False)
    with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
        snapshots.reap_interrupted(con)
        remove_unreferenced_files(con, config.store.path)
    run = CollectRun(config, sink, transport_factory=transport_factory, chunk_bytes=chunk_bytes)
    try:
        return await run.run(apps)
    finally:
        sink.close()


def collect_apps(
    config: Config,
    app_names: list[str] | None = None,
    *,
    progress: bool = True,
    transport_factory: TransportFactory | None = None,
) -> list[AppResult]:
    """Collect the named apps (all when None) into new snapshots; one :class:`AppResult` each.

    Never raises for a failed app (see each result's ``status``/``error``); raises
    :class:`~scimaudit.errors.ConfigError` for an unknown app name and
    :class:`~scimaudit.errors.StoreError` when the store cannot be opened. Callable from sync code;
    when an event loop is already running in this thread it runs in a worker thread.
    """
    coro_args = (config, app_names)
    kwargs: dict[str, Any] = {
        "progress": make_progress(progress),
        "transport_factory": transport_factory,
    }
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(collect_apps_async(*coro_args, **kwargs))
    box: list[list[AppResult]] = []
    errors: list[BaseException] = []

    def runner() -> None:
        """Run the collection on its own event loop in this thread, keeping its result or error."""
        try:
            box.append(asyncio.run(collect_apps_async(*coro_args, **kwargs)))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=runner, name="scimaudit-collect")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]


def recollect(config: Config, app_names: Sequence[str]) -> list[AppResult]:
    """Collect the named apps quietly: what remediation's verification needs to see the apps again.

    A failed app shows as ``status == "failed"`` in its result, not as an exception, so the caller
    can name which app could not be re-read.
    """
    return collect_apps(config, list(app_names), progress=False)
