"""Read the ``name==version`` pins of a requirements file (Colab's, or the project's)."""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name


def pinned_versions(path: Path) -> dict[str, str]:
    """Map each pinned distribution's normalised name to its version string.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "requirements.txt"
    >>> _ = path.write_text("PyWavelets==1.9.0  # wavelets\\n# a comment\\nkeras>=3\\n")
    >>> pinned_versions(path)
    {'pywavelets': '1.9.0'}
    """
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep:
            pins[canonicalize_name(name)] = version.strip()
    return pins
