from __future__ import annotations

import stat
import zipfile

import pytest

from kinetoscope.engine.modelfiles.archive import check_zip, extract_zip_atomically
from kinetoscope.engine.errors import ModelError


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/etc/evil", "C:/evil.txt", "..\\evil.txt"])
def test_paths_leaving_the_folder_are_refused(tmp_path, name):
    z = _zip(tmp_path / "bad.zip", {"ok/model.onnx": b"x", name: b"boom"})
    dest = tmp_path / "out"
    with pytest.raises(ModelError, match="unsafe"):
        extract_zip_atomically(z, dest)
    assert not dest.exists()
    assert not (tmp_path / "evil.txt").exists()


def test_symlinks_are_refused(tmp_path):
    z = tmp_path / "link.zip"
    with zipfile.ZipFile(z, "w") as zf:
        info = zipfile.ZipInfo("bundle/link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ModelError, match="link"):
        check_zip(z)


def test_zip_bomb_is_refused(tmp_path):
    z = _zip(tmp_path / "bomb.zip", {"bundle/zeros.bin": b"\0" * (50 << 20)})
    assert z.stat().st_size < 1 << 20
    with pytest.raises(ModelError, match="expands"):
        check_zip(z)


def test_declared_size_over_the_limit_is_refused(tmp_path):
    z = _zip(tmp_path / "big.zip", {"bundle/a.bin": bytes(range(256)) * 4096})
    with pytest.raises(ModelError, match="unpack to"):
        check_zip(z, max_unpacked=1000)


def test_truncated_zip_is_refused_and_nothing_is_written(tmp_path):
    z = _zip(tmp_path / "ok.zip", {"bundle/model.onnx": bytes(range(256)) * 2000})
    data = z.read_bytes()
    z.write_bytes(data[: len(data) // 2])
    dest = tmp_path / "out"
    with pytest.raises(ModelError):
        extract_zip_atomically(z, dest)
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == [z]


def test_corrupted_member_fails_its_checksum(tmp_path):
    z = _zip(tmp_path / "ok.zip", {"bundle/model.onnx": b"A" * 1000})
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("bundle/model.onnx", b"A" * 1000)
    data = bytearray(z.read_bytes())
    data[data.index(b"AAAA") + 10] ^= 0xFF
    z.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="damaged"):
        check_zip(z)


def test_extraction_replaces_an_old_folder_whole(tmp_path):
    dest = tmp_path / "out"
    extract_zip_atomically(_zip(tmp_path / "v1.zip", {"a.txt": b"1", "old.txt": b"x"}), dest)
    extract_zip_atomically(_zip(tmp_path / "v2.zip", {"a.txt": b"2"}), dest)
    assert sorted(p.name for p in dest.iterdir()) == ["a.txt"]
    assert (dest / "a.txt").read_text() == "2"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
