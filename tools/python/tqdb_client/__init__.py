"""Python client of tqdb-server (package tqdb.v1).

The gRPC stubs are generated at build time (protoc + grpc_python_plugin) into build/python; put
that folder and tools/python on PYTHONPATH. Runs on Debian's python3-grpcio and python3-protobuf.

    from tqdb_client import Client
    with Client("127.0.0.1:50051") as db:
        db.create_collection("docs", dimension=3, bits=4)
        db.upsert("docs", ids=[1, 2], vectors=[[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]],
                  payloads=[b"first", b"second"])
        for hit in db.search("docs", [0.1, 0.2, 0.3], k=2, with_payloads=True):
            print(hit.id, hit.score, hit.payload)

Payloads given as dicts are stored as JSON objects and can be filtered (docs/filters.md):

        db.upsert("docs", ids=[3], vectors=[[0.2, 0.2, 0.2]], payloads=[{"lang": "en"}])
        db.create_payload_index("docs", "lang", "keyword")
        db.search("docs", q, k=10, filter={"must": [{"key": "lang", "match": {"value": "en"}}]})
        db.count("docs", filter={...})
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

__all__ = ["Client", "pb", "payload_of"]

_METRICS = {"cosine": pb.METRIC_COSINE, "ip": pb.METRIC_INNER_PRODUCT, "l2": pb.METRIC_L2}
_DURABILITY = {None: pb.DURABILITY_UNSPECIFIED, "sync": pb.DURABILITY_SYNC,
               "group-commit": pb.DURABILITY_GROUP_COMMIT}


def _payload_bytes(payload):
    """A payload as stored: dicts (and lists) as JSON text, str as UTF-8, bytes as they are."""
    if isinstance(payload, (dict, list)):
        return json.dumps(payload, separators=(",", ":")).encode()
    if isinstance(payload, str):
        return payload.encode()
    return bytes(payload)


def _filter_text(filter):
    """A filter as the server takes it: JSON text (a dict is serialized)."""
    if filter is None:
        return ""
    return filter if isinstance(filter, str) else json.dumps(filter)


def payload_of(record):
    """A record's payload: a dict when it is a JSON object, else its bytes."""
    try:
        value = json.loads(record.payload)
    except (ValueError, UnicodeDecodeError):
        return record.payload
    return value if isinstance(value, dict) else record.payload


def _flatten(vectors):
    """Rows of floats (lists, tuples or a 2-D numpy array) as one flat list."""
    if hasattr(vectors, "reshape"):  # numpy, without importing it
        return vectors.reshape(-1).tolist()
    return [float(x) for row in vectors for x in row]


