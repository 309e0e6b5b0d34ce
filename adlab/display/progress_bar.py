"""A progress bar for a lesson's long cells that leaves one fixed line behind.

A cell that works for seconds with nothing but ``[*]`` looks stuck. ``progress(items, "label")``
shows a bar that moves while the loop runs (an HTML ``<progress>`` element, updated in place
through a display handle: no widget, so every front end draws it) and ends as one line of fixed
text, ``label: n of n, done``. The handle first shows that final line and is then updated, so a
front end that ignores updates (nbval, a plain-text viewer) sees the same single line as the
saved notebook: outputs stay stable. Outside a Jupyter kernel nothing is shown.
"""

from __future__ import annotations

import html
import time

EVERY = 0.1  # seconds between two updates of the bar: the loop pays for at most ten a second


def progress(items, label):
    """Yield each of ``items`` while a bar shows how many are done; ``label`` names them ("gradients")."""
    items = list(items)
    bar = ProgressBar(len(items), label)
    with bar:
        for item in items:
            yield item
            bar.advance()


class ProgressBar:
    """A bar for ``total`` pieces of work named ``label``: ``advance()`` after each, inside ``with``."""

    def __init__(self, total, label):
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise ValueError(f"total must be a whole number of pieces of work (0 or more), not {total!r}.")
        self.total, self.label, self.done = total, str(label), 0
        self._handle, self._shown_at = None, 0.0

    def __enter__(self):
        if _in_kernel():
            from IPython.display import display

            self._handle = display({"text/plain": self._final_line()}, raw=True, display_id=True)
            self._show()
        return self

    def advance(self, amount=1):
        """Count ``amount`` more pieces done; the bar is redrawn at most every ``EVERY`` seconds."""
        self.done += amount
        if self._handle is not None and time.monotonic() - self._shown_at >= EVERY:
            self._show()

    def __exit__(self, kind, error, trace):
        if self._handle is not None:
            finished = kind is None and self.done == self.total
            line = self._final_line() if finished else f"{self.label}: stopped after {self.done} of {self.total}"
            self._handle.update({"text/plain": line}, raw=True)
        return False

    def _final_line(self):
        return f"{self.label}: {self.total} of {self.total}, done"

    def _show(self):
        count = f"{self.label}: {self.done} of {self.total}"
        bar = (f'<progress value="{self.done}" max="{max(self.total, 1)}" aria-label="{html.escape(self.label)}">'
               f"</progress> <span>{html.escape(count)}</span>")
        self._handle.update({"text/html": bar, "text/plain": count}, raw=True)
        self._shown_at = time.monotonic()


def _in_kernel():
    """True inside a Jupyter kernel, where a display handle can be updated in place."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
