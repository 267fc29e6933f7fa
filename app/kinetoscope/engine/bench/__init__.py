"""Benchmarks: NPU against CPU, latency statistics, results records, memory."""