class Client:
    """A connection to one tqdb-server. Errors raise grpc.RpcError with the server's code."""

    def __init__(self, address="127.0.0.1:50051", timeout=60.0, tls_ca=None, tls_cert=None,
                 tls_key=None, api_key=None):
        """TLS when `tls_ca` (the PEM file of the CA that signed the server's certificate) is
        given, with a client certificate (`tls_cert`, `tls_key`: PEM files) for a server that
        requires one; plaintext otherwise. `api_key` is sent with every call for a server
        started with --api_keys_file."""
        self._metadata = (("authorization", "Bearer " + api_key),) if api_key else None
        options = [("grpc.max_receive_message_length", 2**31 - 1),
                   ("grpc.max_send_message_length", 2**31 - 1)]
        if tls_ca is None:
            if tls_cert is not None:
                raise ValueError("tls_cert needs tls_ca (the server's CA)")
            self._channel = grpc.insecure_channel(address, options=options)
        else:
            def read(path):
                with open(path, "rb") as f:
                    return f.read()
            credentials = grpc.ssl_channel_credentials(
                root_certificates=read(tls_ca),
                private_key=read(tls_key) if tls_cert is not None else None,
                certificate_chain=read(tls_cert) if tls_cert is not None else None)
            self._channel = grpc.secure_channel(address, credentials, options=options)
        self._stub = pb_grpc.TqdbStub(self._channel)
        self._timeout = timeout

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._channel.close()

    def create_collection(self, name, dimension, bits=4, metric="cosine", variant="default",
                          store_vectors=True, durability="sync", if_not_exists=False,
                          partition_at=None, nprobe=0, rerank_store=""):
        """partition_at: split into lists once this many vectors are stored (None: the server's
        default, 50,000; 0: never). nprobe: lists a search probes by default (0: the default).
        rerank_store: where the re-rank reads floats: "disk", "f32", "f16" or "int8" ("": the
        server's default, disk)."""
        config = pb.CollectionConfig(name=name, dimension=dimension, bits=bits,
                                     metric=_METRICS[metric], variant=variant,
                                     store_vectors=store_vectors,
                                     durability=_DURABILITY[durability], nprobe=nprobe,
                                     rerank_store=rerank_store)
        if partition_at is not None:
            config.partition_at = partition_at
        request = pb.CreateCollectionRequest(config=config, if_not_exists=if_not_exists)
        return self._stub.CreateCollection(request, timeout=self._timeout, metadata=self._metadata).config

    def drop_collection(self, name):
        self._stub.DropCollection(pb.DropCollectionRequest(collection=name), timeout=self._timeout, metadata=self._metadata)

    def list_collections(self):
        return list(self._stub.ListCollections(pb.ListCollectionsRequest(),
                                               timeout=self._timeout, metadata=self._metadata).names)

    def describe(self, name):
        return self._stub.DescribeCollection(pb.DescribeCollectionRequest(collection=name),
                                             timeout=self._timeout, metadata=self._metadata)

    def repartition(self, name, lists=0):
        """Partitions now into `lists` lists (0: about sqrt(n)); returns the new Partitioning."""
        request = pb.RepartitionCollectionRequest(collection=name, lists=lists)
        return self._stub.RepartitionCollection(request, timeout=self._timeout,
                                                metadata=self._metadata).partitioning

    def upsert(self, collection, ids, vectors, payloads=None, durability=None):
        """Inserts or replaces; returns (inserted, replaced)."""
        request = pb.UpsertRequest(collection=collection, ids=list(ids),
                                   vectors=_flatten(vectors),
                                   payloads=[_payload_bytes(p) for p in payloads or []],
                                   durability=_DURABILITY[durability])
        response = self._stub.Upsert(request, timeout=self._timeout, metadata=self._metadata)
        return response.inserted, response.replaced

    def upsert_stream(self, collection, batches):
        """Bulk load: `batches` yields (ids, vectors) or (ids, vectors, payloads)."""
        def requests():
            for batch in batches:
                ids, vectors = batch[0], batch[1]
                payloads = [_payload_bytes(p) for p in batch[2]] if len(batch) > 2 else []
                yield pb.UpsertRequest(collection=collection, ids=list(ids),
                                       vectors=_flatten(vectors), payloads=payloads)
        response = self._stub.UpsertStream(requests(), timeout=self._timeout, metadata=self._metadata)
        return response.inserted, response.replaced

    def delete(self, collection, ids=(), filter=None):
        """Deletes the ids, or every point passing `filter`; returns how many existed."""
        request = pb.DeleteRequest(collection=collection, ids=list(ids),
                                   filter=_filter_text(filter))
        return self._stub.Delete(request, timeout=self._timeout, metadata=self._metadata).deleted

    def get(self, collection, ids, with_vectors=False, with_payloads=True):
        request = pb.GetRequest(collection=collection, ids=list(ids), with_vectors=with_vectors,
                                with_payloads=with_payloads)
        return list(self._stub.Get(request, timeout=self._timeout, metadata=self._metadata).records)

    @staticmethod
    def _options(k, rerank, rerank_candidates, with_vectors, with_payloads, nprobe, filter=None):
        return pb.SearchOptions(k=k, rerank=rerank, rerank_candidates=rerank_candidates,
                                with_vectors=with_vectors, with_payloads=with_payloads,
                                nprobe=nprobe, filter=_filter_text(filter))

    def search(self, collection, query, k=10, rerank=False, rerank_candidates=0,
               with_vectors=False, with_payloads=False, nprobe=0, filter=None):
        """nprobe: partitioned collections, the lists searched (0: the collection's default).
        filter: a dict or JSON text (docs/filters.md); only points that pass are returned."""
        request = pb.SearchRequest(
            collection=collection, query=_flatten([query]),
            options=self._options(k, rerank, rerank_candidates, with_vectors, with_payloads,
                                  nprobe, filter))
        return list(self._stub.Search(request, timeout=self._timeout, metadata=self._metadata).hits)

    def search_batch(self, collection, queries, k=10, rerank=False, rerank_candidates=0,
                     with_vectors=False, with_payloads=False, nprobe=0, filter=None):
        request = pb.SearchBatchRequest(
            collection=collection, queries=_flatten(queries),
            options=self._options(k, rerank, rerank_candidates, with_vectors, with_payloads,
                                  nprobe, filter))
        return [list(r.hits) for r in self._stub.SearchBatch(request, timeout=self._timeout, metadata=self._metadata).results]

    def count(self, collection, filter=None):
        """Points that pass `filter` (a dict or JSON text; None: every point)."""
        request = pb.CountRequest(collection=collection, filter=_filter_text(filter))
        return self._stub.Count(request, timeout=self._timeout, metadata=self._metadata).count

    def create_payload_index(self, collection, key, type):
        """Indexes payload field `key` (dotted) as keyword, integer, float, bool or datetime."""
        request = pb.CreatePayloadIndexRequest(collection=collection, key=key, type=type)
        self._stub.CreatePayloadIndex(request, timeout=self._timeout, metadata=self._metadata)

    def scroll(self, collection, filter=None, limit=100, with_payloads=True, with_vectors=False):
        """Yields every point passing `filter` in id order, `limit` per request."""
        request = pb.ScrollRequest(collection=collection, filter=_filter_text(filter),
                                   limit=limit, with_payloads=with_payloads,
                                   with_vectors=with_vectors)
        while True:
            page = self._stub.Scroll(request, timeout=self._timeout, metadata=self._metadata)
            yield from page.records
            if not page.has_next:
                return
            request.has_from = True
            request.__setattr__("from", page.next_from)

    _UPDATES = {"set": pb.UpdatePayloadRequest.SET, "overwrite": pb.UpdatePayloadRequest.OVERWRITE,
                "delete_keys": pb.UpdatePayloadRequest.DELETE_KEYS,
                "clear": pb.UpdatePayloadRequest.CLEAR}

    def update_payloads(self, collection, kind="set", payload=None, keys=(), ids=(), filter=None):
        """kind: "set" (merge `payload`'s keys), "overwrite", "delete_keys" (dotted `keys`) or
        "clear", on the ids or on every point passing `filter`; returns the points changed."""
        request = pb.UpdatePayloadRequest(
            collection=collection, kind=self._UPDATES[kind],
            payload=_payload_bytes(payload) if payload is not None else b"", keys=list(keys),
            ids=list(ids), filter=_filter_text(filter))
        return self._stub.UpdatePayload(request, timeout=self._timeout,
                                        metadata=self._metadata).updated
