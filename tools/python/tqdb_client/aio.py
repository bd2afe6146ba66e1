"""The asyncio client of tqdb-server, on grpc.aio: the blocking Client's calls as coroutines.

    import asyncio
    from tqdb_client.aio import AsyncClient

    async def main():
        async with AsyncClient("127.0.0.1:50051") as db:
            await db.upsert("docs", ids=[1], vectors=[[0.1, 0.2, 0.3]])
            hits = await db.search("docs", [0.1, 0.2, 0.3], k=5)
            results = await asyncio.gather(*(db.search("docs", q) for q in queries))

    asyncio.run(main())
"""

import grpc
from grpc import aio

from tqdb.v1 import tqdb_pb2 as pb
from tqdb.v1 import tqdb_pb2_grpc as pb_grpc

from . import _requests as requests


class AsyncClient:
    """A connection to one tqdb-server for asyncio. Errors raise grpc.aio.AioRpcError."""

    def __init__(self, address="127.0.0.1:50051", timeout=60.0, tls_ca=None, tls_cert=None,
                 tls_key=None, api_key=None):
        self._metadata = (("authorization", "Bearer " + api_key),) if api_key else None
        credentials = requests.credentials(grpc, tls_ca, tls_cert, tls_key)
        if credentials is None:
            self._channel = aio.insecure_channel(address, options=requests.channel_options())
        else:
            self._channel = aio.secure_channel(address, credentials,
                                               options=requests.channel_options())
        self._stub = pb_grpc.TqdbStub(self._channel)
        self._upsert_wire, _ = requests.wire_calls(self._channel)
        self._timeout = timeout

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    async def close(self):
        await self._channel.close()

    def _call(self, method, request):
        return getattr(self._stub, method)(request, timeout=self._timeout,
                                           metadata=self._metadata)

    async def create_collection(self, name, dimension, bits=4, metric="cosine",
                                variant="default", store_vectors=True, durability="sync",
                                if_not_exists=False, partition_at=None, nprobe=0,
                                rerank_store="", bytes_per_vector=None, factor_bits=None):
        request = requests.create_collection(name, dimension, bits, metric, variant,
                                             store_vectors, durability, if_not_exists,
                                             partition_at, nprobe, rerank_store,
                                             bytes_per_vector=bytes_per_vector,
                                             factor_bits=factor_bits)
        return (await self._call("CreateCollection", request)).config

    async def drop_collection(self, name):
        await self._call("DropCollection", pb.DropCollectionRequest(collection=name))

    async def list_collections(self):
        return list((await self._call("ListCollections", pb.ListCollectionsRequest())).names)

    async def describe(self, name):
        return await self._call("DescribeCollection",
                                pb.DescribeCollectionRequest(collection=name))

    async def upsert(self, collection, ids, vectors, payloads=None, durability=None):
        wire, _ = requests.upsert_wire(collection, ids, vectors, payloads, durability)
        response = await self._upsert_wire(wire, timeout=self._timeout, metadata=self._metadata)
        return response.inserted, response.replaced

    async def delete(self, collection, ids=(), filter=None):
        return (await self._call("Delete", requests.delete(collection, ids, filter))).deleted

    async def get(self, collection, ids, with_vectors=False, with_payloads=True, as_numpy=False):
        request = requests.get(collection, ids, with_vectors, with_payloads, as_numpy)
        return list((await self._call("Get", request)).records)

    async def search(self, collection, query, k=10, rerank=False, rerank_candidates=0,
                     with_vectors=False, with_payloads=False, nprobe=0, filter=None,
                     as_numpy=False):
        options = requests.options(k, rerank, rerank_candidates, with_vectors, with_payloads,
                                   nprobe, filter, as_numpy)
        return list((await self._call("Search", requests.search(collection, query,
                                                                options))).hits)

    async def search_batch(self, collection, queries, k=10, rerank=False, rerank_candidates=0,
                           with_vectors=False, with_payloads=False, nprobe=0, filter=None,
                           as_numpy=False):
        options = requests.options(k, rerank, rerank_candidates, with_vectors, with_payloads,
                                   nprobe, filter, as_numpy)
        response = await self._call("SearchBatch",
                                    requests.search_batch(collection, queries, options))
        return [list(r.hits) for r in response.results]

    async def count(self, collection, filter=None):
        request = pb.CountRequest(collection=collection, filter=requests.filter_text(filter))
        return (await self._call("Count", request)).count

    async def update_payloads(self, collection, kind="set", payload=None, keys=(), ids=(),
                              filter=None):
        request = requests.update_payloads(collection, kind, payload, keys, ids, filter)
        return (await self._call("UpdatePayload", request)).updated
