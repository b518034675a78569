"""Tests for aecourse.datasets: offline data sets and the CIFAR-10 fallback."""

import pickle

import numpy as np
import pytest

import aecourse  # noqa: F401  (quiet TensorFlow import before anything else)
from aecourse import datasets

NAMES = [b"airplane", b"automobile", b"bird", b"cat", b"deer"]
NAMES += [b"dog", b"frog", b"horse", b"ship", b"truck"]


def write_fake_cifar(directory, per_batch=3):
    """Tiny cifar-10-batches-py copy in the real pickle format; every image a constant colour."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": NAMES, b"num_vis": 3072}, f, protocol=2)
    for k, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        labels = [7, 3, 7][:per_batch] + [0] * max(0, per_batch - 3)
        data = np.zeros((per_batch, 3072), dtype=np.uint8)
        for j in range(per_batch):
            # red plane 3*v, green 0, blue 0 -> grayscale v, with v unique per image
            data[j, :1024] = 3 * (10 * k + j)
        batch = {b"batch_label": b"x", b"labels": labels, b"data": data, b"filenames": []}
        with open(directory / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)


@pytest.fixture
def no_cifar_env(monkeypatch):
    monkeypatch.delenv(datasets.CIFAR10_ENV, raising=False)


def test_iris_and_digits():
    iris = datasets.load_iris()
    assert iris.data.shape == (150, 4) and iris.data.dtype == np.float32
    assert iris.target_names == ["setosa", "versicolor", "virginica"]
    np.testing.assert_allclose(iris.data[0], [5.1, 3.5, 1.4, 0.2], rtol=1e-6)
    digits = datasets.load_digits()
    assert digits.data.shape == (1797, 64)
    assert digits.data.max() == 16 and set(np.unique(digits.target)) == set(range(10))
    assert len(digits) == 1797


def test_photo_patches_shape_range_and_targets():
    ds = datasets.photo_patches(n=7, seed=3)
    assert ds.data.shape == (7, 1024) and ds.data.dtype == np.float32
    assert 0 <= ds.data.min() and ds.data.max() <= 255
    assert list(ds.target) == [0, 0, 0, 0, 1, 1, 1]
    assert ds.target_names == ["china.jpg", "flower.jpg"]
    assert ds.data.std() > 1  # real picture content, not a blank


def test_photo_patches_from_one_photo():
    ds = datasets.photo_patches(n=5, photos="flower.jpg")
    assert list(ds.target) == [1] * 5 and "flower.jpg" in ds.source
    with pytest.raises(ValueError, match="photos"):
        datasets.photo_patches(n=5, photos=["mona_lisa.jpg"])


def test_fallback_class_named_after_a_photo_gives_n_patches_of_it(capsys, no_cifar_env):
    assert datasets.image_classes() == ["china.jpg", "flower.jpg"]
    ds = datasets.load_image_class("flower.jpg", n=6)
    assert ds.data.shape == (6, 1024) and list(ds.target) == [1] * 6
    assert "photo patches" in capsys.readouterr().out


def test_photo_patches_are_cut_from_the_photo():
    from sklearn.datasets import load_sample_images

    china = load_sample_images().images[0].astype(np.float64).mean(axis=-1)
    patch = datasets.photo_patches(n=1, size=8, seed=5).data[0].reshape(8, 8)
    windows = np.lib.stride_tricks.sliding_window_view(china, (8, 8))
    hits = np.argwhere(np.all(np.abs(windows - patch) < 1e-3, axis=(2, 3)))
    assert len(hits) >= 1


def test_photo_patches_deterministic_per_seed():
    a = datasets.photo_patches(n=5, seed=1).data
    b = datasets.photo_patches(n=5, seed=1).data
    c = datasets.photo_patches(n=5, seed=2).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": 2.5}, {"size": 0}, {"size": 1000}])
def test_photo_patches_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="n must|size must"):
        datasets.photo_patches(**kwargs)


def test_load_image_class_falls_back_with_a_message_on_stdout(capsys, no_cifar_env):
    ds = datasets.load_image_class("horse", n=6)
    out, err = capsys.readouterr()
    assert err == ""
    assert out.count("\n") == 1
    assert "AECOURSE_CIFAR10" in out and "photo patches" in out
    assert ds.data.shape == (6, 1024)
    assert "sample_images" in ds.source


def test_load_image_class_reads_cifar_from_a_path(tmp_path, capsys, no_cifar_env):
    directory = tmp_path / "cifar-10-batches-py"
    write_fake_cifar(directory)
    ds = datasets.load_image_class("horse", path=directory)
    assert capsys.readouterr().out == ""
    # Two horses per training batch (positions 0 and 2), five batches.
    assert ds.data.shape == (10, 1024) and ds.data.dtype == np.float32
    expected = [10 * k + j for k in range(5) for j in (0, 2)]
    np.testing.assert_allclose(ds.data[:, 0], expected)
    np.testing.assert_allclose(ds.data[:, 500], expected)
    assert set(ds.target) == {7} and ds.target_names[7] == "horse"
    assert datasets.load_image_class("cat", path=directory, n=3).data.shape == (3, 1024)


def test_load_image_class_reads_cifar_from_the_environment(tmp_path, monkeypatch):
    directory = tmp_path / "cifar-10-batches-py"
    write_fake_cifar(directory)
    monkeypatch.setenv(datasets.CIFAR10_ENV, str(directory))
    ds = datasets.load_image_class("horse")
    assert "CIFAR-10" in ds.source and len(ds.data) == 10
    assert datasets.image_classes()[7] == "horse"


def test_environment_pointing_nowhere_says_so_on_stdout(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(datasets.CIFAR10_ENV, str(tmp_path / "typo"))
    ds = datasets.load_image_class("horse", n=2)
    out, err = capsys.readouterr()
    assert err == "" and "typo" in out and "photo patches" in out
    assert ds.data.shape == (2, 1024)


def test_explicit_missing_path_is_an_error_not_a_fallback(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py"):
        datasets.load_image_class("horse", path=tmp_path / "not-there")
    assert capsys.readouterr().out == ""


def test_unknown_class_name_is_a_value_error(tmp_path):
    directory = tmp_path / "cifar-10-batches-py"
    write_fake_cifar(directory)
    with pytest.raises(ValueError, match="pegasus"):
        datasets.load_image_class("pegasus", path=directory)
