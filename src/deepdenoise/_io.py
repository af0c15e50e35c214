"""File helpers shared by every module that writes or checks files.

A file that a reader may open at any time (a manifest, a run log, a
benchmark table, an image, a weights file) is written *atomically*: to a
hidden temporary file in the same folder, flushed to disk, then renamed onto
its name with :func:`os.replace`, which is atomic on POSIX and Windows. A
reader therefore sees the old file or the new one, never half a file, even
if the writer is interrupted.

=======================  ====================================================
:func:`atomic_write`     write bytes or text to a file atomically
:func:`atomic_path`      a temporary name for writers that need a file name
:func:`sha256_file`      the sha256 of a file, read in chunks
=======================  ====================================================
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deepdenoise._checks import ArgumentTypeError

__all__ = ["CHUNK_SIZE", "atomic_path", "atomic_write", "sha256_file"]

#: Bytes read at a time by :func:`sha256_file` (1 MiB).
CHUNK_SIZE = 1 << 20


def _fsync(path: Path) -> None:
    """Flush ``path``'s data to disk (Windows needs a handle open for writing)."""
    descriptor = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, suffix: str = ".tmp", mode: int | None = None
) -> Iterator[Path]:
    """Yield a temporary name next to ``path``; rename it onto ``path`` on success.

    For writers that need a file name rather than bytes (``model.save_weights``,
    an image encoder given an open file). The temporary file is hidden
    (``.name.<random>.tmp``) and lies in the folder of ``path``, so the final
    :func:`os.replace` is a rename within one file system.

    Parameters
    ----------
    path : str or path-like
        The file to write. Its folder must exist.
    suffix : str, optional
        The end of the temporary name, for writers that check it (Keras
        wants ``.weights.h5``).
    mode : int, optional
        Permission bits given to the file before it is renamed (for example
        ``0o644``, readable by all). None keeps what the writer created
        (``0o666`` less the umask for :func:`open`).

    Yields
    ------
    pathlib.Path
        The temporary name; it does not exist yet. The body must create it.

    Raises
    ------
    FileNotFoundError
        If the body did not create the temporary file, or the folder of
        ``path`` does not exist.

    Notes
    -----
    When the body returns, the file is flushed to disk (:func:`os.fsync`),
    given ``mode`` and renamed onto ``path``. When the body (or any of
    these steps) raises, the temporary file is removed and ``path`` is left
    as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_path(target) as temporary:
    ...     _ = temporary.write_text("a,b\\n")
    >>> target.read_text(), [p.name for p in target.parent.iterdir()]
    ('a,b\\n', ['table.csv'])
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}{suffix}")
    try:
        yield temporary
        _fsync(temporary)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes | str,
    *,
    mode: int | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Write ``data`` to ``path`` atomically: the finished file or the old one, never half.

    Parameters
    ----------
    path : str or path-like
        The file to write or replace. Its folder must exist.
    data : bytes or str
        The whole content. Text is encoded with ``encoding`` and written as
        it is: newlines are not translated (``"\\n"`` stays ``"\\n"`` on
        Windows too).
    mode : int, optional
        Permission bits of the file (``0o644``: readable by all). None gives
        what :func:`open` would (``0o666`` less the umask).
    encoding : str, optional
        The encoding of text ``data``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``data`` is neither bytes nor str.
    FileNotFoundError
        If the folder of ``path`` does not exist.

    See Also
    --------
    atomic_path : The same for writers that need a file name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.json"
    >>> atomic_write(path, '{"steps": 3}\\n', mode=0o644).read_text()
    '{"steps": 3}\\n'
    >>> oct(path.stat().st_mode & 0o777)
    '0o644'
    """
    if isinstance(data, str):
        data = data.encode(encoding)
    elif not isinstance(data, bytes | bytearray | memoryview):
        raise ArgumentTypeError(f"data must be bytes or str, got {type(data).__name__}")
    target = Path(path)
    with atomic_path(target, mode=mode) as temporary, temporary.open("xb") as handle:
        handle.write(data)
    return target


def sha256_file(path: str | os.PathLike[str], *, chunk_size: int = CHUNK_SIZE) -> str:
    """Return the hex sha256 digest of a file, read in chunks of ``chunk_size`` bytes.

    Parameters
    ----------
    path : str or path-like
        The file.
    chunk_size : int, optional
        Bytes read at a time (1 MiB), so a large file never sits in memory.

    Returns
    -------
    str
        64 hexadecimal characters.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> _ = path.write_bytes(b"")
    >>> sha256_file(path)[:16]
    'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()
