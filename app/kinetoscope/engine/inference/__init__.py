"""Running models: devices, onnxruntime sessions (CPU and QNN NPU), compiled-context cache, classification, live mode, results."""
