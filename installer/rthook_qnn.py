"""PyInstaller runtime hook: make the QNN libraries findable before anything imports onnxruntime.

The spec copies the onnxruntime_qnn package folder verbatim to `<_MEIPASS>/onnxruntime_qnn`, which
is also where `onnxruntime_qnn.get_library_path()` points in the frozen app. The HTP backend finds
its skeleton libraries through ADSP_LIBRARY_PATH, and on Windows QnnHtp.dll and its siblings are
loaded by name from the provider DLL, so that folder goes on the DLL search path. The engine's
devices.py does the same when it registers the provider; doing it here as well covers any code path
that reaches the QNN libraries first.
"""

import os
import sys

_qnn_dir = os.path.join(getattr(sys, "_MEIPASS", ""), "onnxruntime_qnn")
if os.path.isdir(_qnn_dir):
    _current = os.environ.get("ADSP_LIBRARY_PATH", "")
    if _qnn_dir not in _current.split(os.pathsep):
        os.environ["ADSP_LIBRARY_PATH"] = os.pathsep.join(p for p in (_qnn_dir, _current) if p)
    if os.name == "nt":
        # Keep the handle: closing it would take the folder off the search path again.
        _qnn_dll_directory = os.add_dll_directory(_qnn_dir)
