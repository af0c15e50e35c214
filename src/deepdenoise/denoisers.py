"""One registry of denoisers: a name in, a callable ``denoiser(image, sigma)`` out.

Everything the package can denoise with is resolved here, by one function,
:func:`get_denoiser`, and listed by another, :func:`list_denoisers`:

* ``"noisy"``: the noisy input itself, the baseline row of a benchmark
  (kind ``"input"``);
* the classical methods of :data:`deepdenoise.classical.CLASSICAL_METHODS`
  (kind ``"classical"``);
* the pretrained models shipped with the package,
  :func:`deepdenoise.weights.list_pretrained` (kind ``"model"``);
* a saved Keras model, ``"model:path/to/file.keras"`` or a path (kind
  ``"model"``);
* any of these with ``"/per-channel"`` appended (``"ffdnet/per-channel"``):
  a gray method applied to each channel of an RGB image separately
  (:func:`per_channel`), or with ``"/opponent"``: applied to the brightness
  and two colour differences of an RGB image, each at its noise level
  (:func:`opponent`).

:func:`default_model_name` says which shipped model denoises an image by
default: :data:`DEFAULT_MODEL` for gray images, and for RGB images a shipped
colour model of the same architecture when the manifest has one (else
:data:`DEFAULT_MODEL`, one channel at a time).

Every result satisfies the :class:`Denoiser` protocol: it has a ``name``, a
``kind``, says whether it uses ``sigma`` (``needs_sigma``) and which images
it takes (``channels``), and is called as ``denoiser(image, sigma)`` with a
float image in [0, 1] and ``sigma`` on the 0-255 scale. The command line
(``deepdenoise denoise --model NAME``, ``deepdenoise bench --methods``), the
benchmark (:func:`deepdenoise.bench.run_benchmark`) and the notebooks all
resolve names here.

Two errors tell "no such name" from "this one cannot be read here":
:class:`UnknownDenoiserError` and :class:`DenoiserLoadError`, both
subclasses of ``ValueError``.

Examples
--------
>>> import numpy as np
>>> from deepdenoise.denoisers import get_denoiser, list_denoisers
>>> list_denoisers(kind="input")
['noisy']
>>> tv = get_denoiser("tv")
>>> tv.kind, tv.needs_sigma, tv.channels
('classical', True, None)
>>> noisy = np.random.default_rng(0).uniform(size=(16, 16)).astype(np.float32)
>>> tv(noisy, 25).shape
(16, 16)
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from deepdenoise._checks import ArgumentTypeError

__all__ = [
    "BLIND_SUFFIX",
    "DEFAULT_MODEL",
    "KINDS",
    "OPPONENT_SUFFIX",
    "PER_CHANNEL_SUFFIX",
    "Denoiser",
    "DenoiserLoadError",
    "FunctionDenoiser",
    "UnknownDenoiserError",
    "blind",
    "check_image_channels",
    "default_model_name",
    "denoiser_from_function",
    "denoiser_from_model",
    "get_denoiser",
    "list_denoisers",
    "opponent",
    "per_channel",
]

KINDS: tuple[str, ...] = ("input", "classical", "model")
"""The kinds of denoiser: the noisy input itself, a classical method, a Keras model."""

DEFAULT_MODEL = "ffdnet15"
"""The shipped gray model used when no model is named: FFDNet-style, 15 layers, trained
for float noise and for noise clipped and rounded to 8 bits, as photos on disk have it."""

PER_CHANNEL_SUFFIX = "/per-channel"
"""Appended to a denoiser name: apply it to each channel of an RGB image separately."""
OPPONENT_SUFFIX = "/opponent"
"""Appended to a denoiser name: apply it to the opponent channels of an RGB image."""
BLIND_SUFFIX = "/blind"
"""Appended to a model's name: estimate sigma from each image, whatever sigma is given."""

DenoiseFunction = Callable[[np.ndarray, Any], np.ndarray]


