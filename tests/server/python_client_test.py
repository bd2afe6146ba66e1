"""The Python client against a real tqdb-server on 127.0.0.1 and a free port (run by CTest).

Usage: python_client_test.py SERVER_BINARY
Also checks server reflection (grpc.reflection.v1alpha) by listing the services.
"""

import asyncio
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

import tqdb_client
from tqdb_client import Client, payload_of, vector_of
from tqdb_client.aio import AsyncClient

try:
    import numpy
except ImportError:
    numpy = None

SERVER = sys.argv.pop(1) if len(sys.argv) > 1 else None
# PythonPackageTest runs this file with a pip-installed client: make sure it is that one.
if os.environ.get("TQDB_EXPECT_INSTALLED"):
    assert "site-packages" in tqdb_client.__file__, tqdb_client.__file__


def start_server(cls, *flags):
    """Starts tqdb-server in a fresh cls.dir; sets cls.server, cls.log and cls.address."""
    cls.dir = tempfile.mkdtemp(prefix="tqdb-py-")
    cls.log = open(os.path.join(cls.dir, "server.log"), "w+")
    cls.server = subprocess.Popen(
        [SERVER, "--data_dir=" + os.path.join(cls.dir, "data"), "--listen=127.0.0.1:0",
         *[flag.format(dir=cls.dir) for flag in flags]],
        stderr=cls.log)
    port = None
    for _ in range(600):
        time.sleep(0.05)
        cls.log.seek(0)
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", cls.log.read())
        if match:
            port = match.group(1)
            break
    assert port, "server did not start"
    cls.address = "127.0.0.1:" + port


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_server(cls)
        cls.client = Client(cls.address)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.terminate()
        cls.server.wait(timeout=30)
        cls.log.close()
        shutil.rmtree(cls.dir)

    def test_round_trip(self):
        db = self.client
        config = db.create_collection("py", dimension=3, bits=4, metric="ip")
        self.assertEqual(config.variant, "mse-ratio")
        self.assertIn("py", db.list_collections())
        inserted, replaced = db.upsert("py", [1, 2, 3],
                                       [[1, 0, 0], [0, 1, 0], [0.9, 0.1, 0]],
                                       payloads=[b"a", b"b", b"c"])
        self.assertEqual((inserted, replaced), (3, 0))
        self.assertEqual(db.upsert_stream("py", [([4], [[0, 0, 1]]), ([5], [[0, 0, 2]])]), (2, 0))
        hits = db.search("py", [1, 0, 0], k=2, rerank=True, with_payloads=True)
        self.assertEqual([h.id for h in hits], [1, 3])
        self.assertEqual(hits[0].payload, b"a")
        self.assertAlmostEqual(hits[0].score, 1.0, places=5)
        batch = db.search_batch("py", [[0, 1, 0], [0, 0, 1]], k=1)
        self.assertEqual([r[0].id for r in batch], [2, 5])
        records = db.get("py", [2, 99], with_vectors=True)
        self.assertTrue(records[0].found)
        self.assertEqual(list(records[0].vector), [0, 1, 0])
        self.assertFalse(records[1].found)
        self.assertEqual(db.delete("py", [2, 2, 99]), 1)
        self.assertEqual(db.describe("py").count, 4)
        db.drop_collection("py")

    def test_fractional_bits_and_budgets(self):
        db = self.client
        config = db.create_collection("frac", dimension=32, bits=2.5)
        self.assertEqual((config.bits, config.bit_eighths), (2, 4))
        described = db.describe("frac")
        self.assertAlmostEqual(described.bits_per_coordinate, 2.5)
        self.assertEqual(described.bytes_per_vector, 10 + 8)  # 16 x 3 bits + 16 x 2 bits
        db.drop_collection("frac")
        # A budget takes 16-bit factors unless told otherwise: 16 + 4 bytes, or 12 + 8.
        config = db.create_collection("budget", dimension=32, bytes_per_vector=20)
        self.assertEqual((config.bits, config.bit_eighths, config.factor_bits), (4, 0, 16))
        self.assertEqual(db.describe("budget").bytes_per_vector, 20)
        db.drop_collection("budget")
        config = db.create_collection("budget", dimension=32, bytes_per_vector=20,
                                      factor_bits=32)
        self.assertEqual((config.bits, config.bit_eighths, config.factor_bits), (3, 0, 32))
        db.drop_collection("budget")
        config = db.create_collection("compact", dimension=32, bits=2, factor_bits=16,
                                      metric="l2")
        self.assertEqual(db.describe("compact").bytes_per_vector, 8 + 4)
        db.upsert("compact", [1, 2], [[1000.0] * 32, [-1000.0] * 32])
        self.assertEqual(db.search("compact", [1000.0] * 32, k=1)[0].id, 1)
        with self.assertRaises(grpc.RpcError) as refused:  # norm 40000 > 32752
            db.upsert("compact", [3], [[40000.0] + [0.0] * 31])
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(db.count("compact"), 2)
        db.drop_collection("compact")
        with self.assertRaises(ValueError):
            db.create_collection("bad", dimension=32, bits=2.3)

    def test_rerank_store(self):
        db = self.client
        db.create_collection("halves", dimension=4, bits=4, rerank_store="f16")
        self.assertEqual(db.describe("halves").config.rerank_store, "f16")
        db.upsert("halves", [1, 2], [[1, 0, 0, 0], [0, 1, 0, 0]])
        hits = db.search("halves", [1, 0, 0, 0], k=1, rerank=True)
        self.assertEqual(hits[0].id, 1)
        self.assertAlmostEqual(hits[0].score, 1.0, places=3)
        db.drop_collection("halves")

    def test_filtered_search_with_dict_payloads(self):
        db = self.client
        db.create_collection("docs", dimension=4, bits=4)
        vectors = [[1, 0, 0, i / 100] for i in range(100)]
        payloads = [{"lang": "de" if i % 10 == 0 else "en", "year": 2000 + i % 5}
                    for i in range(100)]
        payloads[99] = b"opaque bytes"
        db.upsert("docs", list(range(100)), vectors, payloads=payloads)
        german = {"must": [{"key": "lang", "match": {"value": "de"}}]}
        self.assertEqual(db.count("docs", filter=german), 10)
        db.create_payload_index("docs", "lang", "keyword")
        db.create_payload_index("docs", "year", "integer")
        self.assertEqual(db.count("docs", filter=german), 10)
        self.assertEqual(db.count("docs"), 100)
        hits = db.search("docs", [1, 0, 0, 0], k=5, with_payloads=True, filter=german)
        self.assertEqual(len(hits), 5)
        for hit in hits:
            self.assertEqual(hit.id % 10, 0)
            self.assertEqual(payload_of(hit)["lang"], "de")
        recent = '{"must": [{"key": "year", "range": {"gte": 2003}}]}'
        self.assertEqual(db.count("docs", filter=recent), 39)  # 99 holds bytes: no fields
        self.assertEqual(payload_of(db.get("docs", [99])[0]), b"opaque bytes")
        with self.assertRaises(grpc.RpcError) as bad:
            db.count("docs", filter={"must": [{"key": "lang", "range": {"gt": 1}}]})
        self.assertEqual(bad.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual([r.id for r in db.scroll("docs", filter=german, limit=3)],
                         list(range(0, 100, 10)))
        self.assertEqual(db.update_payloads("docs", "set", {"lang": "fr"}, ids=[10, 20]), 2)
        self.assertEqual(db.update_payloads("docs", "delete_keys", keys=["year"],
                                            filter={"must": [{"has_id": [30]}]}), 1)
        self.assertEqual(payload_of(db.get("docs", [30])[0]), {"lang": "de"})
        self.assertEqual(db.delete("docs", filter=german), 8)
        self.assertEqual(db.count("docs"), 92)
        db.drop_collection("docs")

    def test_partitioned_collection(self):
        db = self.client
        db.create_collection("parts", dimension=8, bits=4, partition_at=0, nprobe=3)
        self.assertEqual(db.describe("parts").config.nprobe, 3)
        self.assertEqual(db.describe("parts").config.partition_at, 0)
        rng = random.Random(7)
        # Four tight clusters; each query is a cluster's centre.
        centres = [[rng.gauss(0, 1) for _ in range(8)] for _ in range(4)]
        ids, vectors = [], []
        for i in range(400):
            c = centres[i % 4]
            ids.append(i)
            vectors.append([v + rng.gauss(0, 0.05) for v in c])
        db.upsert("parts", ids, vectors)
        self.assertFalse(db.describe("parts").HasField("partitioning"))  # flat
        partitioning = db.repartition("parts", lists=4)
        self.assertEqual(partitioning.number, 1)
        self.assertEqual(sum(partitioning.list_sizes), 400)
        self.assertEqual(partitioning.nprobe, 3)
        self.assertGreaterEqual(partitioning.imbalance, 1.0)
        described = db.describe("parts")
        self.assertEqual(list(described.partitioning.list_sizes), list(partitioning.list_sizes))
        for q, centre in enumerate(centres):
            hits = db.search("parts", centre, k=5, rerank=True, nprobe=1)
            self.assertTrue(all(h.id % 4 == q for h in hits), [h.id for h in hits])
        with self.assertRaises(grpc.RpcError) as error:
            db.repartition("parts", lists=401)
        self.assertEqual(error.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        db.drop_collection("parts")

    @unittest.skipIf(numpy is None, "python3-numpy is not installed")
    def test_numpy_arrays_in_and_out(self):
        db = self.client
        db.create_collection("np", dimension=8, bits=4)
        rng = numpy.random.default_rng(7)
        vectors = rng.standard_normal((300, 8)).astype(numpy.float32)
        self.assertEqual(db.upsert("np", numpy.arange(300), vectors), (300, 0))
        # The same rows as lists store the same floats.
        db.upsert("np", [1000, 1001], vectors[:2].tolist())
        records = db.get("np", [0, 1000, 7], with_vectors=True, as_numpy=True)
        numpy.testing.assert_array_equal(vector_of(records[0]), vectors[0])
        numpy.testing.assert_array_equal(vector_of(records[1]), vectors[0])
        self.assertEqual(records[0].vector_f32, vectors[0].tobytes())
        numpy.testing.assert_array_equal(vector_of(records[2]), vectors[7])
        # Float64 and non-contiguous arrays are converted; queries by array and by list agree.
        hits = db.search("np", vectors[5].astype(numpy.float64), k=3, rerank=True)
        self.assertEqual(hits[0].id, 5)
        self.assertEqual([h.id for h in hits],
                         [h.id for h in db.search("np", vectors[5].tolist(), k=3, rerank=True)])
        batch = db.search_batch("np", vectors[10:40:10], k=1, rerank=True, with_vectors=True,
                                as_numpy=True)
        self.assertEqual([r[0].id for r in batch], [10, 20, 30])
        numpy.testing.assert_array_equal(vector_of(batch[1][0]), vectors[20])

    @unittest.skipIf(numpy is None, "python3-numpy is not installed")
    def test_upserts_go_as_the_message_protobuf_would_make(self):
        # The client serializes upserts itself (the floats copied once): the server must read
        # what an UpsertRequest with the same fields reads as, whatever the array's layout.
        from tqdb_client import _requests
        rng = numpy.random.default_rng(3)
        wide = rng.standard_normal((40, 300))
        for vectors in (wide.astype(numpy.float32), wide[::2, ::3], wide[:1, :0].tolist(),
                        wide[:3, :5].tolist()):
            ids = numpy.arange(len(vectors), dtype=numpy.uint64) * 2**40
            payloads = [{"n": i} for i in range(len(vectors))] if len(vectors) > 1 else None
            wire, rows = _requests.upsert_wire("c", ids, vectors, payloads, "group-commit")
            self.assertEqual(rows, len(vectors))
            expected = tqdb_client.pb.UpsertRequest(
                collection="c", ids=[int(i) for i in ids],
                vectors_f32=numpy.asarray(vectors, dtype="<f4").tobytes(),
                payloads=[_requests.payload_bytes(p) for p in payloads or []],
                durability=tqdb_client.pb.DURABILITY_GROUP_COMMIT)
            self.assertEqual(tqdb_client.pb.UpsertRequest.FromString(wire), expected)

    @unittest.skipIf(numpy is None, "python3-numpy is not installed")
    def test_bulk_upsert_resumes_after_an_interruption(self):
        db = self.client
        db.create_collection("bulk", dimension=8, bits=4, durability="group-commit")
        vectors = numpy.random.default_rng(3).standard_normal((2300, 8)).astype(numpy.float32)
        checkpoint = os.path.join(self.dir, "bulk.json")

        class Interrupted(Exception):
            pass

        def stop_after_two_batches(done, total, rate):
            self.assertEqual(total, 2300)
            if done >= 1000:
                raise Interrupted()
        with self.assertRaises(Interrupted):
            db.bulk_upsert("bulk", vectors=vectors, batch_size=500, in_flight=2,
                           checkpoint=checkpoint, progress=stop_after_two_batches)
        with open(checkpoint) as f:
            self.assertEqual(json.load(f)["rows_done"], 1000)
        seen = []
        result = db.bulk_upsert("bulk", vectors=vectors, batch_size=500, checkpoint=checkpoint,
                                progress=lambda done, total, rate: seen.append(done))
        self.assertEqual((result.resumed_from, result.sent, result.rows), (1000, 1300, 2300))
        self.assertEqual(seen, [1500, 2000, 2300])
        self.assertFalse(os.path.exists(checkpoint))
        self.assertEqual(db.count("bulk"), 2300)
        numpy.testing.assert_array_equal(
            vector_of(db.get("bulk", [2299], with_vectors=True, as_numpy=True)[0]), vectors[2299])
        # Another load's checkpoint is refused rather than skipping the wrong rows.
        with open(checkpoint, "w") as f:
            json.dump({"collection": "other", "batch_size": 500, "batches_done": 1,
                       "rows_done": 500}, f)
        with self.assertRaises(ValueError):
            db.bulk_upsert("bulk", vectors=vectors, batch_size=500, checkpoint=checkpoint)
        os.remove(checkpoint)

    def test_bulk_upsert_of_batches_with_payloads(self):
        db = self.client
        db.create_collection("bulk2", dimension=2, bits=4)
        batches = [([i * 10 + j for j in range(10)], [[1.0, float(i * 10 + j)] for j in range(10)],
                    [{"i": i * 10 + j} for j in range(10)]) for i in range(7)]
        result = db.bulk_upsert("bulk2", batches=batches, progress=False)
        self.assertEqual((result.inserted, result.sent), (70, 70))
        self.assertEqual(db.count("bulk2", filter={"must": [{"key": "i", "range": {"gte": 65}}]}),
                         5)

    def test_async_client(self):
        async def scenario():
            async with AsyncClient(self.address) as db:
                await db.create_collection("aio", dimension=3, bits=4)
                self.assertEqual(await db.upsert("aio", [1, 2, 3],
                                                 [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                                                 payloads=[{"n": 1}, {"n": 2}, {"n": 3}]),
                                 (3, 0))
                results = await asyncio.gather(
                    *(db.search("aio", [float(i == j) for j in range(3)], k=1)
                      for i in range(3)))
                self.assertEqual([r[0].id for r in results], [1, 2, 3])
                self.assertEqual(await db.count("aio", filter={"must": [
                    {"key": "n", "range": {"gte": 2}}]}), 2)
                records = await db.get("aio", [2], with_vectors=True)
                self.assertEqual(list(records[0].vector), [0, 1, 0])
                self.assertEqual(await db.delete("aio", [1]), 1)
                with self.assertRaises(grpc.aio.AioRpcError) as error:
                    await db.search("nope", [1, 0, 0])
                self.assertEqual(error.exception.code(), grpc.StatusCode.NOT_FOUND)
        asyncio.run(scenario())

    def test_errors_carry_grpc_codes(self):
        db = self.client
        with self.assertRaises(grpc.RpcError) as error:
            db.search("missing", [1, 2, 3])
        self.assertEqual(error.exception.code(), grpc.StatusCode.NOT_FOUND)
        db.create_collection("err", dimension=2, bits=2)
        with self.assertRaises(grpc.RpcError) as error:
            db.upsert("err", [1], [[1, 2, 3]])
        self.assertEqual(error.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        with self.assertRaises(grpc.RpcError) as error:
            db.create_collection("err", dimension=2, bits=2)
        self.assertEqual(error.exception.code(), grpc.StatusCode.ALREADY_EXISTS)
        # A server alone is not a node of a cluster: its cluster calls say so.
        with self.assertRaises(grpc.RpcError) as error:
            db.cluster_status()
        self.assertEqual(error.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        with self.assertRaises(grpc.RpcError) as error:
            db.move_shard("err", 0, "elsewhere")
        self.assertEqual(error.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)

    def test_reflection_lists_the_service(self):
        # ServerReflectionRequest{list_services: ""} is field 7, an empty string: 3a 00.
        channel = grpc.insecure_channel(self.address)
        call = channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda b: b, response_deserializer=lambda b: b)
        replies = list(call(iter([b"\x3a\x00"]), timeout=10))
        channel.close()
        self.assertTrue(any(b"tqdb.v1.Tqdb" in r for r in replies))
        self.assertTrue(any(b"grpc.health.v1.Health" in r for r in replies))


class SecureClientTest(unittest.TestCase):
    """TLS with client certificates and an API key, through the Python client."""

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="tqdb-py-tls-")
        c = cls.certs

        def run(command):
            subprocess.run(command, shell=True, check=True, cwd=c, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

        run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ca.key -out ca.pem "
            "-subj /CN=ca")
        for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                          ("client", "extendedKeyUsage=clientAuth")):
            with open(os.path.join(c, name + ".ext"), "w") as f:
                f.write(ext + "\n")
            run(f"openssl req -newkey rsa:2048 -nodes -keyout {name}.key -out {name}.csr "
                f"-subj /CN={name}")
            run(f"openssl x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                f"-days 2 -out {name}.pem -extfile {name}.ext")
        with open(os.path.join(c, "keys"), "w") as f:
            f.write(hashlib.sha256(b"py-admin-key").hexdigest() + " admin\n")
        start_server(cls, "--tls_cert=" + os.path.join(c, "server.pem"),
                     "--tls_key=" + os.path.join(c, "server.key"),
                     "--tls_client_ca=" + os.path.join(c, "ca.pem"),
                     "--api_keys_file=" + os.path.join(c, "keys"))

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=30)
        cls.log.close()
        shutil.rmtree(cls.dir)
        shutil.rmtree(cls.certs)

    def client(self, **options):
        tls = {"tls_ca": os.path.join(self.certs, "ca.pem"),
               "tls_cert": os.path.join(self.certs, "client.pem"),
               "tls_key": os.path.join(self.certs, "client.key")}
        tls.update(options)
        return Client(self.address, timeout=10, **tls)

    def test_tls_and_key(self):
        with self.client(api_key="py-admin-key") as db:
            db.create_collection("secure", dimension=3, if_not_exists=True)
            self.assertIn("secure", db.list_collections())
        with self.client() as db, self.assertRaises(grpc.RpcError) as no_key:
            db.list_collections()
        self.assertEqual(no_key.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        with self.client(api_key="wrong") as db, self.assertRaises(grpc.RpcError) as wrong:
            db.list_collections()
        self.assertEqual(wrong.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        with Client(self.address, timeout=5, api_key="py-admin-key") as plain, \
                self.assertRaises(grpc.RpcError):
            plain.list_collections()  # plaintext to a TLS port


if __name__ == "__main__":
    unittest.main()
