"""Which devices can run a model here, and why not.

The NPU is reached through onnxruntime-qnn, a plugin execution provider. On Windows on Snapdragon
its HTP backend drives the Hexagon NPU; on Linux x86-64 the same backend is Qualcomm's x86 HTP
*simulator*: real NPU graphs, run slowly, for correctness. We say which one it is.
"""

from __future__ import annotations

import logging
import os
import platform
from dataclasses import dataclass
from typing import Any

import onnxruntime as ort

log = logging.getLogger(__name__)

QNN_EP = "QNNExecutionProvider"
CPU_EP = "CPUExecutionProvider"
# SC8380XP (Snapdragon X Elite). Only forced on the simulator: a real laptop detects its own SoC,
# and the simulator's default SoC cannot allocate R(2+1)D-sized graphs (see qnn-notes.md).
SIMULATOR_SOC_MODEL = "60"


@dataclass(frozen=True)
class DeviceStatus:
    kind: str              # "cpu" | "npu"
    available: bool
    label: str             # "CPU", "NPU", "NPU (HTP simulator)"
    simulated: bool
    provider: str
    reason: str = ""       # why it is not available
    details: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "available": self.available, "label": self.label,
                "simulated": self.simulated, "provider": self.provider, "reason": self.reason,
                "details": dict(self.details)}


def _is_x86() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")


IMAGE_FILE_MACHINE_ARM64 = 0xAA64
EMULATED_REASON = ("this is an x64 Python running under emulation on Windows on ARM: the NPU needs a "
                   "native ARM64 Python (python.org's \"Windows installer (ARM64)\")")


def _windows_native_machine() -> int | None:
    """The machine type of Windows itself (IsWow64Process2), or None off Windows or on failure."""
    if os.name != "nt":
        return None
    import ctypes
    from ctypes import wintypes

    process, native = ctypes.c_ushort(), ctypes.c_ushort()
    try:
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        ok = kernel32.IsWow64Process2(wintypes.HANDLE(kernel32.GetCurrentProcess()),
                                      ctypes.byref(process), ctypes.byref(native))
    except (AttributeError, OSError):  # Windows before 10 1709 has no IsWow64Process2
        return None
    return native.value if ok else None


def x64_under_emulation() -> bool:
    """True for an x64 (or x86) Python on ARM64 Windows: its x64 QNN libraries cannot reach the NPU."""
    return _is_x86() and _windows_native_machine() == IMAGE_FILE_MACHINE_ARM64


def qnn_ep_devices() -> list[Any]:
    """Register the QNN plugin EP with onnxruntime (once per process) and return its devices.

    Raises RuntimeError with a reason when the NPU path cannot be set up at all.
    """
    if x64_under_emulation():
        raise RuntimeError(EMULATED_REASON)
    try:
        import onnxruntime_qnn
    except ImportError as exc:
        raise RuntimeError("onnxruntime-qnn is not installed (it exists for Windows and Linux x86-64 only)") from exc
    devices = [d for d in ort.get_ep_devices() if d.ep_name == QNN_EP]
    if devices:
        return devices
    package_dir = os.path.dirname(onnxruntime_qnn.get_library_path())
    # The HTP skeleton libraries are looked up through ADSP_LIBRARY_PATH; the 2.7 wheel does not
    # set it, and without it Windows may silently run everything on the CPU.
    current = os.environ.get("ADSP_LIBRARY_PATH", "")
    if package_dir not in current.split(os.pathsep):
        os.environ["ADSP_LIBRARY_PATH"] = os.pathsep.join(p for p in (package_dir, current) if p)
    if hasattr(os, "add_dll_directory") and os.name == "nt":
        os.add_dll_directory(package_dir)
    if not hasattr(ort, "register_execution_provider_library"):
        raise RuntimeError(f"onnxruntime {ort.__version__} cannot load plugin execution providers")
    try:
        ort.register_execution_provider_library(QNN_EP, onnxruntime_qnn.get_library_path())
    except Exception as exc:  # onnxruntime raises its own Fail type
        raise RuntimeError(f"the QNN execution provider failed to load: {exc}") from exc
    devices = [d for d in ort.get_ep_devices() if d.ep_name == QNN_EP]
    if not devices:
        raise RuntimeError("the QNN execution provider loaded but reports no device")
    return devices


def npu_is_simulated(devices: list[Any]) -> bool:
    """True when the HTP backend is the x86 simulator rather than a Hexagon NPU."""
    if not _is_x86():
        return False
    return all(str(d.device.type).endswith("CPU") for d in devices)


def qnn_provider_options(simulated: bool) -> dict[str, str]:
    # The EP would otherwise hand a float-I/O QDQ graph's input Quantize and output Dequantize to
    # the CPU; keeping them on the HTP makes "ran on the NPU" true for the whole graph.
    options = {"backend_type": "htp", "offload_graph_io_quantization": "0"}
    if simulated:
        options["soc_model"] = SIMULATOR_SOC_MODEL
    else:
        options["htp_performance_mode"] = "burst"
    return options


def cpu_status() -> DeviceStatus:
    return DeviceStatus("cpu", True, "CPU", False, CPU_EP,
                        details=(("processor", platform.processor() or platform.machine()),
                                 ("onnxruntime", ort.__version__)))


def npu_status() -> DeviceStatus:
    try:
        devices = qnn_ep_devices()
    except RuntimeError as exc:
        return DeviceStatus("npu", False, "NPU", False, QNN_EP, reason=str(exc))
    simulated = npu_is_simulated(devices)
    label = "NPU (HTP simulator)" if simulated else "NPU"
    import onnxruntime_qnn

    details = [("onnxruntime-qnn", getattr(onnxruntime_qnn, "__version__", "unknown")),
               ("device type", ", ".join(str(d.device.type).rsplit(".", 1)[-1] for d in devices)),
               ("vendor", ", ".join(sorted({d.ep_vendor for d in devices})))]
    if simulated:
        details.append(("note", "Qualcomm's x86 simulator of the Hexagon NPU: correct results, not NPU speed"))
    return DeviceStatus("npu", True, label, simulated, QNN_EP, details=tuple(details))


def device_statuses() -> list[DeviceStatus]:
    """Every device kind with its availability; never raises."""
    return [cpu_status(), npu_status()]
