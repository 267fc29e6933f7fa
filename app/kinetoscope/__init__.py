"""Kinetoscope: recognise human actions in video clips on the Snapdragon NPU or the CPU."""

from __future__ import annotations

__version__ = "0.1.0"
