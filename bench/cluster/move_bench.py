#!/usr/bin/python3
"""Moves one shard of N vectors from one node to another while a client keeps writing and
searching, and reports how long the move and its write pause took and what the client saw
(issue 33's target: a shard of 1M vectors of d = 100 moves in under 60 s with writes going on).

Two nodes and one etcd member on this machine (cluster_bench.Deployment); a collection of one
shard, loaded with N vectors derived from GloVe (a real row plus Gaussian jitter, renormalized),
lands on one node and is moved to the other through the other (Tqdb.MoveShard). Meanwhile a
thread upserts batches of 100 new rows (retrying what the paused shard refuses with
UNAVAILABLE) and another searches; at the end every acknowledged row is read back.

Usage: move_bench.py [--vectors 1000000] [--datasets_dir ../shared/datasets]
"""
import argparse
import os
import shutil
import sys
import tempfile
import threading
import time

import grpc
import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster_bench import Deployment, ROOT, read_fvecs  # noqa: E402


def derived(datasets_dir, n):
    glove = numpy.vstack([read_fvecs(os.path.join(datasets_dir, "glove-100.fvecs")),
                          read_fvecs(os.path.join(datasets_dir, "glove-100-more.fvecs"))])
    rng = numpy.random.default_rng(11)
    rows = glove[rng.integers(0, len(glove), n)]
    rows = rows / numpy.linalg.norm(rows, axis=1, keepdims=True)
    rows += rng.normal(0, 0.05, rows.shape).astype(numpy.float32)
    return numpy.ascontiguousarray(rows / numpy.linalg.norm(rows, axis=1, keepdims=True),
                                   dtype=numpy.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default=os.path.join(ROOT, "build/server/tqdb-server"))
    parser.add_argument("--etcd", default="/usr/bin/etcd")
    parser.add_argument("--datasets_dir", default=os.path.join(ROOT, "../shared/datasets"))
    parser.add_argument("--vectors", type=int, default=1_000_000)
    args = parser.parse_args()

    extra = 200_000  # rows the writer may add during the move
    data = derived(args.datasets_dir, args.vectors + extra)
    base = data[:args.vectors]
    work = tempfile.mkdtemp(prefix="tqdb-move-bench-")
    deployment = Deployment(args, 2, work)
    try:
        db = deployment.clients[0]
        db.create_collection("moving", 100, bits=4, metric="cosine", shards=1)
        start = time.perf_counter()
        db.bulk_upsert("moving", vectors=base, progress=False)
        load_seconds = time.perf_counter() - start
        while db.describe("moving").background_jobs:
            time.sleep(0.5)
        status = db.cluster_status()
        owner = status.collections[0].shards[0].node
        target = "node1" if owner == "node0" else "node0"
        mover = deployment.clients[1 if target == "node1" else 0]

        stop = threading.Event()
        stats = {"acknowledged": args.vectors, "refused": 0, "searches": 0, "failed": 0,
                 "longest_gap": 0.0}

        def write():
            last_ok = time.perf_counter()
            while not stop.is_set() and stats["acknowledged"] + 100 <= len(data):
                first = stats["acknowledged"]
                try:
                    db.upsert("moving", range(first, first + 100), data[first:first + 100])
                    now = time.perf_counter()
                    stats["longest_gap"] = max(stats["longest_gap"], now - last_ok)
                    last_ok = now
                    stats["acknowledged"] += 100
                except grpc.RpcError as error:
                    assert error.code() == grpc.StatusCode.UNAVAILABLE, error
                    stats["refused"] += 1
                    time.sleep(0.02)

        def search():
            q = 0
            while not stop.is_set():
                try:
                    deployment.clients[q % 2].search("moving", base[q % 1000], k=10, rerank=True)
                except grpc.RpcError:
                    stats["failed"] += 1
                stats["searches"] += 1
                q += 1

        threads = [threading.Thread(target=write), threading.Thread(target=search)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        before = stats["acknowledged"]
        start = time.perf_counter()
        moved = mover.move_shard("moving", 0, target)
        move_seconds = time.perf_counter() - start
        during = stats["acknowledged"] - before
        time.sleep(1)
        stop.set()
        for thread in threads:
            thread.join()

        acknowledged = stats["acknowledged"]
        found = 0
        for first in range(0, acknowledged, 10_000):
            ids = range(first, min(first + 10_000, acknowledged))
            found += sum(r.found for r in db.get("moving", ids, with_payloads=False))
        print(f"\nmove_bench: one shard of {args.vectors:,} vectors (d = 100, 4 bits, stored "
              f"floats), {owner} -> {target}, {os.cpu_count()} cores shared by 2 nodes, etcd "
              f"and the client; SIMD {deployment.simd}\n")
        print("| vectors | load s | move s | bytes copied | writes paused s (server) | longest "
              "gap between acknowledged writes s | rows written during the move | writes "
              "refused | searches (failed) | acknowledged rows found after |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        print(f"| {args.vectors:,} | {load_seconds:.1f} | {move_seconds:.2f} | "
              f"{moved.bytes / 1e6:,.0f} MB | {moved.write_pause_seconds:.2f} | "
              f"{stats['longest_gap']:.2f} | {during:,} | {stats['refused']} | "
              f"{stats['searches']:,} ({stats['failed']}) | {found:,} of {acknowledged:,} |")
    finally:
        deployment.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