class UnknownDenoiserError(ValueError):
    """A name that is neither ``"noisy"``, a classical method, a pretrained model nor a file.

    Attributes
    ----------
    name : object
        The name asked for.
    choices : list of str
        The names :func:`list_denoisers` knows (model files are accepted too).

    Examples
    --------
    >>> try:
    ...     get_denoiser("nope")
    ... except UnknownDenoiserError as error:
    ...     print(error.name, error.choices[:2])
    nope ['noisy', 'gaussian']
    """

    def __init__(self, message: str, *, name: object = None, choices: Sequence[str] = ()):
        super().__init__(message)
        self.name = name
        self.choices = list(choices)


class DenoiserLoadError(ValueError):
    """A known denoiser that cannot be loaded here; the message names it and the cause.

    Raised for a model file that is missing or unreadable, for pretrained
    weights that are missing, corrupt or unreadable by the installed Keras,
    and for a manifest of pretrained models that cannot be read.

    Examples
    --------
    >>> get_denoiser("model:no/such/file.keras")
    Traceback (most recent call last):
    ...
    deepdenoise.denoisers.DenoiserLoadError: model file no/such/file.keras does not exist
    """


@runtime_checkable
class Denoiser(Protocol):
    """What every denoiser offers: ``denoiser(image, sigma) -> image`` and a description.

    Attributes
    ----------
    name : str
        The label used in messages, benchmark rows and tables.
    kind : str
        One of :data:`KINDS`: ``"input"`` (the ``"noisy"`` pseudo-denoiser),
        ``"classical"`` or ``"model"``.
    needs_sigma : bool
        Whether the result depends on ``sigma`` (classical methods, models
        with a noise-map input such as FFDNet); the others ignore it.
    channels : int or None
        The number of image channels it accepts, None for any (gray or RGB).

    Examples
    --------
    >>> isinstance(get_denoiser("median"), Denoiser)
    True
    """

    # Read-only properties, so that frozen dataclasses satisfy the protocol.
    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def needs_sigma(self) -> bool: ...

    @property
    def channels(self) -> int | None: ...

    def __call__(self, image: np.ndarray, sigma: float | None) -> np.ndarray:
        """Denoise a float image in [0, 1]; ``sigma`` is on the 0-255 scale."""
        ...


@dataclass(frozen=True)
class FunctionDenoiser:
    """A :class:`Denoiser` made of a function ``fn(image, sigma)`` and its description.

    The registry returns these; it was ``deepdenoise.bench.Method``, and the
    fields keep that order, so ``FunctionDenoiser(name, kind, fn)`` still works.

    Attributes
    ----------
    name : str
        The label used in messages, benchmark rows and tables.
    kind : str
        One of :data:`KINDS`.
    fn : callable
        ``fn(image, sigma) -> image``: float image in [0, 1] in, float image
        out, ``sigma`` on the 0-255 scale.
    model : keras.Model or None
        The Keras model behind a ``"model"`` denoiser, else None.
    needs_sigma : bool, optional
        Whether ``fn`` uses ``sigma``. When not given: True for classical
        methods and for models with a noise-map input, else False.
    channels : int or None, default None
        The number of channels accepted, None for any.

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`KINDS`.

    Examples
    --------
    >>> import numpy as np
    >>> identity = get_denoiser("noisy")
    >>> identity.kind, identity.needs_sigma, identity(np.ones((2, 2)), 25).tolist()
    ('input', False, [[1.0, 1.0], [1.0, 1.0]])
    >>> FunctionDenoiser("halve", "classical", lambda image, sigma: image / 2).needs_sigma
    True
    """

    name: str
    kind: str
    fn: DenoiseFunction
    model: Any = None
    # assignment: None means "infer from kind and model"; __post_init__ sets a bool.
    needs_sigma: bool = None  # type: ignore[assignment]
    channels: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}, got {self.kind!r}")
        if self.needs_sigma is None:
            needs = self.kind == "classical" or (
                self.kind == "model" and self.model is not None and _model_needs(self.model)[0]
            )
            object.__setattr__(self, "needs_sigma", needs)

    def __call__(self, image: np.ndarray, sigma: float | None = None) -> np.ndarray:
        """Return ``fn(image, sigma)``."""
        return self.fn(image, sigma)


