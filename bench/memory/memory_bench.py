#!/usr/bin/python3
"""Memory of a tqdb-server as a user sees it: RSS per vector after a bulk load and after a
restart, and the peak during the load, each server a process of its own (so RSS is honest).

For each data set and bit width: start tqdb-server on an empty data directory, read its RSS
(the empty server), create a cosine collection, load the file with the CLI (`tqdb load`), wait
for the collection's background jobs (the partitioning waits out the load), read VmRSS and VmHWM
(the peak) from /proc, stop the server, start it again on the same directory
and read RSS once it listens. `tqdb stats` gives the server's own accounting by part, compared with its RSS.

  /usr/bin/python3 bench/memory/memory_bench.py --build build \
      --datasets glove-100.fvecs,glove-all,glove-1m,random:1536:100000 --bits 1,2,4

Data: files in the shared datasets folder; glove-all is both GloVe files (291,479 vectors);
glove-1m (glove-10m: 10,000,000) is 1,000,000 vectors derived from them (each a real GloVe vector plus Gaussian jitter
of 0.05 per coordinate relative to its norm, written once to --cache_dir); random:D:N is N
random unit vectors. Debian's python3 (numpy) is used, hence /usr/bin/python3.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def read_fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    dim = raw[0]
    return raw.reshape(-1, dim + 1)[:, 1:].view(np.float32)


def write_fvecs(path, rows):
    rows = np.ascontiguousarray(rows, dtype=np.float32)
    out = np.empty((rows.shape[0], rows.shape[1] + 1), dtype=np.int32)
    out[:, 0] = rows.shape[1]
    out[:, 1:] = rows.view(np.int32)
    tmp = path + ".tmp"
    out.tofile(tmp)
    os.replace(tmp, path)


def dataset_file(name, datasets_dir, cache_dir):
    """The .fvecs file of a data set name, generated into cache_dir when derived."""
    if name.endswith(".fvecs"):
        return os.path.join(datasets_dir, name)
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, name.replace(":", "-") + ".fvecs")
    if os.path.exists(path):
        return path
    if name == "glove-10m":
        # As glove-1m, ten times over, written a million rows at a time (4 GB of floats).
        glove = np.concatenate([read_fvecs(os.path.join(datasets_dir, f))
                                for f in ("glove-100.fvecs", "glove-100-more.fvecs")])
        rng = np.random.default_rng(10)
        with open(path + ".tmp", "wb") as out:
            for _ in range(10):
                base = glove[rng.integers(0, len(glove), 1_000_000)]
                norms = np.linalg.norm(base, axis=1, keepdims=True)
                jitter = rng.standard_normal(base.shape).astype(np.float32)
                rows = (base + 0.05 * norms / np.sqrt(base.shape[1]) * jitter).astype(np.float32)
                framed = np.empty((rows.shape[0], rows.shape[1] + 1), dtype=np.int32)
                framed[:, 0] = rows.shape[1]
                framed[:, 1:] = rows.view(np.int32)
                framed.tofile(out)
        os.rename(path + ".tmp", path)
        return path
    if name in ("glove-all", "glove-1m"):
        glove = np.concatenate([read_fvecs(os.path.join(datasets_dir, f))
                                for f in ("glove-100.fvecs", "glove-100-more.fvecs")])
        if name == "glove-1m":
            rng = np.random.default_rng(1)
            base = glove[rng.integers(0, len(glove), 1_000_000)]
            norms = np.linalg.norm(base, axis=1, keepdims=True)
            jitter = rng.standard_normal(base.shape).astype(np.float32)
            glove = base + 0.05 * norms / np.sqrt(base.shape[1]) * jitter
        write_fvecs(path, glove)
    elif name.startswith("random:"):
        _, dim, count = name.split(":")
        rng = np.random.default_rng(2)
        with open(path + ".tmp", "wb") as out:
            for first in range(0, int(count), 100_000):
                rows = rng.standard_normal((min(100_000, int(count) - first), int(dim)),
                                           dtype=np.float32)
                rows /= np.linalg.norm(rows, axis=1, keepdims=True)
                framed = np.empty((rows.shape[0], int(dim) + 1), dtype=np.int32)
                framed[:, 0] = int(dim)
                framed[:, 1:] = rows.view(np.int32)
                framed.tofile(out)
        os.replace(path + ".tmp", path)
    else:
        sys.exit(f"unknown data set {name}")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


class Server:
    def __init__(self, build, data_dir, extra):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [os.path.join(build, "server", "tqdb-server"), f"--data_dir={data_dir}",
             f"--listen={self.address}"] + extra, stdout=self.log, stderr=self.log)
        deadline = time.time() + 600
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                sys.exit("tqdb-server exited:\n" + self.log.read().decode())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        self.start_s = time.time()

    def rss_mb(self):
        return status_kb(self.proc.pid, "VmRSS") / 1024

    def peak_mb(self):
        return status_kb(self.proc.pid, "VmHWM") / 1024

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=300)


def cli(build, address, *args):
    result = subprocess.run([os.path.join(build, "tools", "tqdb"), f"--server={address}", *args],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"tqdb {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def fields(text):
    """The integer fields of a protobuf text dump, nested messages flattened (a.b)."""
    values, scope = {}, []
    for line in text.splitlines():
        line = line.strip()
        if line.endswith("{"):
            scope.append(line[:-1].strip())
        elif line == "}":
            scope.pop()
        elif m := re.match(r"(\w+): (\d+)$", line):
            values[".".join(scope + [m.group(1)])] = int(m.group(2))
    return values


def settle_rss(server):
    """RSS once it stops moving for 2 s (background compactions and flushes after a load or
    start, and the server handing its allocator's free pages back, which it does every second)."""
    last, steady = server.rss_mb(), 0
    for _ in range(60):
        time.sleep(0.5)
        now = server.rss_mb()
        steady = steady + 1 if abs(now - last) < 0.5 else 0
        if steady == 4:
            return now
        last = now
    return last


def wait_for_jobs(build, address):
    """Seconds until the collection's background jobs (partitioning) are done."""
    start = time.time()
    while "background_jobs: true" in cli(build, address, "describe", "c"):
        if time.time() - start > 1800:
            sys.exit("background jobs still running after 30 minutes")
        time.sleep(0.25)
    return time.time() - start


def measure(build, path, bits, extra, work_dir):
    data_dir = os.path.join(work_dir, "data")
    subprocess.run(["rm", "-rf", data_dir], check=True)
    rows = os.path.getsize(path) // (4 * (1 + np.fromfile(path, dtype=np.int32, count=1)[0]))
    dim = int(np.fromfile(path, dtype=np.int32, count=1)[0])
    server = Server(build, data_dir, extra)
    empty = settle_rss(server)
    cli(build, server.address, "create", "c", f"--dim={dim}", f"--bits={bits}",
        "--durability=group-commit")
    at_peak = {}
    done = threading.Event()

    def sample():  # the server's own accounting at the highest RSS seen during the load
        # Once a second: each look runs the CLI, and four a second slowed a 1M-vector d = 1536
        # load from about 55 s to 89 s.
        while not done.wait(1.0):
            stats = fields(cli(build, server.address, "stats"))
            if stats.get("rss_bytes", 0) > at_peak.get("rss_bytes", 0):
                at_peak.clear()
                at_peak.update(stats)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.time()
    cli(build, server.address, "load", "c", path)
    load_s = time.time() - start
    # The partitioning waits out a load and runs after it: its memory is part of the import's.
    jobs_s = wait_for_jobs(build, server.address)
    done.set()
    sampler.join()
    loaded = settle_rss(server)
    peak = server.peak_mb()
    after_load = fields(cli(build, server.address, "stats"))
    server.stop()
    server = Server(build, data_dir, extra)
    restarted = settle_rss(server)
    restart_peak = server.peak_mb()
    after_restart = fields(cli(build, server.address, "stats"))
    server.stop()
    return dict(rows=rows, dim=dim, bits=bits, empty=empty, loaded=loaded, peak=peak,
                restarted=restarted, restart_peak=restart_peak, load_s=load_s, jobs_s=jobs_s,
                after_load=after_load, after_restart=after_restart, at_peak=at_peak)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--datasets", default="glove-100.fvecs,random:1536:100000")
    parser.add_argument("--bits", default="4")
    parser.add_argument("--datasets_dir", default=os.path.join(ROOT, "..", "shared", "datasets"))
    parser.add_argument("--cache_dir", default=os.path.expanduser("~/.cache/tqdb/memory_bench"))
    parser.add_argument("--work_dir", default=tempfile.gettempdir())
    parser.add_argument("--server_flags", default="", help="extra tqdb-server flags")
    parser.add_argument("--prepare_only", action="store_true",
                        help="write the derived data files and print their paths (for "
                        "rerank_latency), measure nothing")
    args = parser.parse_args()
    if args.prepare_only:
        for name in args.datasets.split(","):
            print(dataset_file(name, args.datasets_dir, args.cache_dir))
        return
    extra = args.server_flags.split()
    work_dir = tempfile.mkdtemp(prefix="tqdb-memory-", dir=args.work_dir)
    print(f"tqdb-server flags: {' '.join(extra) or '(defaults)'}; MB = 2^20 bytes; "
          "per vector: (RSS - empty server) / vectors\n")
    print("| data | vectors | d | bits | load s | jobs after it s | empty MB | RSS after load and "
          "jobs MB | peak during load and jobs MB | RSS after restart MB | B/vector after restart | "
          "describe B/vector after restart | accounted / (RSS - baseline) after restart | "
          "peak / after restart |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.datasets.split(","):
        path = dataset_file(name, args.datasets_dir, args.cache_dir)
        for bits in (int(b) for b in args.bits.split(",")):
            m = measure(args.build, path, bits, extra, work_dir)
            per_vector = (m["restarted"] - m["empty"]) * 2**20 / m["rows"]
            stats = m["after_restart"]
            index = sum(v for k, v in stats.items() if k.startswith("index_memory."))
            grown = stats["rss_bytes"] - stats["baseline_rss_bytes"]
            print(f"| {name} | {m['rows']} | {m['dim']} | {bits} | {m['load_s']:.1f} | "
                  f"{m['jobs_s']:.1f} | "
                  f"{m['empty']:.0f} | {m['loaded']:.0f} | {m['peak']:.0f} | "
                  f"{m['restarted']:.0f} | {per_vector:.0f} | {index / m['rows']:.0f} | "
                  f"{stats['accounted_bytes'] / grown:.2f} | "
                  f"{m['peak'] / max(m['restarted'], 1):.2f} |", flush=True)
            print(f"<!-- stats at the load's peak RSS: {m['at_peak']} -->", flush=True)
            print(f"<!-- stats after load: {m['after_load']} -->", flush=True)
            print(f"<!-- stats after restart: {stats} -->", flush=True)
    subprocess.run(["rm", "-rf", work_dir], check=True)


if __name__ == "__main__":
    main()
