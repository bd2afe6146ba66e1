"""Builds the package with the gRPC stubs generated from proto/ (pyproject.toml has the rest).

The stubs land in the build's `tqdb/v1/` beside `tqdb_client/`, the import path protoc writes
into them (`from tqdb.v1 import tqdb_pb2`).
"""

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "..", "proto")


class BuildWithStubs(build_py):
    def run(self):
        super().run()
        protoc = shutil.which("protoc")
        plugin = shutil.which("grpc_python_plugin")
        if protoc is None or plugin is None:
            raise RuntimeError("generating the stubs needs protoc and grpc_python_plugin "
                               "(apt-get install protobuf-compiler protobuf-compiler-grpc)")
        out = os.path.join(self.build_lib)
        subprocess.check_call([protoc, f"--proto_path={PROTO_ROOT}", f"--python_out={out}",
                               f"--grpc_python_out={out}",
                               f"--plugin=protoc-gen-grpc_python={plugin}",
                               os.path.join(PROTO_ROOT, "tqdb", "v1", "tqdb.proto")])
        for package in ("tqdb", os.path.join("tqdb", "v1")):
            open(os.path.join(out, package, "__init__.py"), "a").close()


setup(cmdclass={"build_py": BuildWithStubs})