def _model_needs(model: Any) -> tuple[bool, int | None]:
    """(needs a noise map, accepted channels or None for any) of a Keras model."""
    from deepdenoise.models import model_info

    info = model_info(model)
    channels = int(info["channels"])
    # A one-channel model denoises an RGB image one channel at a time.
    return bool(info["needs_noise_map"]), None if channels == 1 else channels


def _identity(image: np.ndarray, sigma: float | None = None) -> np.ndarray:
    return np.asarray(image, dtype=np.float32)


def denoiser_from_function(
    name: str,
    fn: DenoiseFunction,
    *,
    kind: str = "classical",
    needs_sigma: bool = True,
    channels: int | None = None,
) -> FunctionDenoiser:
    """Describe a function ``fn(image, sigma)`` as a :class:`Denoiser`.

    Parameters
    ----------
    name : str
        Its label.
    fn : callable
        ``fn(image, sigma) -> image``, ``sigma`` on the 0-255 scale.
    kind : str, default "classical"
        One of :data:`KINDS`.
    needs_sigma : bool, default True
        Whether ``fn`` uses ``sigma``.
    channels : int or None, default None
        The number of channels it accepts, None for any.

    Returns
    -------
    FunctionDenoiser

    Examples
    --------
    >>> import numpy as np
    >>> halve = denoiser_from_function("halve", lambda image, sigma: image / 2)
    >>> halve(np.ones(2), 25).tolist()
    [0.5, 0.5]
    """
    return FunctionDenoiser(name, kind, fn, needs_sigma=needs_sigma, channels=channels)


def denoiser_from_model(
    name: str,
    model: Any,
    *,
    tile: int | Literal["auto"] | None = "auto",
    overlap: int = 32,
    self_ensemble: bool = False,
) -> FunctionDenoiser:
    """Wrap a Keras model as a :class:`Denoiser` run by :func:`deepdenoise.inference.denoise`.

    Parameters
    ----------
    name : str
        Its label.
    model : keras.Model
        A fully convolutional denoiser (with or without a noise-map input).
    tile, overlap, self_ensemble
        Passed to :func:`deepdenoise.inference.denoise`.

    Returns
    -------
    FunctionDenoiser
        Of kind ``"model"``; ``needs_sigma`` says whether the model takes a
        noise map, ``channels`` is None for a one-channel model (RGB images
        go through it one channel at a time).

    Raises
    ------
    TypeError
        If ``model`` is not a ``keras.Model``.

    Notes
    -----
    Called on a gray image, a colour (3-channel) model raises ``ValueError``
    naming ``name`` and the image's channels.

    Examples
    --------
    >>> from deepdenoise.models import get_model
    >>> ffdnet = denoiser_from_model("tiny", get_model("ffdnet", depth=2, width=4), tile=None)
    >>> ffdnet.kind, ffdnet.needs_sigma, ffdnet.channels
    ('model', True, None)
    >>> colour = denoiser_from_model("tiny_rgb", get_model("ffdnet", depth=2, width=4, channels=3))
    >>> colour.channels
    3
    >>> colour(np.zeros((8, 8), np.float32), 25)
    Traceback (most recent call last):
    ...
    ValueError: model 'tiny_rgb' denoises RGB images (3 channels); this image has 1 channel ...
    """
    from deepdenoise.inference import denoise

    needs_sigma, channels = _model_needs(model)

    def fn(image: np.ndarray, sigma: float | None) -> np.ndarray:
        if channels is not None:
            check_image_channels(name, channels, image)
        return denoise(
            model, image, sigma, tile=tile, overlap=overlap, self_ensemble=self_ensemble
        )

    return FunctionDenoiser(name, "model", fn, model, needs_sigma=needs_sigma, channels=channels)


