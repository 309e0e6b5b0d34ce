"""What the sweep explorer renders, pinned byte for byte: lesson notebooks store it (the saved view's HTML and the
live panels' values in the widget state), so a refactoring that changes one character breaks their stored outputs.

The record (tests/data/explorer_rendering.json) holds the SHA-256 of each text the explorer renders for three
functions: every panel at every step of every sweep, the reserve copies, the stylesheet and note, the saved view at
each sweep's first and last step (model ids replaced by MODEL), the controls' scripts and stylesheets, and the graph
options' check boxes; a failure names the text that changed. The drawings come from dot: where dot is missing or
another version, those entries are left out of the comparison. After an intended change of what the explorer shows, rewrite the record with
``python tests/test_explorer_rendering.py`` and review the diff.
"""

import hashlib
import json
import pathlib

import numpy as np

from adlab.display.explorer import Explorer
from course import seed_example

RECORD = pathlib.Path(__file__).parent / "data" / "explorer_rendering.json"
DRAWN = ("graph", "saved_view", "graph layout")  # entries that hold dot's drawing or its size


def two_outputs(x1, x2):
    return x1 * x2, x1 + np.sin(x2)


def scale(a, x):
    return a * x


CASES = {"seed_example": (seed_example, (3.0, -4.0)), "two_outputs": (two_outputs, (2.0, 0.0)),
         "scale": (scale, (np.array([1.0, 2.0]), 3.0))}


def dot_version():
    import graphviz

    try:
        return ".".join(map(str, graphviz.version()))
    except graphviz.ExecutableNotFound:
        return None


def _panels(explorer, prefix, out):
    for step in range(1, explorer.step.max + 1):
        explorer.step.value = step
        for name in ("caption", "table", "jacobian", "graph", "message"):
            out[f"{prefix} step {step} {name}"] = getattr(explorer, name).value
        if step in (1, explorer.step.max):  # (each one holds the graph as a data URI: a long text)
            out[f"{prefix} step {step} saved_view"] = explorer.saved_view().replace(explorer.model_id, "MODEL")
    out[f"{prefix} summary"] = explorer._summary()
    for name, widget in explorer._reserve.items():
        out[f"{prefix} reserve {name}"] = widget.value
    layout = explorer._graph_stack.layout
    out[f"{prefix} graph layout"] = repr((layout.width, layout.max_width, layout.min_width))


def rendering():
    """Everything the explorer renders for the three cases, by a name that says where it shows."""
    out = {}
    for case, (f, args) in CASES.items():
        explorer = Explorer(f, *args)
        out[f"{case} note"] = explorer.children[0].value
        out[f"{case} classes"] = repr(sorted(c for c in explorer._dom_classes if not c.endswith(explorer.model_id)))
        out[f"{case} inputs"] = repr([(type(box).__name__, box.description, box.value,
                                       getattr(box, "min", None), getattr(box, "max", None), getattr(box, "step", None))
                                      for box in explorer.inputs])
        _panels(explorer, f"{case} primal", out)
        for k, _ in enumerate(args):
            explorer.select("forward", k)
            _panels(explorer, f"{case} forward {k}", out)
        explorer.select("reverse", 0)
        _panels(explorer, f"{case} reverse 0", out)
    controls = Explorer(seed_example, 3.0, -4.0)
    out["step control esm"], out["step control css"] = controls.step._esm, controls.step._css
    out["number slider esm"], out["number slider css"] = controls.inputs[0]._esm, controls.inputs[0]._css
    out["graph options"] = repr([(type(box).__name__, box.description, box.value, box.indent)
                                 for box in (controls.fold, controls.focus)])
    return out


def test_the_explorer_renders_what_the_record_holds():
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    now = rendering()
    assert sorted(now) == sorted(record["rendering"])
    same_dot = dot_version() is not None and dot_version() == record["dot"]
    changed = [key for key, digest in record["rendering"].items()
               if (same_dot or not key.endswith(DRAWN)) and _digest(now[key]) != digest]
    assert not changed, f"the explorer renders these differently: {changed}"


def _digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


if __name__ == "__main__":
    digests = {key: _digest(text) for key, text in rendering().items()}
    RECORD.write_text(json.dumps({"dot": dot_version(), "rendering": digests}, indent=1, sort_keys=True) + "\n",
                      encoding="utf-8")
