"""Lesson files in the form JupyterLab saves them, so that opening and saving an untouched lesson changes nothing.

What JupyterLab changes in a notebook it opens and saves, measured in Chromium (tests/test_browser_audit.py
checks it for every lesson):

- ``metadata.kernelspec``: when the kernel starts, JupyterLab writes the running kernel's spec into the
  notebook, and that marks it changed (the unsaved-changes dot) the moment it opens. ipykernel's ``python3``
  is "Python 3 (ipykernel)", where nbclient and nbformat leave "Python 3".
- ``metadata.language_info``: likewise, from the kernel's reply; it holds the Python version, so a lesson
  executed under another Python opens changed. Nothing in the file can prevent that.
- numbers: the browser holds the notebook as JavaScript values, which have one number type, and the server
  writes back what it receives; so a float without a fraction comes back as an integer (the widget state
  that nbclient stores has ``"value": 3.0``, saved as ``"value": 3``). Other floats come back unchanged.

Run it on the lessons after re-executing them (nbclient stores the floats again); it also puts adlab's
note before each stored widget view (adlab.course.with_saved_widget_notes)::

    python tests/jupyterlab_format.py lessons/*.ipynb
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat

from adlab.course import with_saved_widget_notes


def installed_kernelspec(name="python3"):
    """The kernelspec JupyterLab writes for this kernel: the installed kernel's own names."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def whole_floats(value, where=""):
    """The places (JSON paths) of floats without a fraction, which a save in the browser turns into integers."""
    if isinstance(value, float) and value.is_integer():
        return [where]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in whole_floats(item, f"{where}/{key}")]
    if isinstance(value, list):
        return [p for k, item in enumerate(value) for p in whole_floats(item, f"{where}/{k}")]
    return []


def as_saved(value):
    """The value as it comes back from the browser: whole floats as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: as_saved(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_saved(item) for item in value]
    return value


def differences(path, kernelspec):
    """Why JupyterLab would change this file on opening and saving it, one line per reason (empty: it would not)."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    found = []
    if notebook["metadata"].get("kernelspec") != kernelspec:
        found.append(f"kernelspec {notebook['metadata'].get('kernelspec')} is not the installed {kernelspec}")
    floats = whole_floats(notebook)
    if floats:
        found.append(f"{len(floats)} floats without a fraction (saved as integers), e.g. {floats[0]}")
    return found


def normalise(path, kernelspec):
    """Rewrite one notebook as JupyterLab would save it (the server's own writer: nbformat, then a newline),
    with a note before each stored widget view (adlab.course.with_saved_widget_notes)."""
    notebook = as_saved(json.loads(Path(path).read_text(encoding="utf-8")))
    notebook["metadata"]["kernelspec"] = kernelspec
    with_saved_widget_notes(notebook)
    nbformat.write(nbformat.from_dict(notebook), path)


if __name__ == "__main__":
    spec = installed_kernelspec()
    for argument in sys.argv[1:]:
        normalise(argument, spec)
