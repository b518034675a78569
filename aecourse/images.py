"""Images as vectors: grayscale, row-major flattening, image files and CIFAR-10.

Section 7.5 of the chapter: an image becomes one row of numbers by merging its
colour channels into one intensity (Listing 7.12) and laying its rows end to end
(Figure 7.10). Listing 7.9 loaded files with ``scipy.misc.imread``/``imresize``,
which SciPy removed years ago; :func:`load_image` uses Pillow instead. The CIFAR-10
reader follows Listings 7.10-7.11 (python version of the data set).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

__all__ = [
    "CIFAR10_URL",
    "LUMINANCE_WEIGHTS",
    "cifar_grayscale",
    "to_grayscale",
    "flatten_row_major",
    "unflatten_row_major",
    "load_image",
    "unpickle",
    "load_cifar10",
    "select_class",
]

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
#: ITU-R BT.601 weights for red, green and blue (the eye is most sensitive to green).
LUMINANCE_WEIGHTS = (0.299, 0.587, 0.114)
_CIFAR_SIDE = 32
_CIFAR_ROW = 3 * _CIFAR_SIDE * _CIFAR_SIDE  # 3072: 1024 red, then 1024 green, then 1024 blue
_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))  # five files (the book says six)


def _numeric(x, what: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{what} must be numeric, got dtype {arr.dtype}")
    return arr


def cifar_grayscale(rows) -> np.ndarray:
    """Average the three colour planes of CIFAR-10 rows (Listing 7.12).

    rows: (N, 3072) with the 1024 red values first, then green, then blue (or one
    row of shape (3072,)). Returns float64 (N, 1024) (or (1024,)), still row-major.
    """
    arr = _numeric(rows, "rows")
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != _CIFAR_ROW:
        raise ValueError(
            f"cifar_grayscale expects rows of {_CIFAR_ROW} values (1024 red, 1024 green, "
            f"1024 blue), got shape {np.shape(rows)}"
        )
    gray = arr.reshape(arr.shape[0], 3, _CIFAR_SIDE * _CIFAR_SIDE).mean(axis=1)
    return gray[0] if single else gray


def to_grayscale(image, method: str = "average") -> np.ndarray:
    """Merge the channels of a channel-last image (..., H, W, 3) into (..., H, W).

    method="average" takes the plain mean (the book's choice); method="luminance"
    weights red, green and blue by ITU-R BT.601 (0.299, 0.587, 0.114). An alpha
    channel (4 channels) is dropped first. Returns float64.
    """
    arr = _numeric(image, "image").astype(np.float64)
    if arr.ndim < 3 or arr.shape[-1] not in (3, 4):
        raise ValueError(
            "to_grayscale expects a channel-last colour image of shape (..., H, W, 3), "
            f"got shape {arr.shape}; a planar CIFAR-10 row needs cifar_grayscale instead"
        )
    rgb = arr[..., :3]
    if method == "average":
        return rgb.mean(axis=-1)
    if method == "luminance":
        return rgb @ np.asarray(LUMINANCE_WEIGHTS)
    raise ValueError(f"method must be 'average' or 'luminance', got {method!r}")


def flatten_row_major(image) -> np.ndarray:
    """Lay the rows of an image end to end (Figure 7.10).

    (H, W) -> (H*W,); a stack (N, H, W) -> (N, H*W). Pixel (r, c) lands at r*W + c.
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        return arr.reshape(-1, order="C")
    if arr.ndim == 3:
        return arr.reshape(arr.shape[0], -1, order="C")
    raise ValueError(
        f"flatten_row_major expects one image (H, W) or a stack (N, H, W), got shape {arr.shape}"
    )


def unflatten_row_major(x, shape) -> np.ndarray:
    """Undo :func:`flatten_row_major`: (H*W,) -> (H, W) or (N, H*W) -> (N, H, W)."""
    arr = np.asarray(x)
    try:
        height, width = (int(s) for s in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape must be (height, width), got {shape!r}") from None
    if height <= 0 or width <= 0:
        raise ValueError(f"shape must be positive, got {shape!r}")
    if arr.ndim not in (1, 2) or arr.shape[-1] != height * width:
        raise ValueError(
            f"cannot unflatten shape {arr.shape} into images of {height}x{width}: "
            f"each row needs {height * width} values"
        )
    return arr.reshape(arr.shape[:-1] + (height, width), order="C")


def load_image(path, size=(32, 32), grayscale: bool = True, flatten: bool = True, scale=None):
    """Read an image file, optionally as grayscale, resized and flattened (Listing 7.9).

    size: (width, height) in pixels, or None to keep the file's size; scale: a factor
    such as 1/8 (the book's ``imresize(image, 1/8)``) used instead of size when given.
    Returns float32 with values 0-255: (H*W,) grayscale flattened, (H, W) grayscale,
    (H, W, 3) colour, or (H*W*3,) colour flattened.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {path}")
    try:
        with Image.open(path) as img:
            img.load()
            # "L" is Pillow's BT.601 luminance, the weights to_grayscale(method="luminance") uses.
            img = img.convert("L" if grayscale else "RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{path} is not an image file Pillow can read: {exc}") from exc
    if scale is not None:
        if not np.isscalar(scale) or not 0 < float(scale):
            raise ValueError(f"scale must be a positive number such as 1/8, got {scale!r}")
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    if size is not None:
        try:
            width, height = (int(s) for s in size)
        except (TypeError, ValueError):
            raise ValueError(f"size must be (width, height), got {size!r}") from None
        if width <= 0 or height <= 0:
            raise ValueError(f"size must be positive, got {size!r}")
        img = img.resize((width, height), Image.Resampling.BILINEAR)
    arr = np.asarray(img, dtype=np.float32)
    return arr.reshape(-1) if flatten else arr


def _missing_cifar(path: Path) -> FileNotFoundError:
    return FileNotFoundError(
        f"CIFAR-10 file not found: {path}. Download the python version "
        f"(cifar-10-python.tar.gz) from {CIFAR10_URL}, extract it and pass the "
        "cifar-10-batches-py directory (or set AECOURSE_CIFAR10 to it)."
    )


def unpickle(path) -> dict:
    """Load one CIFAR-10 python-version file (Listing 7.10) as a dict with str keys.

    The files were pickled by Python 2; encoding="latin1" (as on the CIFAR-10 page)
    reads them, and their bytes keys (b"data") are decoded to str ("data").
    """
    path = Path(path)
    if not path.is_file():
        raise _missing_cifar(path)
    try:
        with open(path, "rb") as fo:
            obj = pickle.load(fo, encoding="latin1")
    except Exception as exc:  # pickle raises many types for a damaged file
        raise ValueError(f"{path} is not a readable CIFAR-10 pickle ({exc!r})") from exc
    if not isinstance(obj, dict):
        raise ValueError(f"{path} should hold a dict, found {type(obj).__name__}")
    return {(k.decode("latin1") if isinstance(k, bytes) else str(k)): v for k, v in obj.items()}


def _decode(name) -> str:
    return name.decode("latin1") if isinstance(name, bytes) else str(name)


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    batch = unpickle(path)
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{path} lacks the 'data' or 'labels' entry of a CIFAR-10 batch")
    data = np.asarray(batch["data"])
    labels = np.asarray(batch["labels"])
    if data.ndim != 2 or data.shape[1] != _CIFAR_ROW:
        raise ValueError(f"{path}: data should have shape (n, {_CIFAR_ROW}), got {data.shape}")
    if labels.shape != (data.shape[0],):
        raise ValueError(f"{path}: {labels.shape} labels do not match {data.shape[0]} images")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{path}: labels should be integers, got dtype {labels.dtype}")
    return data.astype(np.uint8, copy=False), labels.astype(np.int64)


def load_cifar10(directory, split: str = "train"):
    """Read the extracted cifar-10-batches-py directory (Listing 7.11).

    split="train" stacks data_batch_1..5 (five files; the book's comment says six),
    split="test" reads test_batch. Returns (data uint8 (N, 3072), labels int64 (N,),
    label_names list[str]).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    directory = Path(os.fspath(directory)).expanduser()
    if not directory.is_dir():
        raise _missing_cifar(directory)
    meta = unpickle(directory / "batches.meta")
    if "label_names" not in meta:
        raise ValueError(f"{directory / 'batches.meta'} lacks 'label_names'")
    label_names = [_decode(n) for n in meta["label_names"]]
    files = _TRAIN_FILES if split == "train" else ("test_batch",)
    parts = [_read_batch(directory / name) for name in files]
    data = np.vstack([d for d, _ in parts])
    labels = np.concatenate([lab for _, lab in parts])
    if labels.size and (labels.min() < 0 or labels.max() >= len(label_names)):
        raise ValueError(
            f"labels in {directory} run outside 0..{len(label_names) - 1} "
            f"({len(label_names)} label names)"
        )
    return data, labels, label_names


def select_class(data, labels, label_names, name: str) -> np.ndarray:
    """Rows of ``data`` whose label is the class called ``name`` (e.g. "horse")."""
    names = [_decode(n) for n in label_names]
    if name not in names:
        raise ValueError(f"unknown class {name!r}; choose one of {names}")
    data = np.asarray(data)
    labels = np.asarray(labels)
    if labels.ndim != 1 or data.shape[:1] != labels.shape:
        raise ValueError(f"data has {data.shape[:1]} rows but labels have shape {labels.shape}")
    return data[labels == names.index(name)]
