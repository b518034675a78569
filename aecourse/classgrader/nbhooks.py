"""Hooks loaded into nbgrader's (trusted) process: the sandboxed kernel and the output cap.

nbgrader itself must stay trusted (it reads the gradebook); only the kernel runs student
code. nbclient builds the kernel with ``Execute.kernel_manager_class``:
:class:`SandboxKernelManager` prefixes the kernel command with the sandbox launcher,
described by the runner in ``AECOURSE_SANDBOX_SPEC`` (JSON of a ``SandboxSpec``), and
speaks ZMQ over Unix sockets in the scratch folder (``transport = "ipc"``): the sandboxed
kernel has no network.
:class:`CapOutputs` runs right after ``Execute``: a single 30 MB line must not land in
the graded notebook and the feedback. The generated nbgrader config loads this file by
path, so nbgrader does not import ``aecourse`` (and TensorFlow) itself.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer, default

__all__ = ["SandboxKernelManager", "CapOutputs", "SPEC_ENV"]

SPEC_ENV = "AECOURSE_SANDBOX_SPEC"


def _sandbox():
    name = "aecourse_classgrader_sandbox"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("sandbox.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _spec():
    raw = os.environ.get(SPEC_ENV)
    if not raw:
        raise RuntimeError(f"{SPEC_ENV} is not set: run the kernel through `aecourse grade`")
    return _sandbox().SandboxSpec(**json.loads(raw))


class SandboxKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs as the sandbox user in its scratch folder."""

    @default("transport")
    def _transport_default(self):
        return "ipc"

    @default("ip")
    def _ip_default(self):
        # Unix socket paths are limited to ~107 bytes and the scratch path can be longer:
        # reach the folder through a descriptor (close-on-exec: the kernel does not get it).
        fd = os.open(_spec().scratch, os.O_PATH | os.O_DIRECTORY)
        return f"/proc/self/fd/{fd}/{_sandbox().IPC_NAME}"

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        spec = _spec()
        spec.connection_file = True
        return _sandbox().wrap(cmd, spec)


_NOTE = "\n... [output cut by aecourse grade: {n} bytes dropped]\n"


def _cut(text: str, limit: int) -> str:
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    kept = data[:limit].decode("utf-8", "ignore")
    return kept + _NOTE.format(n=len(data) - limit)


class CapOutputs(NbGraderPreprocessor):
    """Cut every output to ``max_bytes``; show stderr of test cells as stdout."""

    max_bytes = Integer(100_000, help="bytes kept per text output (images: 10x)").tag(config=True)
    max_outputs = Integer(50, help="outputs kept per cell").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        outputs = cell.get("outputs", [])[: self.max_outputs]
        grade = cell.metadata.get("nbgrader", {}).get("grade", False)
        for out in outputs:
            if out.output_type == "stream":
                if grade and out.name == "stderr":
                    # Warnings are not failures; errors still come as `error` outputs.
                    out.name = "stdout"
                    out.text = "[stderr] " + out.text
                out.text = _cut(out.text, self.max_bytes)
            elif out.output_type == "error":
                out.evalue = _cut(out.evalue, self.max_bytes)
                out.traceback = [_cut(t, self.max_bytes) for t in out.traceback[-20:]]
            elif "data" in out:
                for mime, value in list(out.data.items()):
                    if isinstance(value, str):
                        if mime.startswith("text/"):
                            out.data[mime] = _cut(value, self.max_bytes)
                        elif len(value) > 10 * self.max_bytes:
                            del out.data[mime]
                if not out.data:
                    out.data["text/plain"] = "[output too large: cut by aecourse grade]"
        cell.outputs = outputs
        return cell, resources
