"""Bulk loads with progress that resume where they stopped.

A load is cut into batches of `batch_size` rows, sent as Upsert calls with up to `in_flight`
of them in flight (the server encodes one while the next arrives). A batch counts once the
server has acknowledged it (its write-ahead log holds it). With `checkpoint` (a file path), the
number of leading batches acknowledged is written there after each, atomically (a new file
renamed over the old), so a load interrupted at any point (the client killed, the server
restarted, the network gone) resumes from the first batch not acknowledged: run the same call
again. Upserts replace by id, so a batch sent twice stores the same thing once. The checkpoint
file is removed when the load completes.
"""

import collections
import dataclasses
import json
import os
import sys
import time

from . import _requests as requests
from ._arrays import rows_of


@dataclasses.dataclass
class BulkResult:
    rows: int  # rows of the input (None for batches of unknown count)
    sent: int  # rows this call sent: the input less what an earlier call had loaded
    resumed_from: int  # rows an earlier, interrupted call had loaded (from the checkpoint)
    inserted: int
    replaced: int
    seconds: float


class _Checkpoint:
    """The acknowledged prefix of a load, kept in a file (or nowhere)."""

    def __init__(self, path, collection, batch_size):
        self.path, self.key = path, {"collection": collection, "batch_size": batch_size}
        self.batches, self.rows = 0, 0
        if path is None or not os.path.exists(path):
            return
        with open(path) as f:
            saved = json.load(f)
        if {k: saved.get(k) for k in self.key} != self.key:
            raise ValueError(f"checkpoint {path} belongs to another load ({saved}); remove it "
                             "to start over")
        self.batches, self.rows = saved["batches_done"], saved["rows_done"]

    def acknowledge(self, rows):
        self.batches += 1
        self.rows += rows
        if self.path is None:
            return
        temporary = self.path + ".tmp"
        with open(temporary, "w") as f:
            json.dump({**self.key, "batches_done": self.batches, "rows_done": self.rows}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)

    def finish(self):
        if self.path is not None and os.path.exists(self.path):
            os.remove(self.path)


class _Progress:
    """Rows loaded, rows/s and the time left: a tqdm bar on a terminal when tqdm is there,
    otherwise a plain line every 5 seconds; or a callable(rows_done, total, rows_per_second)."""

    def __init__(self, mode, total, done, label):
        self.total, self.done, self.start_done = total, done, done
        self.start = self.last_line = time.monotonic()
        self.callback, self.bar, self.lines = None, None, False
        if callable(mode):
            self.callback = mode
            return
        if mode is False:
            return
        try:
            import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None and (mode is True or sys.stderr.isatty()):
            self.bar = tqdm.tqdm(total=total, initial=done, unit="rows", unit_scale=True,
                                 desc=label, smoothing=0.1)
        else:
            self.lines, self.label = True, label

    def rate(self):
        elapsed = time.monotonic() - self.start
        return (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0

    def advance(self, rows):
        self.done += rows
        if self.callback is not None:
            self.callback(self.done, self.total, self.rate())
        elif self.bar is not None:
            self.bar.update(rows)
        elif self.lines and time.monotonic() - self.last_line >= 5:
            self.last_line = time.monotonic()
            self.line()

    def line(self):
        rate = self.rate()
        if self.total:
            left = (self.total - self.done) / rate if rate > 0 else float("inf")
            share = f"{self.done:,}/{self.total:,} rows ({100 * self.done / self.total:.1f}%)"
            print(f"{self.label}: {share}, {rate:,.0f} rows/s, {left:,.0f} s left",
                  file=sys.stderr, flush=True)
        else:
            print(f"{self.label}: {self.done:,} rows, {rate:,.0f} rows/s", file=sys.stderr,
                  flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.lines:
            self.line()


def _array_batches(vectors, ids, payloads, batch_size, first_row):
    n = rows_of(vectors)
    for start in range(first_row, n, batch_size):
        end = min(start + batch_size, n)
        batch_ids = range(start, end) if ids is None else ids[start:end]
        yield batch_ids, vectors[start:end], None if payloads is None else payloads[start:end]


# A batch of about this many bytes of floats: past the server's threshold for writing them as
# one ingested table file (4 MiB), and small enough that Python's allocator keeps reusing its
# buffers (at d = 1536, 5,000-row batches (30 MB) loaded 8.6K vectors/s, 1,300 rows 14.1K/s).
DEFAULT_BATCH_BYTES = 8 << 20
MAX_BATCH_ROWS = 100_000  # the server's limit of ids per upsert


def default_batch_size(vectors):
    """Rows per batch for `vectors` (2-D): as many as DEFAULT_BATCH_BYTES of float32 hold."""
    if rows_of(vectors) == 0:
        return 1
    dim = vectors.shape[1] if hasattr(vectors, "shape") else len(vectors[0])
    return max(1, min(MAX_BATCH_ROWS, DEFAULT_BATCH_BYTES // (4 * max(1, dim))))


def bulk_upsert(client, collection, vectors=None, ids=None, payloads=None, batches=None,
                batch_size=None, in_flight=4, checkpoint=None, progress=None, durability=None):
    """Loads `vectors` (a 2-D numpy array or rows; `ids` default to the row numbers, `payloads`
    optional, one per row) or `batches` (an iterable of (ids, vectors[, payloads]) that yields
    the same batches in the same order each time it is run). `batch_size`: rows per call (None:
    about 8 MiB of floats, default_batch_size; batches of their own size otherwise).
    `progress`: None (a bar on a terminal, lines otherwise), True, False or a
    callable(rows_done, total, rows_per_second). Raises the first failed call's grpc.RpcError,
    with the checkpoint at the last batch acknowledged before it."""
    if (vectors is None) == (batches is None):
        raise ValueError("give vectors (with ids and payloads) or batches, one of them")
    if batch_size is None:
        batch_size = default_batch_size(vectors) if vectors is not None else 0
    saved = _Checkpoint(checkpoint, collection, batch_size)
    if vectors is not None:
        total = rows_of(vectors)
        work = _array_batches(vectors, ids, payloads, batch_size, saved.rows)
    else:
        total = None
        work = iter(batches)
        for _ in range(saved.batches):  # sent and acknowledged by an earlier call
            next(work)
    started = time.monotonic()
    progress_bar = _Progress(progress, total, saved.rows, f"bulk_upsert {collection}")
    pending = collections.deque()  # (rows, future), oldest first
    result = BulkResult(total, 0, saved.rows, 0, 0, 0.0)

    def acknowledge_oldest():
        rows, future = pending.popleft()
        response = future.result()
        result.inserted += response.inserted
        result.replaced += response.replaced
        saved.acknowledge(rows)
        progress_bar.advance(rows)

    try:
        for batch in work:
            wire, rows = requests.upsert_wire(collection, batch[0], batch[1],
                                              batch[2] if len(batch) > 2 else None, durability)
            pending.append((rows, client._upsert_wire.future(
                wire, timeout=client._timeout, metadata=client._metadata)))
            result.sent += rows
            while len(pending) >= max(1, in_flight):
                acknowledge_oldest()
        while pending:
            acknowledge_oldest()
    except BaseException:
        for _, future in pending:
            future.cancel()
        raise
    finally:
        progress_bar.close()
    saved.finish()
    result.seconds = time.monotonic() - started
    return result
