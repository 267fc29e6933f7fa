"""TopPredictions: order, bar widths, title, animation and palettes."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette

from kinetoscope.engine.inference.results import Prediction
from kinetoscope.ui.widgets.predictions import TopPredictions, percent

PREDS = [
    Prediction("arm wrestling", 6, 0.62),
    Prediction("shaking hands", 290, 0.21),
    Prediction("rock scissors paper", 268, 0.09),
    Prediction("playing cards", 236, 0.05),
    Prediction("drinking beer", 99, 0.02),
]


@pytest.fixture
def top(qtbot):
    widget = TopPredictions()
    qtbot.addWidget(widget)
    widget.resize(360, widget.sizeHint().height())
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_labels_in_order_with_bars_proportional_to_probability(top):
    top.set_animated(False)
    top.set_predictions(PREDS, "Whole clip")

    assert [p.label for p in top.predictions()] == [p.label for p in PREDS]
    assert top.title() == "Whole clip"
    tops = [top.bar_rect(i).top() for i in range(5)]
    assert tops == sorted(tops) and len(set(tops)) == 5
    for i, pred in enumerate(PREDS):
        assert top.bar_rect(i).width() / top.bar_track(i).width() == pytest.approx(pred.prob, abs=1e-6)
    description = top.accessibleDescription()
    assert description.index("arm wrestling") < description.index("shaking hands") < description.index("drinking beer")


def test_the_painted_bar_ends_where_the_probability_says(top):
    top.set_animated(False)
    top.set_predictions(PREDS, "Whole clip")
    image = top.grab().toImage()
    highlight = top.palette().color(QPalette.ColorRole.Highlight)
    bar = top.bar_rect(0)
    y = round(bar.center().y())
    inside = image.pixelColor(round(bar.right()) - 4, y)
    outside = image.pixelColor(round(bar.right()) + 4, y)
    assert inside == highlight
    assert outside != highlight


def test_only_five_rows_are_kept(top):
    top.set_animated(False)
    top.set_predictions(PREDS + [Prediction("extra", 1, 0.01)])
    assert len(top.predictions()) == 5


def test_changes_glide_to_the_new_values(top, qtbot):
    top.set_animated(False)
    top.set_predictions(PREDS, "Whole clip")
    top.set_animated(True)
    swapped = [Prediction("arm wrestling", 6, 0.10)] + PREDS[1:]
    top.set_predictions(swapped, "View 2")
    final = top.bar_track(0).width() * 0.10
    assert top.bar_rect(0).width() > final + 1  # still on its way down
    qtbot.waitUntil(lambda: abs(top.bar_rect(0).width() - final) < 1e-6, timeout=2000)
    assert top.title() == "View 2"


def test_clear_shows_nothing(top):
    top.set_predictions(PREDS, "View 1")
    top.clear()
    assert top.predictions() == () and top.title() == ""


@pytest.mark.parametrize("window, text", [("#f4f4f4", "#111111"), ("#202124", "#eeeeee")])
def test_text_follows_the_palette(qtbot, window, text):
    widget = TopPredictions()
    qtbot.addWidget(widget)
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(window))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(text))
    widget.setPalette(palette)
    widget.setAutoFillBackground(True)
    widget.set_animated(False)
    widget.set_predictions(PREDS, "Whole clip")
    widget.resize(360, widget.sizeHint().height())
    image = widget.grab().toImage()
    lightness = [image.pixelColor(x, y).lightness() for x in range(0, 200, 2) for y in range(0, 40)]
    background = QColor(window).lightness()
    # Title text is drawn in the palette's text colour, contrasting with the window.
    extreme = min(lightness) if background > 128 else max(lightness)
    assert abs(extreme - QColor(text).lightness()) < 40


def test_percent_text():
    assert percent(0.6234) == "62.3%"
    assert percent(0.0001) == "<0.1%"
    assert percent(0.0) == "0.0%"
