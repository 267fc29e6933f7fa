"""Box layouts filled in one call, so a row of controls reads as the row it is."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QLayout, QVBoxLayout, QWidget

Item = QWidget | QLayout | int | tuple[QWidget | QLayout, int]
Box = TypeVar("Box", bound=QBoxLayout)
Margins = tuple[int, int, int, int] | None


def fill(layout: Box, *items: Item, margins: Margins = None, spacing: int | None = None) -> Box:
    """`layout` with `items` added in order: a widget or a layout, (one of them, its stretch), or an
    int, a stretch of that factor."""
    if margins is not None:
        layout.setContentsMargins(*margins)
    if spacing is not None:
        layout.setSpacing(spacing)
    for item in items:
        one, stretch = item if isinstance(item, tuple) else (item, 0)
        if isinstance(one, int):
            layout.addStretch(one)
        elif isinstance(one, QLayout):
            layout.addLayout(one, stretch)
        else:
            layout.addWidget(one, stretch)
    return layout


def row(*items: Item, parent: QWidget | None = None, margins: Margins = None, spacing: int | None = None) -> QHBoxLayout:
    """A horizontal box of `items` (see `fill`), laying out `parent` if given."""
    return fill(QHBoxLayout(parent), *items, margins=margins, spacing=spacing)


def column(*items: Item, parent: QWidget | None = None, margins: Margins = None,
           spacing: int | None = None) -> QVBoxLayout:
    """A vertical box of `items` (see `fill`), laying out `parent` if given."""
    return fill(QVBoxLayout(parent), *items, margins=margins, spacing=spacing)


def buddy(text: str, widget: QWidget) -> QLabel:
    """A label whose mnemonic ("&Every": Alt+E) puts the focus on `widget`."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label
