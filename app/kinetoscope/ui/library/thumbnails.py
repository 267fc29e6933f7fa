"""Thumbnails of moments in videos: decoded on a worker thread, kept in a small cache.

`request(path, at_s)` returns the cached picture at once, or None and queues its decoding; `ready`
then says it is there. Only the newest requests are decoded: a results list scrolled past asks
for many, and the ones no longer wanted are dropped from the queue (cancelled).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPixmap

from kinetoscope.engine.media.preview_frames import PreviewDecoder
from kinetoscope.ui.tasks import Lane, Op, Task

THUMB_W, THUMB_H = 128, 72
CACHE_SIZE = 400
QUEUED_AT_MOST = 48

Key = tuple[str, float]


def thumb_key(path: Path, at_s: float) -> Key:
    return str(path), round(at_s, 1)


def decode_thumbnail(path: Path, at_s: float) -> QImage:
    """The frame at `at_s`, scaled to fit THUMB_W x THUMB_H (runs off the GUI thread: QImage may)."""
    with PreviewDecoder(path) as decoder:
        frame = decoder.frame_at(at_s, THUMB_W, THUMB_H)
    rgb = frame.rgb
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888).copy()


class Thumbnails(QObject):
    ready = Signal(object)     # Key

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lane = Lane("thumbnails", parent=self)
        self._cache: OrderedDict[Key, QPixmap] = OrderedDict()
        self._pending: OrderedDict[Key, Task] = OrderedDict()
        self.decoded = 0

    def request(self, path: Path, at_s: float) -> QPixmap | None:
        key = thumb_key(path, at_s)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if key not in self._pending:
            # A frame that cannot be decoded leaves its row without a picture, not an error banner.
            task = (Op(self.lane, lambda _ctx: decode_thumbnail(Path(key[0]), key[1]), name="thumbnail")
                    .success(lambda image, key=key: self._arrived(key, image)).failure(lambda _f: None).run())
            task.ended.connect(lambda key=key: self._pending.pop(key, None))
            self._pending[key] = task
            while len(self._pending) > QUEUED_AT_MOST:
                _, oldest = self._pending.popitem(last=False)
                oldest.cancel()
        return None

    def cached(self, path: Path, at_s: float) -> QPixmap | None:
        return self._cache.get(thumb_key(path, at_s))

    def _arrived(self, key: Key, image: QImage) -> None:
        self.decoded += 1
        self._cache[key] = QPixmap.fromImage(image)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        self.ready.emit(key)

    def shutdown(self) -> None:
        self.lane.shutdown()
