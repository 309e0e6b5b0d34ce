"""The benchmark suite's quick mode runs in CI, so it never rots: every measured result is checked
against its reference; timings are printed, never asserted."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmarks_run_and_every_result_matches_its_reference():
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "All results matched their references." in run.stdout
    for workload in ("W1 scalar graph", "W2", "W3", "W4", "Start-up", "Teaching latency"):
        assert workload in run.stdout
