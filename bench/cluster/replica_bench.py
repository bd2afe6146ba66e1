#!/usr/bin/python3
"""What replicas cost writes (issue 34): three tqdb-server nodes and one etcd member on this
machine, a GloVe collection with replication factor 1, 2 and 3 side by side in one run (fresh
directories each, the factors interleaved over --repeat rounds).

Per factor, through node 1 (which routes):
- latency: single-row upserts one after another, sync and group-commit durability (p50, p99);
- throughput: 100-row upserts from 4 client threads for --seconds, sync durability;
- replica lag under that load: `cluster status` polled every 0.2 s, the largest number of log
  records (RocksDB sequence numbers) any replica was behind its owner, and the last.
A write to a replicated shard is acknowledged once every in-sync replica has synced it, so on
one machine a factor of 2 adds one fsync and one local network hop in each write's path (the
replica's apply, after the owner's write); on separate machines the hop is the network's round
trip. All nodes share this machine's cores and disk, so the replicas' applies compete with the
owners' writes here, which separate machines would not.

Usage: replica_bench.py [--factors 1,2,3] [--seconds 10] [--singles 1000] [--repeat 1]
"""
import argparse
import concurrent.futures
import os
import shutil
import sys
import tempfile
import threading
import time

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster_bench import ROOT, Deployment, read_fvecs  # noqa: E402


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1e3


def measure(deployment, base, factor, args):
    client = deployment.clients[0]
    name = f"rf{factor}"
    client.create_collection(name, base.shape[1], durability="sync", shards=6,
                             replication_factor=factor)
    client.upsert(name, list(range(1000)), base[:1000])  # the copies seeded before timing
    result = {}
    for durability in ("sync", "group-commit"):
        latencies = []
        for i in range(args.singles):
            row = 1000 + i
            start = time.perf_counter()
            client.upsert(name, [row], base[row:row + 1], durability=durability)
            latencies.append(time.perf_counter() - start)
        result[f"{durability.replace('-', '_')}_p50"] = percentile(latencies, 0.5)
        result[f"{durability.replace('-', '_')}_p99"] = percentile(latencies, 0.99)

    # Throughput, with the lag sampled beside it.
    stop = threading.Event()
    behind = []

    def watch():
        watcher = deployment.clients[1]
        while not stop.is_set():
            worst = 0
            for collection in watcher.cluster_status().collections:
                for shard in collection.shards:
                    for replica in shard.replicas:
                        worst = max(worst, replica.behind)
            behind.append(worst)
            time.sleep(0.2)

    rows = [0] * 4

    def write(thread):
        next_row = 20_000 + thread * 50_000
        deadline = time.perf_counter() + args.seconds
        while time.perf_counter() < deadline:
            ids = [next_row + j for j in range(100)]
            deployment.clients[0].upsert(name, ids, base[[i % len(base) for i in ids]])
            next_row += 100
            rows[thread] += 100

    watcher = threading.Thread(target=watch)
    watcher.start()
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    seconds = time.perf_counter() - start
    stop.set()
    watcher.join()
    result["rows_per_s"] = sum(rows) / seconds
    result["max_behind"] = max(behind) if behind else 0
    result["last_behind"] = behind[-1] if behind else 0
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default=os.path.join(ROOT, "build/server/tqdb-server"))
    parser.add_argument("--etcd", default="/usr/bin/etcd")
    parser.add_argument("--datasets_dir", default=os.path.join(ROOT, "../shared/datasets"))
    parser.add_argument("--factors", default="1,2,3")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--singles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    base = read_fvecs(os.path.join(args.datasets_dir, "glove-100.fvecs"))
    factors = [int(f) for f in args.factors.split(",")]
    runs = {}
    simd = "?"
    for round_number in range(args.repeat):
        for factor in factors:
            work = tempfile.mkdtemp(prefix="tqdb-replica-bench-")
            deployment = Deployment(args, 3, work)
            try:
                runs.setdefault(factor, []).append(measure(deployment, base, factor, args))
                simd = deployment.simd
            finally:
                deployment.close()
                shutil.rmtree(work, ignore_errors=True)
            print(f"done: round {round_number + 1}, factor {factor}", file=sys.stderr)
    print(f"3 nodes and 1 etcd member on this machine ({os.cpu_count()} cores, SIMD {simd}); "
          f"GloVe d = 100, 6 shards; medians of {args.repeat} round(s)\n")
    print("| factor | sync p50 ms | sync p99 ms | group-commit p50 ms | group-commit p99 ms | "
          "100-row upserts, 4 threads, rows/s | replica lag: max / last (log records) |")
    print("|---|---|---|---|---|---|---|")
    first = None
    for factor in factors:
        median = {key: float(numpy.median([r[key] for r in runs[factor]]))
                  for key in runs[factor][0]}
        first = first or median
        print(f"| {factor} | {median['sync_p50']:.2f} | {median['sync_p99']:.2f} "
              f"({median['sync_p99'] / first['sync_p99']:.2f}x) | "
              f"{median['group_commit_p50']:.2f} | {median['group_commit_p99']:.2f} | "
              f"{median['rows_per_s']:,.0f} ({median['rows_per_s'] / first['rows_per_s']:.2f}x) | "
              f"{median['max_behind']:,.0f} / {median['last_behind']:,.0f} |")


if __name__ == "__main__":
    main()
