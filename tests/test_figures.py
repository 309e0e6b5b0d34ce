"""Figures shown with a text alternative (adlab.display.figures): what a screen reader reads instead of the picture."""

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from adlab.display.figures import figure  # noqa: E402


def test_a_figure_is_an_img_with_its_alt_text_and_is_closed():
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [1, 4, 9])
    shown = figure(fig, 'y = x² for x = 1, 2, 3: a curve rising\n   from 1 to 9 <"steeply">')
    assert shown.png.startswith(b"\x89PNG")
    html = shown._repr_html_()
    assert html.startswith('<img src="data:image/png;base64,iVBOR')
    assert html.endswith('alt="y = x² for x = 1, 2, 3: a curve rising from 1 to 9 &lt;&quot;steeply&quot;&gt;">')
    assert fig.number not in plt.get_fignums()  # the inline backend will not draw it again
    assert repr(shown).startswith("<figure: y = x²")


@pytest.mark.parametrize("alt", ["", "   ", None])
def test_a_figure_without_words_is_refused(alt):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="alt must say in words what the figure shows"):
        figure(fig, alt)
    plt.close(fig)
