"""The camera's picture, upright and letterboxed, or a sentence saying why there is none."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from kinetoscope.ui.widgets._look import blend, rgb_to_qimage


class CameraPreview(QWidget):
    """Paints the newest frame handed to it (already upright: see `camera_frames.upright_rgb`).

    Frames only replace the image and schedule a repaint, so a camera faster than the screen
    costs one conversion per frame and one paint per screen refresh at most.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._text = "No camera"
        self.frames_shown = 0
        self.setAccessibleName("Camera preview")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 180)

    def show_frame(self, rgb: np.ndarray) -> None:
        self._image = rgb_to_qimage(rgb)
        self.frames_shown += 1
        self.update()

    def show_text(self, text: str) -> None:
        """Drop the picture and show `text` (why there is no picture)."""
        self._image = None
        self._text = text
        self.setAccessibleDescription(text)
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def sizeHint(self) -> QSize:
        return QSize(480, 360)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self.palette()
        window, text = pal.color(QPalette.ColorRole.Window), pal.color(QPalette.ColorRole.WindowText)
        painter.fillRect(self.rect(), blend(window, text, 0.08))
        if self._image is None:
            painter.setPen(blend(text, window, 0.35))
            painter.drawText(self.rect().adjusted(12, 12, -12, -12),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._text)
            return
        size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(self.rect().center())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self._image)
