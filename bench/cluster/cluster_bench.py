#!/usr/bin/python3
"""Loads and searches one data set through a server alone and through clusters of 1, 2 and 3
nodes on this machine, side by side in one run (issue 33).

Every configuration shares the same cores (a fixed total), so the figures show what routing
costs, not a speed-up: a cluster of N nodes on one machine splits the same CPU N ways and adds
a hop (client -> any node -> each shard's owner) and a merge. Each configuration starts from
empty directories: one etcd member (the control plane is off the request path; the
coordination tests use three) and N tqdb-server nodes with default flags, or one tqdb-server.

Per configuration: load rate (Python bulk_upsert through node 1, which routes), then queries
through every node in turn: batches of 100 (SearchBatch) one at a time and from 4 client
threads (the capacity when kept busy), and single queries from 4 client threads, re-rank 100 (the default candidates), recall@10 against exact cosine neighbours.
The collection takes each configuration's defaults: a server alone partitions past 50,000
vectors, and so does a cluster's collection (each shard once the whole passes it); recall and
speed are both printed, per nprobe when --nprobe sweeps it (in a cluster nprobe counts lists of
the whole collection), so deployments can be compared at equal recall.

Usage: cluster_bench.py [--datasets_dir ../shared/datasets] [--nodes 0,1,2,3]
       [--derived N]   (N vectors: GloVe rows plus Gaussian jitter, renormalized)
       [--repeat R]    (R rounds over the deployments, interleaved: medians, and min-max)
       [--nprobe 0,16,48] [--partition_at N] [--rerank_store f16]
--nodes: 0 is the server alone. This machine's speed moves between minutes (shared cores), so
one round can put a deployment 20-30% off; the rounds interleave the deployments so that each
meets the same conditions, and the ratios are of medians.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "build", "python"), os.path.join(ROOT, "tools", "python")]

from tqdb_client import Client  # noqa: E402




def read_fvecs(path):
    raw = numpy.fromfile(path, dtype=numpy.int32)
    dim = raw[0]
    return numpy.ascontiguousarray(raw.reshape(-1, dim + 1)[:, 1:].view(numpy.float32))


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(log_path, pattern, what):
    for _ in range(600):
        time.sleep(0.05)
        with open(log_path) as log:
            match = re.search(pattern, log.read())
        if match:
            return match
    raise RuntimeError(f"{what} did not start; see {log_path}")


class Deployment:
    """A server alone (nodes == 0) or etcd and `nodes` cluster nodes, in `work`."""

    def __init__(self, args, nodes, work):
        self.processes = []
        self.addresses = []
        flags = []
        if nodes > 0:
            client, peer = free_port(), free_port()
            etcd_log = os.path.join(work, "etcd.log")
            self.processes.append(subprocess.Popen(
                [args.etcd, "--name=b", f"--data-dir={work}/etcd",
                 f"--listen-client-urls=http://127.0.0.1:{client}",
                 f"--advertise-client-urls=http://127.0.0.1:{client}",
                 f"--listen-peer-urls=http://127.0.0.1:{peer}",
                 f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                 f"--initial-cluster=b=http://127.0.0.1:{peer}", "--log-level=warn"],
                stderr=open(etcd_log, "w"), stdout=subprocess.DEVNULL))
            time.sleep(1.5)  # a one-member cluster elects itself in about a second
            flags = [f"--etcd=127.0.0.1:{client}"]
        for i in range(max(nodes, 1)):
            log_path = os.path.join(work, f"node{i}.log")
            # N nodes on one machine split its cores (--threads: search threads and gRPC
            # workers), as an operator would run them; the server alone takes them all.
            threads = max(1, (os.cpu_count() or 1) // nodes) if nodes > 0 else 0
            node_flags = (flags + [f"--node_id=node{i}", f"--threads={threads}"]
                          if nodes > 0 else [])
            port = free_port()
            self.processes.append(subprocess.Popen(
                [args.server, f"--data_dir={work}/node{i}", f"--listen=127.0.0.1:{port}"]
                + node_flags, stderr=open(log_path, "w")))
            match = wait_for(log_path, r"listening on 127\.0\.0\.1:(\d+).*simd=(\w+)", "a node")
            self.addresses.append(f"127.0.0.1:{match.group(1)}")
            self.simd = match.group(2)
        self.clients = [Client(address, timeout=600) for address in self.addresses]

    def close(self):
        for client in self.clients:
            client.close()
        for process in reversed(self.processes):
            process.terminate()
            process.wait()


def settle(client, name):
    for _ in range(1200):
        if not client.describe(name).background_jobs:
            return
        time.sleep(0.25)


def recall(hits, truth):
    return numpy.mean([len(set(h) & set(t)) / len(t) for h, t in zip(hits, truth)])


def measure(deployment, base, queries, truth, partition_at, nprobes, rerank_store):
    """Loads, then per nprobe (0: the default) searches: {"load", "shards", nprobe: {...}}."""
    name = "bench"
    clients = deployment.clients
    clients[0].create_collection(name, base.shape[1], bits=4, metric="cosine",
                                 partition_at=partition_at, rerank_store=rerank_store)
    start = time.perf_counter()
    clients[0].bulk_upsert(name, vectors=base, progress=False)
    load = len(base) / (time.perf_counter() - start)
    settle(clients[0], name)
    # Searched as the collection stands once the load has stopped: its memtables go to table
    # files after 5 s without writes (Store::FlushWhenQuiet), the same for every deployment.
    time.sleep(7)
    shards = clients[0].describe(name).shards or 1
    figures = {"shards": shards, "load": load}
    search(clients, name, queries, truth, nprobes[0])  # warm: the first pass reads from disk
    for nprobe in nprobes:
        figures[nprobe] = search(clients, name, queries, truth, nprobe)
    return figures


def search(clients, name, queries, truth, nprobe):
    # Batches of 100, each through the next node.
    start = time.perf_counter()
    batch_hits = []
    for i, first in enumerate(range(0, len(queries), 100)):
        results = clients[i % len(clients)].search_batch(name, queries[first:first + 100], k=10,
                                                         rerank=True, nprobe=nprobe)
        batch_hits += [[hit.id for hit in hits] for hits in results]
    batch_qps = len(queries) / (time.perf_counter() - start)
    # The same batches from 4 client threads, three passes: what the deployment can serve when
    # kept busy (one batch at a time leaves a node idle while the others finish their parts).
    firsts = list(range(0, len(queries), 100)) * 3

    def batch(i):
        clients[i % len(clients)].search_batch(name, queries[firsts[i]:firsts[i] + 100], k=10,
                                               rerank=True, nprobe=nprobe)

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(batch, range(len(firsts))))
    busy_batch_qps = 100 * len(firsts) / (time.perf_counter() - start)
    # Single queries from 4 threads, each through the next node.
    latencies = []

    def one(i):
        t = time.perf_counter()
        hits = clients[i % len(clients)].search(name, queries[i], k=10, rerank=True,
                                                nprobe=nprobe)
        latencies.append(time.perf_counter() - t)
        return [hit.id for hit in hits]

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        single_hits = list(pool.map(one, range(len(queries))))
    single_qps = len(queries) / (time.perf_counter() - start)
    latencies.sort()
    return {"batch_qps": batch_qps, "busy_batch_qps": busy_batch_qps,
            "batch_recall": recall(batch_hits, truth),
            "single_qps": single_qps, "single_recall": recall(single_hits, truth),
            "p50": latencies[len(latencies) // 2] * 1e3,
            "p99": latencies[int(len(latencies) * 0.99)] * 1e3}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default=os.path.join(ROOT, "build/server/tqdb-server"))
    parser.add_argument("--etcd", default="/usr/bin/etcd")
    parser.add_argument("--datasets_dir", default=os.path.join(ROOT, "../shared/datasets"))
    parser.add_argument("--nodes", default="0,1,2,3")
    parser.add_argument("--derived", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--partition_at", type=int, default=None,
                        help="the collection's partition_at (default: the server's, 50,000); "
                        "0 keeps every shard flat, so each deployment scans the same codes")
    parser.add_argument("--nprobe", default="0",
                        help="comma-separated nprobe values searched after each load (0: the "
                        "collection's default); in a cluster nprobe counts lists of the whole "
                        "collection, and each shard probes its share")
    parser.add_argument("--rerank_store", default="",
                        help="the collection's rerank_store: disk (the default), f32, f16, int8")
    args = parser.parse_args()

    glove = numpy.vstack([read_fvecs(os.path.join(args.datasets_dir, "glove-100.fvecs")),
                          read_fvecs(os.path.join(args.datasets_dir, "glove-100-more.fvecs"))])
    base, queries = glove[:-1000], glove[-1000:]
    label = f"all GloVe ({len(base):,} + 1,000 queries)"
    if args.derived:
        rng = numpy.random.default_rng(7)
        rows = base[rng.integers(0, len(base), args.derived)]
        jitter = rng.normal(0, 0.1 * numpy.linalg.norm(rows, axis=1).mean() / 10,
                            rows.shape).astype(numpy.float32)
        base = rows + jitter
        base /= numpy.linalg.norm(base, axis=1, keepdims=True)
        label = f"{args.derived:,} derived from GloVe (row + Gaussian jitter, renormalized)"
    normalized = base / numpy.linalg.norm(base, axis=1, keepdims=True)
    q = queries / numpy.linalg.norm(queries, axis=1, keepdims=True)
    truth = []
    block = max(1, 10_000_000 // len(normalized))  # queries per block: ~40 MB of scores
    for first in range(0, len(q), block):
        scores = q[first:first + block] @ normalized.T
        top = numpy.argpartition(-scores, 10, axis=1)[:, :10]
        for row, ids in zip(scores, top):
            truth.append(ids[numpy.argsort(-row[ids])].tolist())

    runs = {}  # nodes -> one measure() per round
    deployments = [int(n) for n in args.nodes.split(",")]
    nprobes = [int(n) for n in args.nprobe.split(",")]
    for round_number in range(args.repeat):
        for nodes in deployments:
            work = tempfile.mkdtemp(prefix="tqdb-cluster-bench-")
            deployment = Deployment(args, nodes, work)
            try:
                runs.setdefault(nodes, []).append(
                    measure(deployment, base, queries, truth, args.partition_at, nprobes,
                            args.rerank_store))
                simd = deployment.simd
            finally:
                deployment.close()
                shutil.rmtree(work, ignore_errors=True)
            print(f"done: round {round_number + 1}, {nodes} node(s)", file=sys.stderr)
    # Per deployment and nprobe: the median of each figure over the rounds, and the QPS ranges.
    def median_of(values):
        return float(numpy.median(values))

    rows = []
    for nodes in deployments:
        for nprobe in nprobes:
            rounds = [r[nprobe] for r in runs[nodes]]
            median = {key: median_of([r[key] for r in rounds]) for key in rounds[0]}
            median["shards"] = runs[nodes][0]["shards"]
            median["load"] = median_of([r["load"] for r in runs[nodes]])
            for key in ("batch_qps", "busy_batch_qps", "single_qps"):
                values = [r[key] for r in rounds]
                median[key + "_range"] = (f" ({min(values):,.0f}-{max(values):,.0f})"
                                          if len(values) > 1 else "")
            rows.append((nodes, nprobe, median))

    layout = ("defaults (partition_at 50,000)" if args.partition_at is None
              else f"partition_at {args.partition_at:,}")
    store = args.rerank_store or "the default store (mmap)"
    print(f"\n{label}; d = {base.shape[1]}, 4 bits, cosine, re-rank 100 from {store}, {layout}; "
          f"{os.cpu_count()} cores shared by everything; SIMD {simd}; "
          f"{args.repeat} round(s), medians (QPS min-max); 'vs alone' is against the server "
          "alone at the same nprobe\n")
    print("| deployment | shards | nprobe | load vectors/s | batch-100 QPS, 1 client | R@10 | "
          "vs alone | batch-100 QPS, 4 clients | vs alone | single-query QPS (4 threads) | R@10 | "
          "p50 ms | p99 ms | vs alone |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    alone = {nprobe: r for nodes, nprobe, r in rows if nodes == 0}
    for nodes, nprobe, r in rows:
        what = "server alone" if nodes == 0 else f"cluster, {nodes} node(s)"
        base_row = alone.get(nprobe)
        batch_ratio = f"{r['batch_qps'] / base_row['batch_qps']:.2f}" if base_row else "-"
        busy_ratio = (f"{r['busy_batch_qps'] / base_row['busy_batch_qps']:.2f}" if base_row
                      else "-")
        single_ratio = f"{r['single_qps'] / base_row['single_qps']:.2f}" if base_row else "-"
        print(f"| {what} | {r['shards']:.0f} | {nprobe or 'default'} | {r['load']:,.0f} | "
              f"{r['batch_qps']:,.0f}{r['batch_qps_range']} | "
              f"{r['batch_recall']:.3f} | {batch_ratio} | "
              f"{r['busy_batch_qps']:,.0f}{r['busy_batch_qps_range']} | {busy_ratio} | "
              f"{r['single_qps']:,.0f}{r['single_qps_range']} | "
              f"{r['single_recall']:.3f} | {r['p50']:.2f} | {r['p99']:.2f} | {single_ratio} |")


if __name__ == "__main__":
    main()
