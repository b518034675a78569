"""Tests for aecourse.images: grayscale, row-major order, image files, CIFAR-10 reader."""

import pickle

import numpy as np
import pytest
from PIL import Image

import aecourse  # noqa: F401  (quiet TensorFlow import before anything else)
from aecourse import images

LABEL_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]


def write_fake_cifar(directory, per_batch=4, seed=0):
    """Write a tiny cifar-10-batches-py copy in the real format (Python-2 style bytes keys)."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    meta = {
        b"num_cases_per_batch": per_batch,
        b"label_names": [n.encode() for n in LABEL_NAMES],
        b"num_vis": 3072,
    }
    with open(directory / "batches.meta", "wb") as f:
        pickle.dump(meta, f, protocol=2)
    batches = {}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=per_batch)]
        labels[0] = 7  # at least one horse per file
        batch = {
            b"batch_label": f"batch {i + 1} of 5".encode(),
            b"labels": labels,
            b"data": data,
            b"filenames": [f"img_{i}_{j}.png".encode() for j in range(per_batch)],
        }
        with open(directory / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
        batches[name] = batch
    return batches


# --- grayscale -----------------------------------------------------------------------------


def test_cifar_grayscale_averages_the_three_planes():
    red, green, blue = np.full(1024, 30), np.arange(1024) % 256, np.full(1024, 90)
    row = np.concatenate([red, green, blue])[None, :]
    gray = images.cifar_grayscale(row)
    assert gray.shape == (1, 1024)
    np.testing.assert_allclose(gray[0], (30 + (np.arange(1024) % 256) + 90) / 3)


def test_cifar_grayscale_is_not_an_interleaved_mean():
    # Planar layout: the first 1024 values are all red. An interleaved (RGBRGB...) reading
    # would average neighbouring red values instead.
    row = np.concatenate([np.full(1024, 255), np.zeros(1024), np.zeros(1024)])
    np.testing.assert_allclose(images.cifar_grayscale(row), np.full(1024, 85.0))


def test_cifar_grayscale_rejects_wrong_width():
    with pytest.raises(ValueError, match="3072"):
        images.cifar_grayscale(np.zeros((2, 1024)))


def test_to_grayscale_average_and_luminance():
    img = np.zeros((2, 2, 3))
    img[0, 0] = [255, 0, 0]
    img[0, 1] = [0, 255, 0]
    img[1, 0] = [0, 0, 255]
    img[1, 1] = [10, 20, 30]
    np.testing.assert_allclose(images.to_grayscale(img), [[85, 85], [85, 20]])
    np.testing.assert_allclose(
        images.to_grayscale(img, method="luminance"),
        [[0.299 * 255, 0.587 * 255], [0.114 * 255, 0.299 * 10 + 0.587 * 20 + 0.114 * 30]],
    )


def test_to_grayscale_keeps_leading_batch_axes():
    batch = np.ones((5, 4, 3, 3))
    assert images.to_grayscale(batch).shape == (5, 4, 3)


@pytest.mark.parametrize(
    "bad, match",
    [(np.zeros((4, 4)), "channel-last"), (np.zeros((3, 5, 5)), "channel-last")],
)
def test_to_grayscale_rejects_non_colour(bad, match):
    with pytest.raises(ValueError, match=match):
        images.to_grayscale(bad)


def test_to_grayscale_rejects_unknown_method():
    with pytest.raises(ValueError, match="luminance"):
        images.to_grayscale(np.zeros((2, 2, 3)), method="max")


# --- row-major order -----------------------------------------------------------------------


def test_flatten_row_major_reads_like_text():
    image = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    np.testing.assert_array_equal(images.flatten_row_major(image), np.arange(9))
    # The classic mistake, column-major, would give 0 3 6 1 4 7 2 5 8.
    assert not np.array_equal(images.flatten_row_major(image.T), np.arange(9))


def test_flatten_row_major_pixel_position():
    image = np.zeros((4, 5))
    image[2, 3] = 1
    assert np.argmax(images.flatten_row_major(image)) == 2 * 5 + 3


def test_flatten_and_unflatten_round_trip_on_a_stack():
    stack = np.random.default_rng(1).random((6, 4, 5))
    flat = images.flatten_row_major(stack)
    assert flat.shape == (6, 20)
    np.testing.assert_array_equal(images.unflatten_row_major(flat, (4, 5)), stack)
    np.testing.assert_array_equal(images.unflatten_row_major(flat[2], (4, 5)), stack[2])


def test_flatten_and_unflatten_reject_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        images.flatten_row_major(np.zeros(5))
    with pytest.raises(ValueError, match="4x5"):
        images.unflatten_row_major(np.zeros(21), (4, 5))


# --- image files ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["png", "jpg"])
def test_load_image_grayscale_resized_flattened(tmp_path, suffix):
    rgb = np.zeros((64, 96, 3), dtype=np.uint8)
    rgb[:, :48] = [200, 200, 200]  # left half light, right half dark
    rgb[:, 48:] = [20, 20, 20]
    path = tmp_path / f"picture.{suffix}"
    Image.fromarray(rgb).save(path)
    x = images.load_image(path)
    assert x.shape == (1024,)
    assert x.dtype == np.float32
    square = x.reshape(32, 32)
    tol = 3 if suffix == "png" else 12  # JPEG is lossy
    assert abs(square[:, :8].mean() - 200) < tol
    assert abs(square[:, -8:].mean() - 20) < tol


def test_load_image_options(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, size=(40, 80, 3), dtype=np.uint8)
    path = tmp_path / "noise.png"
    Image.fromarray(rgb).save(path)
    assert images.load_image(path, size=None, flatten=False).shape == (40, 80)
    colour = images.load_image(path, size=None, grayscale=False, flatten=False)
    np.testing.assert_array_equal(colour, rgb)
    # The book's imresize(image, 1/8): an 80x40 picture becomes 10x5 (width x height).
    assert images.load_image(path, scale=1 / 8, flatten=False).shape == (5, 10)
    gray = images.load_image(path, size=None, flatten=False)
    np.testing.assert_allclose(gray, images.to_grayscale(rgb, "luminance"), atol=1.0)


def test_load_image_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.png"):
        images.load_image(tmp_path / "missing.png")
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match="junk.png"):
        images.load_image(junk)


# --- CIFAR-10 ------------------------------------------------------------------------------


def test_unpickle_returns_str_keys(tmp_path):
    batches = write_fake_cifar(tmp_path / "cifar-10-batches-py")
    d = images.unpickle(tmp_path / "cifar-10-batches-py" / "data_batch_1")
    assert set(d) == {"batch_label", "labels", "data", "filenames"}
    np.testing.assert_array_equal(d["data"], batches["data_batch_1"][b"data"])


def test_load_cifar10_train_stacks_five_batches(tmp_path):
    directory = tmp_path / "cifar-10-batches-py"
    batches = write_fake_cifar(directory, per_batch=4)
    data, labels, names = images.load_cifar10(directory)
    assert data.shape == (20, 3072) and data.dtype == np.uint8
    assert labels.shape == (20,) and labels.dtype == np.int64
    assert names == LABEL_NAMES
    expected = np.vstack([batches[f"data_batch_{k}"][b"data"] for k in range(1, 6)])
    np.testing.assert_array_equal(data, expected)
    assert list(labels[4:8]) == batches["data_batch_2"][b"labels"]


def test_load_cifar10_test_split(tmp_path):
    directory = tmp_path / "cifar-10-batches-py"
    batches = write_fake_cifar(directory, per_batch=3)
    data, labels, _ = images.load_cifar10(directory, split="test")
    np.testing.assert_array_equal(data, batches["test_batch"][b"data"])
    assert list(labels) == batches["test_batch"][b"labels"]
    with pytest.raises(ValueError, match="split"):
        images.load_cifar10(directory, split="valid")


def test_select_class_by_name(tmp_path):
    directory = tmp_path / "cifar-10-batches-py"
    write_fake_cifar(directory)
    data, labels, names = images.load_cifar10(directory)
    horses = images.select_class(data, labels, names, "horse")
    assert len(horses) == int(np.sum(labels == 7)) >= 5
    np.testing.assert_array_equal(horses, data[labels == 7])
    with pytest.raises(ValueError, match="unicorn"):
        images.select_class(data, labels, names, "unicorn")


def test_str_keyed_pickles_also_load(tmp_path):
    directory = tmp_path / "cifar"
    write_fake_cifar(directory)
    # A copy re-saved by Python 3 code has str keys; the loader must not care.
    for name in ["batches.meta", "data_batch_3"]:
        d = images.unpickle(directory / name)
        with open(directory / name, "wb") as f:
            pickle.dump(d, f)
    data, _, names = images.load_cifar10(directory)
    assert data.shape == (20, 3072) and names[7] == "horse"


def test_missing_directory_and_file_say_where_to_get_cifar(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py") as err:
        images.load_cifar10(tmp_path / "nowhere")
    assert "cs.toronto.edu" in str(err.value)
    directory = tmp_path / "cifar-10-batches-py"
    write_fake_cifar(directory)
    (directory / "data_batch_4").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_4"):
        images.load_cifar10(directory)


def test_corrupt_pickle_and_wrong_shapes_are_value_errors(tmp_path):
    directory = tmp_path / "cifar-10-batches-py"
    write_fake_cifar(directory)
    (directory / "data_batch_2").write_bytes(b"\x80\x02garbage")
    with pytest.raises(ValueError, match="data_batch_2"):
        images.load_cifar10(directory)
    write_fake_cifar(directory)
    with open(directory / "data_batch_5", "wb") as f:
        pickle.dump({b"data": np.zeros((4, 1024), np.uint8), b"labels": [0] * 4}, f, protocol=2)
    with pytest.raises(ValueError, match="3072"):
        images.load_cifar10(directory)
    write_fake_cifar(directory)
    with open(directory / "test_batch", "wb") as f:
        pickle.dump({b"data": np.zeros((4, 3072), np.uint8), b"labels": [0] * 3}, f, protocol=2)
    with pytest.raises(ValueError, match="labels"):
        images.load_cifar10(directory, split="test")