def check_image_channels(name: str, channels: int, image: np.ndarray) -> None:
    """Raise ``ValueError`` naming model ``name`` if ``image`` lacks its ``channels``.

    Examples
    --------
    >>> check_image_channels("rgb", 3, np.zeros((4, 4, 3)))
    >>> check_image_channels("rgb", 3, np.zeros((4, 4)))
    Traceback (most recent call last):
    ...
    ValueError: model 'rgb' denoises RGB images (3 channels); this image has 1 channel ...
    """
    shape = tuple(np.asarray(image).shape)
    found = shape[2] if len(shape) == 3 else 1
    if found != channels:
        kind = "RGB" if channels == 3 else "gray"
        raise ValueError(
            f"model {name!r} denoises {kind} images ({channels} channels); this image has "
            f"{found} channel{'s' if found != 1 else ''} (shape {shape}). Use a "
            f"{'gray' if found == 1 else 'colour'} model instead"
        )


def per_channel(denoiser: Denoiser) -> FunctionDenoiser:
    """Apply a gray denoiser to each channel of an RGB image separately.

    Parameters
    ----------
    denoiser : Denoiser
        A denoiser of gray images (a one-channel model, a classical method).

    Returns
    -------
    FunctionDenoiser
        Named ``"<name>/per-channel"``, of the same kind; a gray image goes
        through ``denoiser`` unchanged, an (H, W, 3) image as three (H, W)
        planes, each with the same ``sigma``. It keeps no ``model``, so it is
        called as a function everywhere.

    Raises
    ------
    ValueError
        If ``denoiser`` is a colour model (``channels == 3``).

    Examples
    --------
    >>> import numpy as np
    >>> median = per_channel(get_denoiser("median"))
    >>> median.name, median.kind
    ('median/per-channel', 'classical')
    >>> rgb = np.random.default_rng(0).uniform(size=(8, 8, 3)).astype(np.float32)
    >>> bool(np.array_equal(median(rgb, 25)[..., 1], get_denoiser("median")(rgb[..., 1], 25)))
    True
    """
    if denoiser.channels not in (None, 1):
        raise ValueError(
            f"{denoiser.name!r} is a colour model ({denoiser.channels} channels); "
            f"{PER_CHANNEL_SUFFIX!r} applies a gray denoiser to each channel"
        )

    def fn(image: np.ndarray, sigma: float | None) -> np.ndarray:
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[-1] == 1:
            return np.asarray(denoiser(array, sigma), dtype=np.float32)
        planes = [denoiser(array[..., c], sigma) for c in range(array.shape[-1])]
        return np.stack([np.asarray(p, dtype=np.float32) for p in planes], axis=-1)

    return FunctionDenoiser(
        denoiser.name + PER_CHANNEL_SUFFIX,
        denoiser.kind,
        fn,
        needs_sigma=denoiser.needs_sigma,
        channels=None,
    )


