"""The one home of atomic file writes and file hashing: ``deepdenoise._io``."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from deepdenoise import _io, weights
from deepdenoise._io import CHUNK_SIZE, atomic_path, atomic_write, sha256_file


def names(folder: Path) -> list[str]:
    """Every entry of ``folder``, hidden temporary files included."""
    return sorted(os.listdir(folder))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_writes_text_and_bytes(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    assert atomic_write(text, "héllo\r\nworld\n") == text
    assert text.read_bytes() == "héllo\r\nworld\n".encode()  # no newline translation
    data = tmp_path / "b.bin"
    atomic_write(str(data), b"\x00\x01")
    assert data.read_bytes() == b"\x00\x01"
    assert names(tmp_path) == ["a.txt", "b.bin"]


def test_atomic_write_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text("old")
    atomic_write(path, "new")
    assert path.read_text() == "new"
    assert names(tmp_path) == ["run.json"]


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o640])
def test_atomic_write_sets_the_mode(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "manifest.json"
    atomic_write(path, "{}", mode=mode)
    assert mode_of(path) == mode
    atomic_write(path, "{}", mode=mode)  # and again over the existing file
    assert mode_of(path) == mode


def test_atomic_write_without_mode_is_what_open_gives(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    reference.write_text("x")  # 0o666 less the umask
    path = tmp_path / "written"
    atomic_write(path, "x")
    assert mode_of(path) == mode_of(reference)


def test_failure_inside_atomic_path_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("old contents\n")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(path) as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".table.csv.")
        with temporary.open("w") as handle:
            handle.write("half a ")  # a writer that fails midway
            handle.flush()
            assert temporary.is_file()
            raise RuntimeError("disk full")
    assert path.read_text() == "old contents\n"
    assert names(tmp_path) == ["table.csv"]


def test_failure_inside_atomic_path_creates_nothing_when_there_was_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new.txt"
    with pytest.raises(KeyboardInterrupt), atomic_path(path) as temporary:
        temporary.write_text("partial")
        raise KeyboardInterrupt  # an interrupted run too
    assert names(tmp_path) == []


def test_failure_in_the_rename_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "weights.h5"
    path.write_bytes(b"old")

    def refuse(source: object, target: object) -> None:
        raise PermissionError("target is locked")

    monkeypatch.setattr(_io.os, "replace", refuse)
    with pytest.raises(PermissionError):
        atomic_write(path, b"new")
    assert path.read_bytes() == b"old"
    assert names(tmp_path) == ["weights.h5"]


def test_a_body_that_writes_nothing_fails_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "kept.txt"
    path.write_text("kept")
    with pytest.raises(FileNotFoundError), atomic_path(path):
        pass
    assert path.read_text() == "kept"
    assert names(tmp_path) == ["kept.txt"]


def test_atomic_path_uses_the_suffix_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "tiny.weights.h5"
    with atomic_path(path, suffix=".weights.h5", mode=0o644) as temporary:
        assert temporary.name.endswith(".weights.h5") and not temporary.exists()
        temporary.write_bytes(b"weights")
        os.chmod(temporary, 0o600)  # as mkstemp-like writers leave it
    assert path.read_bytes() == b"weights"
    assert mode_of(path) == 0o644
    assert names(tmp_path) == ["tiny.weights.h5"]


def test_atomic_write_flushes_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(_io.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    atomic_write(tmp_path / "a", "x")
    assert len(synced) == 1


def test_atomic_write_refuses_other_data(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="data"):
        atomic_write(tmp_path / "a", 3)  # type: ignore[arg-type]
    assert names(tmp_path) == []


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "absent" / "a.txt", "x")


def test_sha256_matches_hashlib_on_a_file_larger_than_a_chunk(tmp_path: Path) -> None:
    payload = os.urandom(CHUNK_SIZE * 2 + 12345)
    path = tmp_path / "blob"
    path.write_bytes(payload)
    expected = hashlib.sha256(payload).hexdigest()
    assert sha256_file(path) == expected
    assert sha256_file(str(path), chunk_size=4096) == expected  # many small chunks
    assert sha256_file(path, chunk_size=len(payload) + 1) == expected  # one read


def test_sha256_of_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert sha256_file(path) == hashlib.sha256(b"").hexdigest()


def test_weights_keeps_its_public_sha256_file() -> None:
    assert weights.sha256_file is sha256_file
    assert "sha256_file" in weights.__all__
