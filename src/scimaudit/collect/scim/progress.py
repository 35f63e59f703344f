"""Progress of a collect run: rich bars per app on a terminal, plain log lines otherwise.

On a TTY each app and resource type gets a bar with pages, resources, rate and ETA (the total is
the server's ``totalResults`` once the first page says it). Without a TTY (CI, cron, a pipe) a
line per app and resource type is written to stderr at start, every ``interval`` seconds and at the
end, so a log shows a long pull is alive without thousands of lines.
"""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from scimaudit.textsafe import terminal_safe


class ProgressSink(Protocol):
    """What the collector reports while it works."""

    def start(self, app: str, resource_type: str, expected: int | None) -> None:
        """A type's listing began; ``expected`` is the server's ``totalResults``, if it gave one."""
        ...

    def advance(self, app: str, resource_type: str, resources: int) -> None:
        """One page arrived with ``resources`` resources."""
        ...

    def finish(self, app: str, status: str, message: str) -> None:
        """The app's pull ended with ``status``; ``message`` may quote server text."""
        ...

    def close(self) -> None:
        """The run is over: release the terminal."""
        ...


class NullProgress:
    """Reports nothing: for ``collect --no-progress`` and callers that want silence."""

    def start(self, app: str, resource_type: str, expected: int | None) -> None:
        """Ignored."""
        pass

    def advance(self, app: str, resource_type: str, resources: int) -> None:
        """Ignored."""
        pass

    def finish(self, app: str, status: str, message: str) -> None:
        """Ignored."""
        pass

    def close(self) -> None:
        """Ignored."""
        pass


class LogProgress:
    """One line per app and type at start, every ``interval`` seconds, and at the end."""

    def __init__(self, stream: TextIO | None = None, *, interval: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self._state: dict[tuple[str, str], list[float]] = {}  # received, pages, started, last

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def start(self, app: str, resource_type: str, expected: int | None) -> None:
        """Log the start with the server's announced total, and reset the type's counters."""
        now = time.monotonic()
        self._state[(app, resource_type)] = [0, 0, now, now]
        total = "unknown" if expected is None else f"{expected:,}"
        self._write(f"collect {app}: {resource_type} started, server reports {total}")

    def advance(self, app: str, resource_type: str, resources: int) -> None:
        """Count one page; write a line only if ``interval`` seconds passed since the last one."""
        state = self._state.setdefault((app, resource_type), [0, 0, time.monotonic(), 0.0])
        state[0] += resources
        state[1] += 1
        now = time.monotonic()
        if now - state[3] >= self.interval:
            state[3] = now
            rate = state[0] / max(now - state[2], 1e-6)
            self._write(
                f"collect {app}: {resource_type} {int(state[0]):,} received in "
                f"{int(state[1]):,} pages ({rate:,.0f}/s)"
            )

    def finish(self, app: str, status: str, message: str) -> None:
        """Log the app's outcome (terminal-safe: the message may quote server text)."""
        self._write(f"collect {app}: {status}: {terminal_safe(message)}")

    def close(self) -> None:
        """Nothing to release: every line is flushed when written."""
        pass


class RichProgress:
    """A live bar per (app, resource type) on a terminal."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[pages]} pages"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.progress.start()
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._started: dict[tuple[str, str], float] = {}

    def start(self, app: str, resource_type: str, expected: int | None) -> None:
        """Add a bar for the type, sized by the server's ``totalResults`` (unknown: no total)."""
        key = (app, resource_type)
        self._started[key] = time.monotonic()
        self._tasks[key] = self.progress.add_task(
            f"{app} {resource_type}s", total=expected, pages=0, rate=""
        )

    def advance(self, app: str, resource_type: str, resources: int) -> None:
        """Advance the bar by one page's resources and update its pages and rate."""
        key = (app, resource_type)
        task = self._tasks.get(key)
        if task is None:
            return
        current = self.progress.tasks[task]
        done = current.completed + resources
        elapsed = max(time.monotonic() - self._started[key], 1e-6)
        self.progress.update(
            task,
            advance=resources,
            pages=current.fields["pages"] + 1,
            rate=f"{done / elapsed:,.0f}/s",
        )

    def finish(self, app: str, status: str, message: str) -> None:
        """Print the app's outcome above the bars (terminal-safe, no rich markup)."""
        self.progress.console.print(f"{app}: {status}: {terminal_safe(message)}", markup=False)

    def close(self) -> None:
        """Stop the live display so the terminal is left clean."""
        self.progress.stop()


def make_progress(enabled: bool, stream: TextIO | None = None) -> ProgressSink:
    """Rich bars on a TTY, log lines otherwise, nothing when disabled."""
    if not enabled:
        return NullProgress()
    target = stream or sys.stderr
    if target.isatty():
        return RichProgress()
    return LogProgress(target)
