"""Python client of tqdb-server (package tqdb.v1).

Installed with pip (tools/python/README.md), or from a build tree: the gRPC stubs are generated
at build time (protoc + grpc_python_plugin) into build/python; put that folder and tools/python on
PYTHONPATH. Runs on Debian's python3-grpcio and python3-protobuf; numpy (python3-numpy) makes
vectors cheaper to send and receive, and tqdm (python3-tqdm) draws bulk loads' progress.

    from tqdb_client import Client
    with Client("127.0.0.1:50051") as db:
        db.create_collection("docs", dimension=3, bits=4)
        db.upsert("docs", ids=[1, 2], vectors=[[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]],
                  payloads=[b"first", b"second"])
        for hit in db.search("docs", [0.1, 0.2, 0.3], k=2, with_payloads=True):
            print(hit.id, hit.score, hit.payload)

Vectors go as float32 bytes: a 2-D numpy array is sent from its own buffer. Large loads:

        db.bulk_upsert("docs", vectors=array, checkpoint="load.json")  # progress, resumable

Payloads given as dicts are stored as JSON objects and can be filtered (docs/filters.md):

        db.upsert("docs", ids=[3], vectors=[[0.2, 0.2, 0.2]], payloads=[{"lang": "en"}])
        db.create_payload_index("docs", "lang", "keyword")
        db.search("docs", q, k=10, filter={"must": [{"key": "lang", "match": {"value": "en"}}]})

tqdb_client.aio.AsyncClient has the same calls for asyncio (grpc.aio).
"""

import json

try:
    import grpc
except ImportError as error:  # another interpreter than Debian's (a pyenv shim, say)
    raise ImportError(
        "tqdb_client needs gRPC for Python: use Debian's /usr/bin/python3 with the package "
        "python3-grpcio (apt-get install python3-grpcio python3-protobuf)") from error

from tqdb.v1 import tqdb_pb2 as pb
from tqdb.v1 import tqdb_pb2_grpc as pb_grpc

from . import _requests as requests
from ._arrays import vector_of

__all__ = ["Client", "pb", "payload_of", "vector_of"]


def payload_of(record):
    """A record's payload: a dict when it is a JSON object, else its bytes."""
    try:
        value = json.loads(record.payload)
    except (ValueError, UnicodeDecodeError):
        return record.payload
    return value if isinstance(value, dict) else record.payload


