"""Loaded by every Python process of ``make test-clock`` (the Makefile puts this folder first on
``PYTHONPATH``): keeps ``time.sleep`` working under Debian's libfaketime 0.9.10.

The clock guard runs the tests with ``faketime -f +400d``, ``FAKETIME_DONT_FAKE_MONOTONIC=1`` and
``FAKETIME_FORCE_MONOTONIC_FIX=0`` (with the fix on, the GIL's timed condition waits are mistimed
and threaded Python runs about ten times slower). The monotonic clock must stay real: faked, it
jumps 400 days ahead while ``sem_clockwait`` (which libfaketime does not intercept) waits on the
real one, so every ``threading`` timeout hangs. With it real, libfaketime's ``clock_nanosleep``
wrapper still shifts absolute deadlines by the fake offset and the kernel answers EINVAL, which is
what CPython's ``time.sleep`` calls. ``select`` with no file descriptors sleeps on a relative
timeout (retried on EINTR, PEP 475), which libfaketime leaves alone. Outside libfaketime (no
``FAKETIME`` variable) this module changes nothing.
"""

from __future__ import annotations

import os
import select
import time


def _sleep(seconds: float) -> None:
    """``time.sleep`` through ``select``: same contract (negative is a ValueError)."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    select.select([], [], [], seconds)


if os.environ.get("FAKETIME") and "faketime" in os.environ.get("LD_PRELOAD", ""):
    time.sleep = _sleep
