"""Teaching latency (issue 5) -- NOT WRITTEN YET; the adlab team fills this in.

To measure, once adlab's teaching features exist: trace + table + DAG source of the seed
example (target under 20 ms), and one explorer re-render with graphviz's `dot` installed
(target under 100 ms), each checked for correct output as the other workloads are.
Until then the run prints that this workload has not been measured.
"""


def run(settings):
    print("\n### Teaching latency\n\nNot measured yet: benchmarks/teaching.py is still to be written (issue 5).")