class Client:
    """A connection to one tqdb-server. Errors raise grpc.RpcError with the server's code."""

    def __init__(self, address="127.0.0.1:50051", timeout=60.0, tls_ca=None, tls_cert=None,
                 tls_key=None, api_key=None):
        """TLS when `tls_ca` (the PEM file of the CA that signed the server's certificate) is
        given, with a client certificate (`tls_cert`, `tls_key`: PEM files) for a server that
        requires one; plaintext otherwise. `api_key` is sent with every call for a server
        started with --api_keys_file."""
        self._metadata = (("authorization", "Bearer " + api_key),) if api_key else None
        credentials = requests.credentials(grpc, tls_ca, tls_cert, tls_key)
        if credentials is None:
            self._channel = grpc.insecure_channel(address, options=requests.channel_options())
        else:
            self._channel = grpc.secure_channel(address, credentials,
                                                options=requests.channel_options())
        self._stub = pb_grpc.TqdbStub(self._channel)
        self._upsert_wire, self._upsert_stream_wire = requests.wire_calls(self._channel)
        self._timeout = timeout

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._channel.close()

    def _call(self, method, request):
        return getattr(self._stub, method)(request, timeout=self._timeout,
                                           metadata=self._metadata)

    def create_collection(self, name, dimension, bits=4, metric="cosine", variant="default",
                          store_vectors=True, durability="sync", if_not_exists=False,
                          partition_at=None, nprobe=0, rerank_store="", shards=0,
                          bytes_per_vector=None, factor_bits=None, replication_factor=1):
        """bits: per coordinate, 1 to 8 in steps of 1/8 (1.5 codes a share of the coordinates
        at one bit more); or bytes_per_vector instead: the widest code that fits, with its
        factors. factor_bits: 16 or 32 bits for each of a vector's two factors (None: 32 with
        bits, 16 with bytes_per_vector; 16 holds l2 and ip norms up to 32752). partition_at:
        split into lists once this many vectors are stored (None: the server's default,
        50,000; 0: never). nprobe: lists a search probes by
        default (0: the default). rerank_store: where the re-rank reads floats: "disk", "f32",
        "f16", "int8" or "mmap" ("": the server's default, mmap when vectors are stored).
        shards: on a cluster (servers started with --etcd), the collection's shard count (0:
        three per node); a server alone ignores it. replication_factor: on a cluster, copies of
        each shard on different nodes (1-3), which follow the owner's log; a write waits for the
        copies in sync, and one takes over when the owner dies."""
        request = requests.create_collection(name, dimension, bits, metric, variant,
                                             store_vectors, durability, if_not_exists,
                                             partition_at, nprobe, rerank_store, shards,
                                             bytes_per_vector, factor_bits, replication_factor)
        return self._call("CreateCollection", request).config

    def drop_collection(self, name):
        self._call("DropCollection", pb.DropCollectionRequest(collection=name))

    def list_collections(self):
        return list(self._call("ListCollections", pb.ListCollectionsRequest()).names)

    def describe(self, name):
        return self._call("DescribeCollection", pb.DescribeCollectionRequest(collection=name))

    def repartition(self, name, lists=0):
        """Partitions now into `lists` lists (0: about sqrt(n)); returns the new Partitioning."""
        request = pb.RepartitionCollectionRequest(collection=name, lists=lists)
        return self._call("RepartitionCollection", request).partitioning

    def upsert(self, collection, ids, vectors, payloads=None, durability=None):
        """Inserts or replaces; returns (inserted, replaced). `vectors`: a 2-D numpy array or
        rows of floats."""
        wire, _ = requests.upsert_wire(collection, ids, vectors, payloads, durability)
        response = self._upsert_wire(wire, timeout=self._timeout, metadata=self._metadata)
        return response.inserted, response.replaced

    def upsert_stream(self, collection, batches):
        """Bulk load on one stream: `batches` yields (ids, vectors) or (ids, vectors, payloads).
        bulk_upsert adds progress and resuming."""
        stream = (requests.upsert_wire(collection, batch[0], batch[1],
                                       batch[2] if len(batch) > 2 else None)[0]
                  for batch in batches)
        response = self._upsert_stream_wire(stream, timeout=self._timeout,
                                            metadata=self._metadata)
        return response.inserted, response.replaced

    def bulk_upsert(self, collection, vectors=None, ids=None, payloads=None, batches=None,
                    batch_size=None, in_flight=4, checkpoint=None, progress=None,
                    durability=None):
        """Loads many vectors with a progress bar and resumes an interrupted load; see
        tqdb_client.bulk.bulk_upsert. Returns a bulk.BulkResult."""
        from .bulk import bulk_upsert
        return bulk_upsert(self, collection, vectors=vectors, ids=ids, payloads=payloads,
                           batches=batches, batch_size=batch_size, in_flight=in_flight,
                           checkpoint=checkpoint, progress=progress, durability=durability)

    def delete(self, collection, ids=(), filter=None):
        """Deletes the ids, or every point passing `filter`; returns how many existed."""
        return self._call("Delete", requests.delete(collection, ids, filter)).deleted

    def get(self, collection, ids, with_vectors=False, with_payloads=True, as_numpy=False):
        """as_numpy: vectors come as float32 bytes; read them with vector_of(record)."""
        request = requests.get(collection, ids, with_vectors, with_payloads, as_numpy)
        return list(self._call("Get", request).records)

    def search(self, collection, query, k=10, rerank=False, rerank_candidates=0,
               with_vectors=False, with_payloads=False, nprobe=0, filter=None, as_numpy=False):
        """nprobe: partitioned collections, the lists searched (0: the collection's default).
        filter: a dict or JSON text (docs/filters.md); only points that pass are returned."""
        options = requests.options(k, rerank, rerank_candidates, with_vectors, with_payloads,
                                   nprobe, filter, as_numpy)
        return list(self._call("Search", requests.search(collection, query, options)).hits)

    def search_batch(self, collection, queries, k=10, rerank=False, rerank_candidates=0,
                     with_vectors=False, with_payloads=False, nprobe=0, filter=None,
                     as_numpy=False):
        options = requests.options(k, rerank, rerank_candidates, with_vectors, with_payloads,
                                   nprobe, filter, as_numpy)
        response = self._call("SearchBatch", requests.search_batch(collection, queries, options))
        return [list(r.hits) for r in response.results]

    def count(self, collection, filter=None):
        """Points that pass `filter` (a dict or JSON text; None: every point)."""
        request = pb.CountRequest(collection=collection, filter=requests.filter_text(filter))
        return self._call("Count", request).count

    def create_payload_index(self, collection, key, type):
        """Indexes payload field `key` (dotted) as keyword, integer, float, bool or datetime."""
        request = pb.CreatePayloadIndexRequest(collection=collection, key=key, type=type)
        self._call("CreatePayloadIndex", request)

    def scroll(self, collection, filter=None, limit=100, with_payloads=True, with_vectors=False,
               as_numpy=False):
        """Yields every point passing `filter` in id order, `limit` per request."""
        request = requests.scroll(collection, filter, limit, with_payloads, with_vectors,
                                  as_numpy)
        while True:
            page = self._call("Scroll", request)
            yield from page.records
            if not page.has_next:
                return
            request.has_from = True
            request.__setattr__("from", page.next_from)

    def update_payloads(self, collection, kind="set", payload=None, keys=(), ids=(), filter=None):
        """kind: "set" (merge `payload`'s keys), "overwrite", "delete_keys" (dotted `keys`) or
        "clear", on the ids or on every point passing `filter`; returns the points changed."""
        request = requests.update_payloads(collection, kind, payload, keys, ids, filter)
        return self._call("UpdatePayload", request).updated

    def cluster_status(self):
        """A cluster's nodes and each collection's shards (owner, epoch, vectors), as the node
        this client talks to sees them (GetClusterStatusResponse); FAILED_PRECONDITION from a
        server alone."""
        return self._call("GetClusterStatus", pb.GetClusterStatusRequest())

    def move_shard(self, collection, shard, to_node):
        """Moves one shard of a cluster's collection to node `to_node`; its writes pause only
        for the move's last round. Returns the MoveShardResponse (bytes, seconds, pause)."""
        request = pb.MoveShardRequest(collection=collection, shard=shard, to_node=to_node)
        return self._call("MoveShard", request)
