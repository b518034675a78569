"""Importing aecourse (and so TensorFlow) writes nothing to stderr, in a script or a kernel."""

import os
import subprocess
import sys

import pytest

# Importing aecourse in this pytest process sets these; a student's kernel starts without them.
# PYTEST_CURRENT_TEST makes ipykernel stop capturing fd 2, hiding exactly what is tested.
QUIET_VARS = (
    "TF_CPP_MIN_LOG_LEVEL",
    "ABSL_MIN_LOG_LEVEL",
    "TF_ENABLE_ONEDNN_OPTS",
    "PYTEST_CURRENT_TEST",
)


def _student_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in QUIET_VARS}


SNIPPET = (
    "import aecourse as ae\n"
    "import tensorflow as tf\n"
    "ae.set_seed(0)\n"
    "f = tf.function(lambda x: tf.tanh(x) @ tf.transpose(x))\n"
    "print(float(tf.reduce_sum(f(tf.ones((3, 3))))))\n"
)


def test_plain_import_of_tensorflow_is_noisy_here():
    """Control: plain TensorFlow logs to stderr here, else the next tests prove nothing."""
    out = subprocess.run(
        [sys.executable, "-c", "import tensorflow as tf; tf.constant(1.0) + 1"],
        env=_student_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if not out.stderr.strip():
        pytest.skip("this TensorFlow build logs nothing at import; nothing to silence")


def test_import_in_a_script_writes_no_stderr():
    out = subprocess.run(
        [sys.executable, "-c", SNIPPET],
        env=_student_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == "", f"stderr was not empty:\n{out.stderr}"


@pytest.mark.slow
def test_import_in_a_jupyter_kernel_shows_no_stderr_block():
    """What a student sees in JupyterLab: no stream output named stderr under the cell."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=_student_env())
    try:
        kc.execute(SNIPPET)
        streams, error = [], None
        while True:
            msg = kc.get_iopub_msg(timeout=120)
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                streams.append((content["name"], content["text"]))
            elif kind == "error":
                error = content
            elif kind == "status" and content["execution_state"] == "idle":
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert error is None, error
    stderr = "".join(text for name, text in streams if name == "stderr")
    assert stderr == "", f"the kernel showed stderr:\n{stderr}"
    assert any(name == "stdout" for name, _ in streams)
