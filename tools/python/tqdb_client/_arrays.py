"""Vectors to and from the wire as little-endian float32 bytes (the *_f32 fields of tqdb.proto).

A numpy array goes through numpy's own buffer (no Python object per float); lists and tuples are
packed by the array module in C. numpy is optional: without it, vectors come back as
array.array('f').
"""

import array
import itertools
import sys

try:
    import numpy
except ImportError:  # the client works without numpy, only slower for lists
    numpy = None

_LITTLE = sys.byteorder == "little"


def f32_bytes(rows):
    """Rows of floats (a 2-D numpy array, or a sequence of sequences) as float32 bytes."""
    if numpy is not None and isinstance(rows, numpy.ndarray):
        return numpy.ascontiguousarray(rows, dtype="<f4").tobytes()
    packed = array.array("f", itertools.chain.from_iterable(rows))
    if not _LITTLE:
        packed.byteswap()
    return packed.tobytes()


def f32_buffer(rows):
    """f32_bytes without the copy where it can: a float32 little-endian numpy array's own
    memory, as a byte-wise memoryview (bytes otherwise)."""
    if numpy is not None and isinstance(rows, numpy.ndarray):
        return memoryview(numpy.ascontiguousarray(rows, dtype="<f4")).cast("B")
    return f32_bytes(rows)


def f32_row_bytes(row):
    """One vector (a 1-D numpy array or a sequence) as float32 bytes."""
    if numpy is not None and isinstance(row, numpy.ndarray):
        return numpy.ascontiguousarray(row, dtype="<f4").tobytes()
    return f32_bytes([row])


def rows_of(data):
    """How many rows `data` (a 2-D array or a sequence of rows) has."""
    return data.shape[0] if hasattr(data, "shape") else len(data)


def vector_of(record):
    """A record's vector: a numpy float32 array (array.array('f') without numpy), from the bytes
    of a request made with as_numpy=True or from the repeated floats."""
    if record.vector_f32:
        if numpy is not None:
            return numpy.frombuffer(record.vector_f32, dtype="<f4")
        values = array.array("f", record.vector_f32)
        if not _LITTLE:
            values.byteswap()
        return values
    if numpy is not None:
        return numpy.asarray(record.vector, dtype=numpy.float32)
    return array.array("f", record.vector)
