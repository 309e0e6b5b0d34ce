#!/usr/bin/env python3
"""adlab's benchmark suite against its peers (issue 5): one command, one process, Markdown tables.

    python3 benchmarks/run.py            # full run: creates/reuses benchmarks/.venv with every peer
    python3 benchmarks/run.py --quick    # CI: small sizes, current interpreter, installs nothing

See benchmarks/README.md for what each workload measures.
"""

import argparse
import gc
import importlib
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".venv"
PEERS = ["micrograd", "autograd", "torch==2.13.0", "jax", "jaxlib"]  # torch pinned: the local CPU wheel
WORKLOADS = {"w1": "w1_scalar", "w2": "w2_mlp", "w3": "w3_jacobian", "w4": "w4_hvp",
             "startup": "startup", "teaching": "teaching", "compiled": "compiled_path",
             "overheads": "overheads"}  # name on the command line: module


def enter_venv(argv):
    """Create or refresh benchmarks/.venv (adlab editable with its course extra, and every peer), then re-run in it."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    install = ["-e", f"{REPO}[course]", *PEERS]  # [course]: the teaching workload draws tables, graphs, widgets
    wanted = "\n".join(install) + "\n" + (REPO / "pyproject.toml").read_text()
    stamp = VENV / "benchmarks-installed.txt"
    if not stamp.exists() or stamp.read_text() != wanted:
        print("Installing adlab and its peers into benchmarks/.venv ...", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *install], check=True)
        stamp.write_text(wanted)
    os.execv(python, [str(python), __file__, *argv])


def header(harness, settings, allocator):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    memory = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "0")
    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    print(f"# adlab benchmarks ({'quick' if settings.quick else 'full'} run)\n")
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"- machine: {cpu}, {os.cpu_count()} cores, {int(memory) / 2**20:.0f} GiB, {platform.platform()}")
    print(f"- python {platform.python_version()}, numpy {harness.np.__version__}, adlab at commit {commit or '?'}")
    print("- libraries: " + ", ".join(harness.describe(name) for name in harness.LIBRARIES))
    print(f"- timings: median of {settings.min_repeats}-{settings.max_repeats} runs after one warm-up run "
          f"(calls under {harness.BATCH * 1e3:.0f} ms timed in batches), float64; "
          f"{allocator}")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few repeats (under a minute); runs in the current interpreter")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"comma-separated workloads to run (default: all of {','.join(WORKLOADS)})")
    args = parser.parse_args(argv)
    chosen = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(chosen) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    if not args.quick:
        enter_venv(argv)

    sys.path.insert(0, str(HERE))
    import harness

    settings = harness.QUICK if args.quick else harness.FULL
    start = time.perf_counter()
    header(harness, settings, harness.keep_freed_memory())
    for workload in chosen:
        # Objects alive now (the libraries' modules, earlier workloads' caches) go to the GC's permanent
        # generation: GC-on timings then pay for the workload's own objects, not for what else is imported.
        gc.collect()
        gc.freeze()
        begun = time.perf_counter()
        importlib.import_module(WORKLOADS[workload]).run(settings)
        print(f"\n({workload} took {time.perf_counter() - begun:.0f} s)")
    print(f"\nTotal time: {time.perf_counter() - start:.0f} s")
    if harness.failures:
        print("\nFAILURES (wrong results, or errors raised by adlab):")
        print("\n".join(f"- {failure}" for failure in harness.failures))
        return 1
    print("\nAll results matched their references.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