def opponent(denoiser: Denoiser) -> FunctionDenoiser:
    r"""Apply a gray denoiser to the brightness and two colour differences of an RGB image.

    The image goes through the fixed map of
    :data:`deepdenoise.models.opponent.OPPONENT` (with its offsets, so that
    each channel of an image in [0, 1] stays in [0, 1]); each new channel is
    denoised alone at its own noise level, ``sigma`` times the length of the
    map's row, since independent RGB noise stays independent there; and the
    result is mapped back to RGB. This is what
    :func:`deepdenoise.models.opponent_ffdnet` computes at the start of its
    training, with no colour training at all.

    Parameters
    ----------
    denoiser : Denoiser
        A gray denoiser that uses ``sigma`` (a noise-map model, a classical
        method with a noise level).

    Returns
    -------
    FunctionDenoiser
        Named ``"<name>/opponent"``, of the same kind; a gray image goes
        through ``denoiser`` unchanged. With ``sigma=None`` the RGB noise
        level is estimated first
        (:func:`deepdenoise.inference.estimate_noise_level`).

    Raises
    ------
    ValueError
        If ``denoiser`` is a colour model, or does not use ``sigma``.

    Examples
    --------
    >>> import numpy as np
    >>> gray = get_denoiser("gaussian")
    >>> colour = opponent(gray)
    >>> colour.name
    'gaussian/opponent'
    >>> flat = np.full((8, 8, 3), 0.25, dtype=np.float32)  # no detail: nothing to change
    >>> bool(np.allclose(colour(flat, 25), flat, atol=1e-5))
    True
    """
    from deepdenoise.models.opponent import OPPONENT, OPPONENT_OFFSET, opponent_noise_scale

    if denoiser.channels not in (None, 1):
        raise ValueError(
            f"{denoiser.name!r} is a colour model ({denoiser.channels} channels); "
            f"{OPPONENT_SUFFIX!r} applies a gray denoiser to each opponent channel"
        )
    if not denoiser.needs_sigma:
        raise ValueError(
            f"{denoiser.name!r} does not use sigma; {OPPONENT_SUFFIX!r} gives each opponent "
            "channel its own noise level"
        )
    matrix = np.asarray(OPPONENT, dtype=np.float64)
    offset = np.asarray(OPPONENT_OFFSET, dtype=np.float64)
    inverse = np.linalg.inv(matrix)
    scales = opponent_noise_scale()

    def fn(image: np.ndarray, sigma: float | None) -> np.ndarray:
        array = np.asarray(image, dtype=np.float32)
        if array.ndim != 3 or array.shape[-1] == 1:
            return np.asarray(denoiser(array, sigma), dtype=np.float32)
        check_image_channels(denoiser.name + OPPONENT_SUFFIX, 3, array)
        if sigma is None:
            from deepdenoise.inference import estimate_noise_level

            sigma = estimate_noise_level(array)
        planes = (array.astype(np.float64) @ matrix.T + offset).astype(np.float32)
        cleaned = np.stack(
            [
                np.asarray(denoiser(planes[..., c], sigma * scale), dtype=np.float64)
                for c, scale in enumerate(scales)
            ],
            axis=-1,
        )
        return ((cleaned - offset) @ inverse.T).astype(np.float32)

    return FunctionDenoiser(
        denoiser.name + OPPONENT_SUFFIX,
        denoiser.kind,
        fn,
        needs_sigma=True,
        channels=None,
    )


def blind(denoiser: Denoiser) -> FunctionDenoiser:
    """Run a noise-map model with sigma estimated from each image, whatever sigma it is given.

    This is how ``deepdenoise denoise`` runs without ``--sigma``; a benchmark
    of ``"NAME/blind"`` beside ``"NAME"`` measures what estimating sigma costs.

    Parameters
    ----------
    denoiser : Denoiser
        A model that takes a noise-level map (``needs_sigma`` is True).

    Returns
    -------
    FunctionDenoiser
        Named ``"<name>/blind"``; it calls ``denoiser(image, None)``, and
        :func:`deepdenoise.inference.denoise` then estimates sigma with
        :func:`deepdenoise.inference.estimate_noise_level`.

    Raises
    ------
    ValueError
        If ``denoiser`` is not a model with a noise-map input.

    Examples
    --------
    >>> from deepdenoise.models import get_model
    >>> tiny = denoiser_from_model("tiny", get_model("ffdnet", depth=2, width=4), tile=None)
    >>> blind(tiny).name
    'tiny/blind'
    >>> blind(get_denoiser("median"))
    Traceback (most recent call last):
    ...
    ValueError: 'median' is not a model with a noise-level map; '/blind' estimates sigma for one
    """
    if denoiser.kind != "model" or not denoiser.needs_sigma:
        raise ValueError(
            f"{denoiser.name!r} is not a model with a noise-level map; "
            f"{BLIND_SUFFIX!r} estimates sigma for one"
        )

    def fn(image: np.ndarray, sigma: float | None) -> np.ndarray:
        return np.asarray(denoiser(image, None), dtype=np.float32)

    return FunctionDenoiser(
        denoiser.name + BLIND_SUFFIX,
        denoiser.kind,
        fn,
        needs_sigma=False,
        channels=denoiser.channels,
    )


