"""Shared machinery: settings, the libraries under test, timing, correctness checks, tables."""

from __future__ import annotations

import ctypes
import gc
import importlib
import importlib.metadata
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # measure the working tree's adlab, installed or not

LIBRARIES = ("adlab", "micrograd", "autograd", "torch", "jax")
RTOL = 1e-8  # float64 everywhere: results must agree to near round-off


@dataclass(frozen=True)
class Settings:
    quick: bool
    min_repeats: int  # timed runs after one warm-up run ...
    max_repeats: int
    budget: float  # ... as many as fit in this many seconds, within those bounds
    run_cap: float  # skip a size whose estimated single run exceeds this (seconds)


QUICK = Settings(quick=True, min_repeats=3, max_repeats=5, budget=0.2, run_cap=1.0)
FULL = Settings(quick=False, min_repeats=5, max_repeats=25, budget=2.0, run_cap=20.0)


class Skip(Exception):
    """A library cannot run this measurement; the message says why (shown in the table)."""


# --- libraries -------------------------------------------------------------------------

_loaded: dict = {}


def load(name):
    """The library's top-level module, or raise Skip if it is not installed."""
    if name not in _loaded:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:  # installed, but one of its own imports is missing: a real failure
                raise
            module = None
        if module is not None and getattr(module, "__file__", None) is None:
            module = None  # a bare folder without __init__.py imports as a namespace package
        if name == "jax" and module is not None:
            module.config.update("jax_enable_x64", True)
        if name == "micrograd" and module is not None:
            import micrograd_ext  # noqa: F401  (adds tanh, exp, log to micrograd's Value)
        _loaded[name] = module
    if _loaded[name] is None:
        raise Skip("skipped (not installed)")
    return _loaded[name]


def describe(name):
    """'name version' for the run's header, or 'name not installed'."""
    try:
        load(name)
    except Skip:
        return f"{name} not installed"
    except Exception as error:  # noqa: BLE001 -- its rows will show the error again
        return f"{name} fails to import ({type(error).__name__})"
    try:
        text = f"{name} {importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError:
        text = f"{name} (working tree)"
    return text + (f" (jaxlib {importlib.metadata.version('jaxlib')})" if name == "jax" else "")


# --- timing ----------------------------------------------------------------------------


def keep_freed_memory():
    """Make glibc's malloc keep freed memory instead of handing it back to the OS.

    By default, arrays above a size threshold that adapts as the program runs are mmap'ed and
    unmapped, and the heap is trimmed, so the same NumPy code refaults its pages on some runs and
    not on others; on this VM that alone moved W2's NumPy backprop between 3 ms and 90 ms depending
    on what ran before. Fixed thresholds make every library's steady state the same. No-op off glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "default allocator"
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    libc.mallopt(M_MMAP_THRESHOLD, 32 * 2**20)  # glibc's maximum
    libc.mallopt(M_TRIM_THRESHOLD, 2**30)
    return "glibc malloc keeps freed memory (mmap threshold 32 MiB, trim threshold 1 GiB)"

BATCH = 0.002  # seconds: calls shorter than this are timed in batches of consecutive calls that last about this long


def measure(run, settings, gc_enabled=True):
    """Median seconds per call after one warm-up call, and the last result.

    Calls shorter than BATCH are timed in batches, as timeit does: a 50 µs call timed alone right
    after gc.collect() mostly measures refilling the caches the collection emptied, which favours
    whichever library runs the least code, not the one a loop runs fastest.
    """
    gc.collect()
    start = time.perf_counter()
    result = run()
    first = time.perf_counter() - start
    calls = max(1, int(BATCH / max(first, 1e-9)))
    repeats = max(settings.min_repeats, min(settings.max_repeats, int(settings.budget / max(first * calls, 1e-9))))
    times = []
    for _ in range(repeats):
        del result
        gc.collect()
        if not gc_enabled:
            gc.disable()
        try:
            seconds, result = per_call(run, calls)
            times.append(seconds)
        finally:
            gc.enable()
    return statistics.median(times), result


def per_call(run, calls):
    """Seconds per call over `calls` consecutive calls of run(), and the last result."""
    start = time.perf_counter()
    for _ in range(calls):
        result = run()
    return (time.perf_counter() - start) / calls, result


# --- correctness -----------------------------------------------------------------------

failures: list[str] = []


def check(where, got, expected, rtol=RTOL):
    """Largest relative error of got against expected (both sequences of arrays), as a table cell.

    Errors are relative to each expected array's largest magnitude. Anything above rtol is recorded
    as a failure, and the run exits non-zero at the end.
    """
    worst = 0.0
    for g, e in zip(got, expected, strict=True):
        g, e = np.asarray(g, dtype=np.float64), np.asarray(e, dtype=np.float64)
        if g.shape != e.shape:
            failures.append(f"{where}: shape {g.shape}, expected {e.shape}")
            return f"WRONG shape {g.shape}"
        if not np.all(np.isfinite(g)):
            failures.append(f"{where}: non-finite result")
            return "WRONG (non-finite)"
        scale = max(float(np.max(np.abs(e), initial=0.0)), np.finfo(float).tiny)
        worst = max(worst, float(np.max(np.abs(g - e), initial=0.0)) / scale)
    if worst > rtol:
        failures.append(f"{where}: relative error {worst:.1e} > {rtol:.0e}")
        return f"WRONG {worst:.1e}"
    return f"ok {worst:.0e}"


def attempt(library, where, body, *args):
    """body(*args); a Skip becomes its message, any other error a 'failed' cell.

    An error in adlab fails the run; a peer's error is only reported (it is the peer's limit).
    """
    try:
        return body(*args)
    except Skip as skip:
        return str(skip)
    except Exception as error:  # noqa: BLE001 -- reported in the table
        text = f"{type(error).__name__}: {error}".splitlines()[0][:90]
        if library == "adlab":
            failures.append(f"{where}: adlab raised {text}")
        return f"failed ({text})"


# --- output ----------------------------------------------------------------------------


def fmt3(value):
    """Three significant figures, without an exponent: 1722, 32.1, 2.00, 0.0351."""
    digits = max(0, 2 - math.floor(math.log10(abs(value)))) if value else 0
    return f"{value:.{digits}f}"


def ms(seconds):
    return fmt3(seconds * 1e3)


def ratio(adlab_value, peer_value):
    """adlab / peer as a cell, '—' when either side has no number."""
    if isinstance(adlab_value, float) and isinstance(peer_value, float) and peer_value > 0:
        return fmt3(adlab_value / peer_value)
    return "—"


def table(title, headers, rows, notes=()):
    """Print a Markdown table (pasteable into RESULTS.md)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda row: "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"  # noqa: E731
    print(f"\n### {title}\n")
    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print(line(row))
    for note in notes:
        print(f"\n{note}")
    sys.stdout.flush()
