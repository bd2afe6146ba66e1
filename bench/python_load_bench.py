#!/usr/bin/python3
"""Load rates through the Python client, old path against new, in one run on one server.

Starts tqdb-server (defaults, its own data directory), then for each data set loads the same
rows into fresh group-commit collections three ways, one after another:
  - lists, repeated floats: rows as Python lists in UpsertRequest.vectors over one stream (what
    the client did before vectors_f32: a Python float object per coordinate);
  - numpy, bulk_upsert: the array's own buffer as float32 bytes, 4 batches in flight;
  - tqdb load: the C++ CLI reading the .fvecs file (for reference).
Prints vectors/s per path and the ratio new / old. Client and server share this machine.

Usage: python_load_bench.py [--server build/server/tqdb-server] [--cli build/tools/tqdb]
       [--datasets_dir ../shared/datasets] [--batch ROWS]
--batch: rows per message for all three (default: the client's own, about 8 MiB of floats,
tqdb_client.bulk.default_batch_size; the CLI's is the same size).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, "build", "python"), os.path.join(ROOT, "tools", "python")]

from tqdb.v1 import tqdb_pb2 as pb  # noqa: E402
from tqdb_client import Client  # noqa: E402
from tqdb_client.bulk import default_batch_size  # noqa: E402


def read_fvecs(path, rows):
    raw = numpy.fromfile(path, dtype=numpy.int32, count=-1)
    dim = raw[0]
    table = raw.reshape(-1, dim + 1)[:rows, 1:]
    return numpy.ascontiguousarray(table.view(numpy.float32))


def start_server(binary, work):
    log = open(os.path.join(work, "server.log"), "w+")
    server = subprocess.Popen([binary, f"--data_dir={work}/data", "--listen=127.0.0.1:0"],
                              stderr=log)
    for _ in range(600):
        time.sleep(0.05)
        log.seek(0)
        match = re.search(r"listening on 127\.0\.0\.1:(\d+).*simd=(\w+)", log.read())
        if match:
            return server, f"127.0.0.1:{match.group(1)}", match.group(2)
    raise RuntimeError("the server did not start")


def load_lists(db, name, vectors, batch):
    """The old client's path: each batch's floats as Python floats in the repeated field."""
    def requests():
        for start in range(0, len(vectors), batch):
            rows = vectors[start:start + batch]
            yield pb.UpsertRequest(collection=name, ids=list(range(start, start + len(rows))),
                                   vectors=rows.reshape(-1).tolist())
    db._stub.UpsertStream(requests(), timeout=3600)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default=os.path.join(ROOT, "build/server/tqdb-server"))
    parser.add_argument("--cli", default=os.path.join(ROOT, "build/tools/tqdb"))
    parser.add_argument("--datasets_dir", default=os.path.join(ROOT, "..", "shared", "datasets"))
    parser.add_argument("--batch", type=int, default=None)
    args = parser.parse_args()
    sets = [("openai-ada002-1536.fvecs", 19000), ("glove-100.fvecs", 149000)]
    work = tempfile.mkdtemp(prefix="tqdb-pyload-")
    server, address, simd = start_server(args.server, work)
    batches = "about 8 MiB" if args.batch is None else f"{args.batch} rows"
    print(f"python_load_bench: server {address} (defaults), simd {simd}, batches of {batches}, "
          f"group-commit collections, client and server on {os.cpu_count()} cores\n")
    print("| data | rows | lists, repeated floats | numpy, bulk_upsert | tqdb load (C++) | "
          "numpy / lists |")
    print("|---|---|---|---|---|---|")
    try:
        with Client(address, timeout=3600) as db:
            for file, rows in sets:
                path = os.path.join(args.datasets_dir, file)
                vectors = read_fvecs(path, rows)
                rates = []
                for way in ("lists", "numpy", "cli"):
                    name = f"{way}_{vectors.shape[1]}"
                    db.create_collection(name, dimension=vectors.shape[1], bits=4,
                                         durability="group-commit")
                    start = time.monotonic()
                    batch = args.batch or default_batch_size(vectors)
                    if way == "lists":
                        load_lists(db, name, vectors, batch)
                    elif way == "numpy":
                        db.bulk_upsert(name, vectors=vectors, batch_size=args.batch,
                                       progress=False)
                    else:
                        subprocess.run([args.cli, f"--server={address}", "load", name, path,
                                        f"--max={rows}", f"--batch={batch}"], check=True,
                                       capture_output=True)
                    seconds = time.monotonic() - start
                    assert db.describe(name).count == rows, name
                    rates.append(rows / seconds)
                    db.drop_collection(name)
                print(f"| {file} (d = {vectors.shape[1]}) | {rows:,} | {rates[0]:,.0f}/s | "
                      f"{rates[1]:,.0f}/s | {rates[2]:,.0f}/s | {rates[1] / rates[0]:.2f} |")
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
