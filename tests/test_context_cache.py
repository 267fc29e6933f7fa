"""The NPU's compiled-context cache: written on the first start, reused after, never trusted blindly."""

from __future__ import annotations

import onnx
import numpy as np
import pytest

from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.inference.context_cache import CTX_NAME, ContextCache, ContextKey, model_fingerprint
from kinetoscope.engine.inference.session import ModelSession, npu_context_key
from model_factory import tiny_classifier, write_bundle_folder
from test_session import _graph_with_an_op_the_htp_lacks


def _video(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((1, 3, 16, 112, 112), dtype=np.float32)


@pytest.fixture
def bundle(tmp_path):
    return open_bundle(write_bundle_folder(tmp_path, tiny_classifier(9, seed=3, quantized_io=True),
                                           precision="w8a8"))


def _entry(bundle) -> tuple:
    cache = ContextCache()
    folder = cache.folder_for(npu_context_key(bundle))
    return folder, folder / CTX_NAME, next(folder.glob("*.bin"))


def test_key_follows_the_model_bytes_and_its_external_data(tmp_path):
    base = write_bundle_folder(tmp_path, tiny_classifier(9, weight_elems=4096), external_data=True)
    graph = next(base.rglob("*.onnx"))
    data = next(base.rglob("*.data"))
    before = model_fingerprint(graph)
    raw = bytearray(data.read_bytes())
    raw[100] ^= 0xFF
    data.write_bytes(raw)
    assert model_fingerprint(graph) != before


def test_key_follows_options_precision_and_versions():
    key = ContextKey("ab" * 32, "w8a8", (("backend_type", "htp"),), "1.31.1", "2.7.0")
    changed = [ContextKey("ab" * 32, "float", key.provider_options, "1.31.1", "2.7.0"),
               ContextKey("ab" * 32, "w8a8", (("backend_type", "htp"), ("soc_model", "60")), "1.31.1", "2.7.0"),
               ContextKey("ab" * 32, "w8a8", key.provider_options, "1.32.0", "2.7.0"),
               ContextKey("ab" * 32, "w8a8", key.provider_options, "1.31.1", "2.8.0")]
    assert len({key.digest, *(k.digest for k in changed)}) == 5


@pytest.mark.npu
def test_first_start_compiles_and_caches_then_the_next_reuses_it(bundle, kinetoscope_home):
    cold = ModelSession(bundle, "npu")
    assert cold.load_kind == "cold"
    folder, ctx, binary = _entry(bundle)
    assert ctx.is_file() and binary.is_file()
    assert folder.parent == kinetoscope_home / "cache" / "qnn_context"
    assert not list(folder.parent.glob(".staging-*"))  # written aside, then renamed into place
    cached = ModelSession(bundle, "npu")
    assert cached.load_kind == "cached"
    assert cached.load_ms < cold.load_ms
    assert cached.report == cold.report  # still "NPU (HTP simulator)", no fallback, same node count
    video = _video(1)
    np.testing.assert_array_equal(cached.run(video), cold.run(video))


@pytest.mark.npu
@pytest.mark.parametrize("damage", ["truncate-bin", "truncate-ctx", "flip-bin"])
def test_a_damaged_cache_is_rebuilt_transparently(bundle, damage):
    ModelSession(bundle, "npu")
    expected = ModelSession(bundle, "cpu").run(_video(2))
    _, ctx, binary = _entry(bundle)
    target = ctx if damage == "truncate-ctx" else binary
    raw = bytearray(target.read_bytes())
    if damage.startswith("truncate"):
        raw = raw[: len(raw) // 2]
    else:  # still loads, and would silently compute garbage: the checksum must catch it
        raw[len(raw) // 3: len(raw) // 3 + 4096] = bytes(b ^ 0xFF for b in raw[len(raw) // 3: len(raw) // 3 + 4096])
    target.write_bytes(bytes(raw))
    rebuilt = ModelSession(bundle, "npu")
    assert rebuilt.load_kind == "cold"
    assert np.abs(rebuilt.run(_video(2)) - expected).max() < 0.02
    assert ModelSession(bundle, "npu").load_kind == "cached"


@pytest.mark.npu
def test_a_context_that_fails_to_load_is_recompiled(bundle):
    """A cache entry whose checksums match but which onnxruntime rejects (e.g. a context from
    another QAIRT) must not break the session either."""
    ModelSession(bundle, "npu")
    folder, ctx, _ = _entry(bundle)
    cached = ContextCache().lookup(npu_context_key(bundle))
    model = onnx.load(str(ctx), load_external_data=False)
    for attribute in model.graph.node[0].attribute:
        if attribute.name == "ep_cache_context":
            attribute.s = b"no_such_context.bin"
    onnx.save(model, str(ctx))
    # Re-seal the entry so that only loading it can find the fault.
    ContextCache().commit(_restage(folder), npu_context_key(bundle), cached.assignment, cached.compile_ms)
    session = ModelSession(bundle, "npu")
    assert session.load_kind == "cold" and "compiled it again" in session.load_note
    assert session.report.used == "npu"


def _restage(folder):
    staging = ContextCache().staging_folder()
    for part in folder.iterdir():
        if part.name != "entry.json":
            part.rename(staging / part.name)
    return staging


@pytest.mark.npu
def test_a_changed_model_does_not_reuse_the_old_context(tmp_path):
    base = write_bundle_folder(tmp_path, tiny_classifier(9, seed=3, quantized_io=True), precision="w8a8")
    first = ModelSession(open_bundle(base), "npu")
    assert ModelSession(open_bundle(base), "npu").load_kind == "cached"
    onnx.save(tiny_classifier(9, seed=4, quantized_io=True), str(first.bundle.onnx_path))
    changed = ModelSession(open_bundle(base), "npu")
    assert changed.load_kind == "cold"
    reference = ModelSession(open_bundle(base), "cpu").run(_video(3))
    assert np.abs(changed.run(_video(3)) - reference).max() < 0.02


@pytest.mark.npu
def test_cpu_fallback_is_still_reported_from_a_cached_context(tmp_path):
    bundle = open_bundle(_graph_with_an_op_the_htp_lacks(tmp_path))
    cold = ModelSession(bundle, "npu")
    cached = ModelSession(bundle, "npu")
    assert cached.load_kind == "cached"
    assert cached.report.used == "npu"
    assert any(n.startswith("Hardmax") for n in cached.report.fallback_nodes)
    assert cached.report.total_nodes == cold.report.total_nodes
    assert "fell back to the CPU" in cached.report.summary()


@pytest.mark.npu
def test_the_cache_can_be_turned_off(bundle, kinetoscope_home):
    session = ModelSession(bundle, "npu", use_context_cache=False)
    assert session.load_kind == "cold"
    assert not (kinetoscope_home / "cache" / "qnn_context").exists()
