"""Start-up: wall time of `python -c "import X"` in a fresh interpreter, median of several runs.

The bare interpreter (`python -c pass`) is measured too, so the import's own cost can be read off.
"""

import os
import statistics
import subprocess
import sys
import time

from harness import REPO, attempt, load, ratio, table

MODULES = ("adlab", "autograd", "torch", "jax")


def seconds(statement, repeats):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    # Bytecode as a user has it: pip compiled the installed peers' .pyc files; the working tree's
    # adlab gets its own on the warm-up import, even where the environment says not to write them.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-c", statement]
    subprocess.run(command, env=env, check=True, capture_output=True)  # warm-up: bytecode and OS file cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_seconds(name, repeats):
    load(name)  # Skip if it is not installed
    return seconds(f"import {name}", repeats)


def run(settings):
    repeats = 3 if settings.quick else 10
    bare = seconds("pass", repeats)
    results = {name: attempt(name, f"startup {name}", import_seconds, name, repeats) for name in MODULES}
    adlab = results["adlab"] if isinstance(results["adlab"], float) else None
    rows = [["(bare interpreter)", f"{bare * 1e3:.0f}", "0", "—", ""]]
    for name, r in results.items():
        if isinstance(r, str):
            rows.append([f"import {name}", "—", "—", "—", r])
        else:
            rows.append([f"import {name}", f"{r * 1e3:.0f}", f"{(r - bare) * 1e3:.0f}", ratio(adlab, r), ""])
    table(f"Start-up: python -c \"import X\" (ms, median of {repeats})",
          ["command", "wall", "minus bare interpreter", "adlab/peer", "status"], rows)
