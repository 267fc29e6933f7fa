"""The desktop window: presents the engine's results and schedules its work off the GUI thread.

Everything Qt lives in this package; the engine (`kinetoscope.engine`) never imports it.
"""
