"""What the timing benchmarks share: a run's median and spread, the model list, the table out.

``browser_speed.py`` and ``onnx_speed.py`` import it as a sibling module (Python
puts the script's folder first on ``sys.path``), so run them as files:
``python benchmarks/onnx_speed.py``.

Examples
--------
>>> timing = Timing.of([0.30, 0.10, 0.20])
>>> f"{timing.median:.3f}", timing.spread()
('0.200', '0.100-0.300')
>>> model_names(" ffdnet, dncnn25,,")
['ffdnet', 'dncnn25']
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from deepdenoise._io import atomic_write


class Timing(NamedTuple):
    """The median, fastest and slowest of one side's timed runs, in seconds.

    Attributes
    ----------
    median : float
        The figure a table reports: a burst of load on the machine moves it
        less than the mean.
    low, high : float
        The fastest and the slowest run.
    """

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Timing:
        """Summarise timed runs.

        Parameters
        ----------
        seconds : iterable of float
            One duration per run; at least one.

        Returns
        -------
        Timing

        Raises
        ------
        statistics.StatisticsError
            If there is no run.

        Examples
        --------
        >>> Timing.of([2.0, 1.0])
        Timing(median=1.5, low=1.0, high=2.0)
        """
        values = list(seconds)
        return cls(statistics.median(values), min(values), max(values))

    def spread(self) -> str:
        """The fastest and slowest runs as a table cell, to the millisecond: ``"0.100-0.300"``.

        Returns
        -------
        str

        Examples
        --------
        >>> Timing(0.2, 0.1, 0.3).spread()
        '0.100-0.300'
        """
        return f"{self.low:.3f}-{self.high:.3f}"


def model_names(text: str) -> list[str]:
    """The names of a comma-separated ``--models`` option, blanks dropped.

    Parameters
    ----------
    text : str
        E.g. ``"ffdnet,dncnn25"``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> model_names("ffdnet, dncnn25")
    ['ffdnet', 'dncnn25']
    """
    return [name.strip() for name in text.split(",") if name.strip()]


def emit(table: str, out: Path | None) -> None:
    """Print a results table and, when ``out`` is given, also write it there atomically.

    Parameters
    ----------
    table : str
        The Markdown table, without a final newline.
    out : pathlib.Path or None
        A file to write (its folder is made); None prints only.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "results" / "speed.md"
    >>> emit("| a |", out)
    | a |
    >>> out.read_text()
    '| a |\\n'
    """
    print(table)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, table + "\n")