def default_model_name(
    channels: int = 1, *, manifest_path: str | os.PathLike[str] | None = None
) -> str:
    """The shipped model that denoises an image of ``channels`` channels by default.

    Gray images get :data:`DEFAULT_MODEL`. RGB images get the first (by
    name) shipped model whose manifest entry has ``info.channels == 3`` and
    a noise-level map (``info.needs_noise_map``, so that one model covers
    every sigma, estimated or given); until the manifest has one,
    :data:`DEFAULT_MODEL` too, which denoises them one channel at a time. A
    colour model registered with ``deepdenoise train --register`` is so
    picked up without any change here.

    Parameters
    ----------
    channels : {1, 3}
        Channels of the image.
    manifest_path : str or path-like, optional
        The manifest to read; the one shipped with the package by default.

    Returns
    -------
    str
        A name for :func:`get_denoiser` and
        :func:`deepdenoise.weights.load_pretrained`.

    Raises
    ------
    ValueError
        If ``channels`` is not 1 or 3, or the manifest cannot be read.

    Examples
    --------
    >>> default_model_name(1)
    'ffdnet15'
    >>> default_model_name(3) in list_denoisers(kind="model")
    True
    """
    from deepdenoise import weights

    if isinstance(channels, bool) or channels not in (1, 3):
        raise ValueError(f"channels must be 1 (gray) or 3 (RGB), got {channels!r}")
    if channels == 1:
        return DEFAULT_MODEL
    models = weights.read_manifest(manifest_path)["models"]
    colour = [
        name
        for name, entry in sorted(models.items())
        if entry.get("info", {}).get("channels") == 3
        and entry.get("info", {}).get("needs_noise_map")
    ]
    return colour[0] if colour else DEFAULT_MODEL


def _catalogue() -> dict[str, str]:
    """Name -> kind of every named denoiser, in the order :func:`list_denoisers` gives."""
    from deepdenoise import weights
    from deepdenoise.classical import CLASSICAL_METHODS

    names = {"noisy": "input"}
    for name in CLASSICAL_METHODS:
        if name != "bm3d" or importlib.util.find_spec("bm3d") is not None:
            names[name] = "classical"
    try:
        pretrained = weights.list_pretrained()
    except ValueError as error:  # a damaged manifest
        raise DenoiserLoadError(f"the pretrained models cannot be listed: {error}") from error
    for name in pretrained:
        names.setdefault(name, "model")
    return names


