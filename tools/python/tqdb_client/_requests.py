"""The request messages of every call, shared by the blocking and the asyncio clients."""

import json

from tqdb.v1 import tqdb_pb2 as pb

from ._arrays import f32_buffer, f32_bytes, f32_row_bytes

SERVICE = pb.DESCRIPTOR.services_by_name["Tqdb"].full_name
# UpsertRequest.vectors_f32's key on the wire: its field number, and wire type 2 (length-delimited).
_VECTORS_F32_KEY = bytes([pb.UpsertRequest.VECTORS_F32_FIELD_NUMBER << 3 | 2])

METRICS = {"cosine": pb.METRIC_COSINE, "ip": pb.METRIC_INNER_PRODUCT, "l2": pb.METRIC_L2}
DURABILITY = {None: pb.DURABILITY_UNSPECIFIED, "sync": pb.DURABILITY_SYNC,
              "group-commit": pb.DURABILITY_GROUP_COMMIT}
UPDATES = {"set": pb.UpdatePayloadRequest.SET, "overwrite": pb.UpdatePayloadRequest.OVERWRITE,
           "delete_keys": pb.UpdatePayloadRequest.DELETE_KEYS,
           "clear": pb.UpdatePayloadRequest.CLEAR}


def payload_bytes(payload):
    """A payload as stored: dicts (and lists) as JSON text, str as UTF-8, bytes as they are."""
    if isinstance(payload, (dict, list)):
        return json.dumps(payload, separators=(",", ":")).encode()
    if isinstance(payload, str):
        return payload.encode()
    return bytes(payload)


def filter_text(filter):
    """A filter as the server takes it: JSON text (a dict is serialized)."""
    if filter is None:
        return ""
    return filter if isinstance(filter, str) else json.dumps(filter)


def split_bits(bits):
    """bits per coordinate (1.5) as the proto's whole bits and eighths: (1, 4)."""
    eighths = float(bits) * 8
    if not eighths >= 8 or eighths != int(eighths):
        raise ValueError(f"bits must be 1 to 8 in steps of 1/8 (0.125), got {bits}")
    return int(eighths) // 8, int(eighths) % 8


def create_collection(name, dimension, bits, metric, variant, store_vectors, durability,
                      if_not_exists, partition_at, nprobe, rerank_store, shards=0,
                      bytes_per_vector=None, factor_bits=None, replication_factor=1):
    config = pb.CollectionConfig(name=name, dimension=dimension,
                                 metric=METRICS[metric], variant=variant,
                                 store_vectors=store_vectors, durability=DURABILITY[durability],
                                 nprobe=nprobe, rerank_store=rerank_store)
    if bytes_per_vector is not None:
        config.bytes_per_vector = bytes_per_vector
    else:
        config.bits, config.bit_eighths = split_bits(bits)
    if factor_bits is not None:
        config.factor_bits = factor_bits
    if partition_at is not None:
        config.partition_at = partition_at
    return pb.CreateCollectionRequest(config=config, if_not_exists=if_not_exists, shards=shards,
                                      replication_factor=replication_factor)


def _varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def upsert_wire(collection, ids, vectors, payloads=None, durability=None):
    """An UpsertRequest already serialized, and its row count: the floats are copied once, from the
    array straight into the message. Through UpsertRequest a message's 8 MiB of floats were
    copied four times into new memory (the field, its serialization, gRPC's), and those copies
    and their page faults were 3/4 of the client's CPU in a load. Protocol Buffers reads fields
    in any order, so the floats' field follows the rest."""
    ids = ids.tolist() if hasattr(ids, "tolist") else [int(i) for i in ids]
    head = pb.UpsertRequest(collection=collection, ids=ids,
                            payloads=[payload_bytes(p) for p in payloads or []],
                            durability=DURABILITY[durability]).SerializeToString()
    floats = f32_buffer(vectors)
    return b"".join([head, _VECTORS_F32_KEY, _varint(len(floats)), floats]), len(ids)


def wire_calls(channel):
    """Upsert and UpsertStream taking upsert_wire's bytes as they are."""
    def identity(message):
        return message
    upsert = channel.unary_unary(f"/{SERVICE}/Upsert", request_serializer=identity,
                                 response_deserializer=pb.UpsertResponse.FromString)
    stream = channel.stream_unary(f"/{SERVICE}/UpsertStream", request_serializer=identity,
                                  response_deserializer=pb.UpsertResponse.FromString)
    return upsert, stream


def options(k, rerank, rerank_candidates, with_vectors, with_payloads, nprobe, filter, as_numpy):
    return pb.SearchOptions(k=k, rerank=rerank, rerank_candidates=rerank_candidates,
                            with_vectors=with_vectors, with_payloads=with_payloads,
                            nprobe=nprobe, filter=filter_text(filter), f32_bytes=as_numpy)


def search(collection, query, search_options):
    return pb.SearchRequest(collection=collection, query_f32=f32_row_bytes(query),
                            options=search_options)


def search_batch(collection, queries, search_options):
    return pb.SearchBatchRequest(collection=collection, queries_f32=f32_bytes(queries),
                                 options=search_options)


def get(collection, ids, with_vectors, with_payloads, as_numpy):
    return pb.GetRequest(collection=collection, ids=[int(i) for i in ids],
                         with_vectors=with_vectors, with_payloads=with_payloads,
                         f32_bytes=as_numpy)


def delete(collection, ids, filter):
    return pb.DeleteRequest(collection=collection, ids=[int(i) for i in ids],
                            filter=filter_text(filter))


def update_payloads(collection, kind, payload, keys, ids, filter):
    return pb.UpdatePayloadRequest(
        collection=collection, kind=UPDATES[kind],
        payload=payload_bytes(payload) if payload is not None else b"", keys=list(keys),
        ids=[int(i) for i in ids], filter=filter_text(filter))


def scroll(collection, filter, limit, with_payloads, with_vectors, as_numpy):
    return pb.ScrollRequest(collection=collection, filter=filter_text(filter), limit=limit,
                            with_payloads=with_payloads, with_vectors=with_vectors,
                            f32_bytes=as_numpy)


def channel_options():
    return [("grpc.max_receive_message_length", 2**31 - 1),
            ("grpc.max_send_message_length", 2**31 - 1)]


def credentials(grpc_module, tls_ca, tls_cert, tls_key):
    """TLS credentials, or None for plaintext."""
    if tls_ca is None:
        if tls_cert is not None:
            raise ValueError("tls_cert needs tls_ca (the server's CA)")
        return None

    def read(path):
        with open(path, "rb") as f:
            return f.read()
    return grpc_module.ssl_channel_credentials(
        root_certificates=read(tls_ca),
        private_key=read(tls_key) if tls_cert is not None else None,
        certificate_chain=read(tls_cert) if tls_cert is not None else None)
