"""Matplotlib figures with a text alternative, for readers who cannot see them.

JupyterLab and Notebook 7 show a figure's PNG output as an <img> without alt text (their image renderer
takes none), so a screen reader meets an unnamed picture. ``figure(fig, alt)`` shows the same picture as
HTML, ``<img alt="…">``, which both render, also in an untrusted notebook (their sanitizer keeps a data:
image), and closes the figure so that the inline backend does not draw it a second time.
"""

from __future__ import annotations

import base64
import io
import sys
from html import escape


class Figure:
    """A drawn figure: its PNG and the sentence that says what it shows."""

    def __init__(self, png: bytes, alt: str):
        self.png = png
        self.alt = alt

    def _repr_html_(self):
        data = base64.b64encode(self.png).decode("ascii")
        return f'<img src="data:image/png;base64,{data}" alt="{escape(self.alt)}">'

    def __repr__(self):
        return f"<figure: {self.alt}>"


def figure(fig, alt):
    """The matplotlib figure `fig` as a picture with the text alternative `alt` (display it, or end a cell with it)."""
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must say in words what the figure shows, for readers who cannot see it "
                         "(a sentence or two: what is plotted against what, and what to notice).")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")  # as the inline backend draws it
    pyplot = sys.modules.get("matplotlib.pyplot")  # never imported here: that could switch the backend
    if pyplot is not None:
        pyplot.close(fig)
    return Figure(buffer.getvalue(), " ".join(alt.split()))