def list_denoisers(kind: str | None = None) -> list[str]:
    """Return the names :func:`get_denoiser` knows, without loading any model.

    Parameters
    ----------
    kind : str, optional
        Only the names of this kind (one of :data:`KINDS`).

    Returns
    -------
    list of str
        ``"noisy"``, the classical methods (``"bm3d"`` only when the optional
        ``bm3d`` package is installed), then the shipped pretrained models.
        Model files (``"model:PATH"``) are accepted too but not listed.

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`KINDS`.
    DenoiserLoadError
        If the manifest of pretrained models cannot be read.

    Examples
    --------
    >>> list_denoisers()[:3]
    ['noisy', 'gaussian', 'median']
    >>> "ffdnet" in list_denoisers(kind="model")
    True
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)} or None, got {kind!r}")
    return [name for name, of in _catalogue().items() if kind is None or of == kind]


def _is_model_file(spec: str) -> bool:
    return spec.endswith(".keras") or os.sep in spec or bool(os.altsep and os.altsep in spec)


def _load_model_file(path: Path) -> Any:
    """Load a saved ``.keras`` model; raise :class:`DenoiserLoadError` naming the file."""
    import keras

    from deepdenoise import models as _models  # noqa: F401  (registers custom layers)

    if not path.is_file():
        raise DenoiserLoadError(f"model file {path} does not exist")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:  # Keras raises many types for a damaged file
        text = str(error).strip()
        first = text.splitlines()[0] if text else type(error).__name__
        raise DenoiserLoadError(
            f"model file {path} is not a loadable .keras model: {first}"
        ) from error


def _load_pretrained(name: str) -> Any:
    """Load a shipped model; raise :class:`DenoiserLoadError` with the cause."""
    from deepdenoise import weights

    try:
        return weights.load_pretrained(name)
    except (OSError, TypeError, ValueError) as error:  # missing, corrupt, unreadable
        raise DenoiserLoadError(str(error) or type(error).__name__) from error


def get_denoiser(
    name: str,
    *,
    tile: int | Literal["auto"] | None = "auto",
    overlap: int = 32,
    self_ensemble: bool = False,
) -> FunctionDenoiser:
    """Resolve a name into a :class:`Denoiser`.

    Parameters
    ----------
    name : str
        One of

        * ``"noisy"``: the noisy input itself (the baseline of a benchmark);
        * a classical method of :data:`deepdenoise.classical.CLASSICAL_METHODS`
          (``"gaussian"``, ``"median"``, ``"tv"``, ``"wavelet"``,
          ``"nl_means"``, ``"bm3d"``);
        * a pretrained model of :func:`deepdenoise.weights.list_pretrained`
          (for example ``"ffdnet"``), also written ``"model:ffdnet"``;
        * a saved Keras model, ``"model:path/to/file.keras"``, a path ending
          in ``.keras`` or any name holding a path separator; its label is
          then ``"model:<file stem>"``;
        * any of the above but ``"noisy"`` followed by ``"/per-channel"``
          (:data:`PER_CHANNEL_SUFFIX`): that gray denoiser applied to each
          channel of an RGB image (:func:`per_channel`); or by
          ``"/opponent"`` (:data:`OPPONENT_SUFFIX`): applied to its brightness
          and two colour differences (:func:`opponent`);
        * a model with a noise-level map followed by ``"/blind"``
          (:data:`BLIND_SUFFIX`): sigma estimated from each image, whatever
          sigma the caller gives (:func:`blind`).
    tile, overlap, self_ensemble
        Passed to :func:`deepdenoise.inference.denoise` for models.

    Returns
    -------
    FunctionDenoiser
        A :class:`Denoiser`; models are loaded once, here.

    Raises
    ------
    UnknownDenoiserError
        If ``name`` is none of the above (the message names it and lists
        the known names); a subclass of ``ValueError``.
    DenoiserLoadError
        If a model file or a pretrained model is missing or cannot be
        loaded (the message names it and the cause); a subclass of
        ``ValueError``.
    ImportError
        For ``"bm3d"`` when the optional ``bm3d`` package is not installed.
    TypeError
        If ``name`` is not a string.

    Examples
    --------
    >>> get_denoiser("tv").kind
    'classical'
    >>> get_denoiser("no-such-denoiser")
    Traceback (most recent call last):
    ...
    deepdenoise.denoisers.UnknownDenoiserError: denoiser must be one of ...; got 'no-such-denoiser'
    """
    if not isinstance(name, str):
        raise ArgumentTypeError(f"denoiser name must be a string, got {type(name).__name__}")
    options: dict[str, Any] = {"tile": tile, "overlap": overlap, "self_ensemble": self_ensemble}
    if name.endswith(BLIND_SUFFIX):
        return blind(get_denoiser(name.removesuffix(BLIND_SUFFIX), **options))
    for suffix, wrap in ((PER_CHANNEL_SUFFIX, per_channel), (OPPONENT_SUFFIX, opponent)):
        base = name.removesuffix(suffix)
        if base == name:
            continue
        if base in ("", "noisy"):
            raise UnknownDenoiserError(
                f"{suffix!r} follows the name of a denoiser, got {name!r}",
                name=name,
                choices=list(_catalogue()),
            )
        return wrap(get_denoiser(base, **options))
    if name == "noisy":
        return FunctionDenoiser("noisy", "input", _identity, needs_sigma=False)

    from deepdenoise.classical import CLASSICAL_METHODS

    if name in CLASSICAL_METHODS:
        if name == "bm3d" and importlib.util.find_spec("bm3d") is None:
            raise ImportError(
                "method 'bm3d' needs the optional 'bm3d' package (non-commercial licence): "
                "pip install deepdenoise[bm3d]"
            )
        return FunctionDenoiser(name, "classical", CLASSICAL_METHODS[name], needs_sigma=True)

    spec = name.removeprefix("model:")
    if _is_model_file(spec):
        path = Path(spec).expanduser()
        return denoiser_from_model(f"model:{path.stem}", _load_model_file(path), **options)

    catalogue = _catalogue()
    if catalogue.get(spec) == "model":
        return denoiser_from_model(spec, _load_pretrained(spec), **options)
    raise UnknownDenoiserError(
        f"denoiser must be one of {list(catalogue)}, 'model:NAME' or a .keras file; got {name!r}",
        name=name,
        choices=list(catalogue),
    )
