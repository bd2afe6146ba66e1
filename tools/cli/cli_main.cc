// tqdb: command-line client of tqdb-server.
//
//   tqdb [--server=HOST:PORT] list
//   tqdb create NAME --dim=D --bits=B [--metric=cosine|ip|l2] [--variant=...] [--store_vectors]
//                    [--centering=none|auto] [--partition_at=N] [--nprobe=P]
//                    (B in eighths: --bits=1.5; or --bytes_per_vector=N instead of --bits)
//                    [--factor_bits=16|32]
//                    [--rerank_store=disk|f32|f16|int8|mmap]
//   tqdb describe NAME | drop NAME
//   tqdb recenter NAME [--dry_run]
//   tqdb repartition NAME [--lists=L]
//   tqdb snapshot SNAPSHOT [COLLECTION]   (written under the server's --snapshot_dir)
//   tqdb load NAME FILE [--batch=1000] [--max=N] [--column=embedding] [--first_id=0]
//   tqdb import NAME FILE.csv|FILE.jsonl [--column=embedding] [--id_column=id]
//               [--payload_columns=*|a,b] [--checkpoint=FILE]   (other files: as load)
//   tqdb search NAME [--vector="0.1,0.2,..." | --query_file=FILE --row=N | < vector.txt] [--k=10]
//               [--rerank] [--nprobe=P]
//   tqdb get NAME ID... | delete NAME ID...
//   tqdb count NAME [--filter='{...}'] | index NAME KEY keyword|integer|float|bool|datetime
//   tqdb scroll NAME [--filter=...] [--limit=100] | delete NAME --filter=...
//   tqdb set-payload NAME (ID... | --filter=...) --payload='{"key": value}'
//   tqdb bench NAME --query_file=FILE [--concurrency=1] [--batch=1] [--duration_s=10]
//   tqdb cluster status   (a node of a cluster: its nodes, shards, owners, epochs)
//   tqdb cluster move COLLECTION SHARD NODE   (moves one shard to another node)
//   tqdb cluster rebalance | drain NODE [--dry_run]   (even out shards / empty a node)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cluster_plan.h"
#include "cluster_status.h"
#include "embedding_files.h"
#include "glove_text_stream.h"
#include "grpcpp/grpcpp.h"
#include "load_checkpoint.h"
#include "load_generator.h"
#include "progress.h"
#include "record_files.h"
#include "row_stream.h"
#include "tqdb/collection.h"     // kMaxBatchSize (header constants only)
#include "tqdb/status_macros.h"  // header-only
#include "tqdb/v1/tqdb.grpc.pb.h"
#include "upsert_legs.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "tqdb-server address");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA that signed the server's certificate: connect over TLS (else plaintext)");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate, for a server that requires one");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, api_key, "",
          "API key for a server that requires one (default: the TQDB_API_KEY environment "
          "variable, which keeps it out of the process list)");
ABSL_FLAG(int, dim, 0, "create: dimension");
ABSL_FLAG(double, bits, 4,
          "create: bits per coordinate, 1 to 8 in steps of 1/8 (1.5: a share of the coordinates "
          "at one bit more)");
ABSL_FLAG(int, bytes_per_vector, 0,
          "create: instead of --bits, the widest code whose bytes and the factors' fit");
ABSL_FLAG(int, factor_bits, 0,
          "create: bits of each per-vector factor, 16 or 32 (0: the server's default, 32 with "
          "--bits and 16 with --bytes_per_vector; 16 holds L2 and ip norms up to 32752)");
ABSL_FLAG(std::string, metric, "cosine", "create: cosine, ip or l2");
ABSL_FLAG(std::string, variant, "default",
          "create: default, mse-plain, mse-ratio, mse-unitnorm, prod");
ABSL_FLAG(bool, store_vectors, true, "create: keep float vectors (for get and re-rank)");
ABSL_FLAG(std::string, durability, "sync", "create: sync or group-commit");
ABSL_FLAG(bool, dry_run, false,
          "recenter: only report how far the mean has drifted; cluster rebalance/drain: only list "
          "the moves");
ABSL_FLAG(std::string, centering, "",
          "create: none or auto (default: auto for cosine and l2, none for ip)");
ABSL_FLAG(std::string, rerank_store, "",
          "create: where the re-rank reads floats: disk, f32, f16, int8 or mmap (default: mmap "
          "when vectors are stored)");
ABSL_FLAG(int64_t, partition_at, -1,
          "create: partition once this many vectors are stored (0: never; default 50,000)");
ABSL_FLAG(uint32_t, shards, 0,
          "create, on a cluster: the collection's shards, fixed (0: three per live node)");
ABSL_FLAG(uint32_t, replication_factor, 1,
          "create, on a cluster: copies of each shard on different nodes (1-3); the copies follow "
          "the owner's log, a write waits for those in sync, and one takes over when the owner "
          "dies");
ABSL_FLAG(int, nprobe, 0,
          "create: lists a search probes by default; search/bench: lists to probe (0: default)");
ABSL_FLAG(bool, allow_partial, false,
          "search: on a cluster, answer from the shards that can be reached (the coverage is "
          "printed) instead of failing");
ABSL_FLAG(int, lists, 0, "repartition: number of lists (0: about sqrt(vectors))");
ABSL_FLAG(int, batch, 0,
          "load/import: vectors per upsert message (0: as many as 8 MiB of floats hold; at most "
          "16 MiB of floats each); bench: queries per request (0: 1,000)");
ABSL_FLAG(size_t, max, 0, "load: at most this many vectors (0: all)");
ABSL_FLAG(std::string, column, "embedding", "load/import: CSV/JSON column holding the vector");
ABSL_FLAG(std::string, id_column, "id",
          "import: CSV/JSON column of unsigned integer ids (a file without it: ids from "
          "--first_id on)");
ABSL_FLAG(std::string, payload_columns, "*",
          "import: comma-separated CSV/JSON columns kept as each point's JSON payload; '*': "
          "every column but the vector and the id; empty: none");
ABSL_FLAG(uint64_t, first_id, 0, "load: id of the first vector (ids are consecutive)");
ABSL_FLAG(std::string, checkpoint, "",
          "load: a file recording the rows the server has acknowledged; an interrupted load run "
          "again with it resumes after them (the file is removed when the load completes)");
ABSL_FLAG(std::string, vector, "", "search: the query, e.g. \"0.1,0.2,...\"");
ABSL_FLAG(std::string, query_file, "", "search/bench: a file of queries (any load format)");
ABSL_FLAG(size_t, row, 0, "search: the row of --query_file to use");
ABSL_FLAG(int, k, 10, "search/bench: results per query");
ABSL_FLAG(bool, rerank, false, "search/bench: re-rank with the stored float vectors");
ABSL_FLAG(bool, with_payloads, true, "search/get: print payloads");
ABSL_FLAG(std::string, payload, "", "set-payload: a JSON object whose keys are set");
ABSL_FLAG(int, limit, 100, "scroll: points per request");
ABSL_FLAG(std::string, filter, "",
          "search/bench/count: only points whose JSON payload passes this filter, e.g. "
          "'{\"must\": [{\"key\": \"lang\", \"match\": {\"value\": \"en\"}}]}' "
          "(docs/filters.md)");
ABSL_FLAG(int, concurrency, 1, "bench: client threads");
ABSL_FLAG(double, duration_s, 10, "bench: seconds of load");

namespace tqdb::cli {
namespace {

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "tqdb: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// TLS when --tls_ca is given (with a client certificate when --tls_cert is), else plaintext.
std::shared_ptr<grpc::ChannelCredentials> Credentials() {
  if (absl::GetFlag(FLAGS_tls_ca).empty()) {
    if (!absl::GetFlag(FLAGS_tls_cert).empty()) {
      std::fprintf(stderr, "tqdb: --tls_cert needs --tls_ca (the server's CA)\n");
      std::exit(1);
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFileOrDie(absl::GetFlag(FLAGS_tls_ca));
  if (!absl::GetFlag(FLAGS_tls_cert).empty()) {
    ssl.pem_cert_chain = ReadFileOrDie(absl::GetFlag(FLAGS_tls_cert));
    ssl.pem_private_key = ReadFileOrDie(absl::GetFlag(FLAGS_tls_key));
  }
  return grpc::SslCredentials(ssl);
}

// --api_key, else $TQDB_API_KEY; empty: none.
std::string ApiKey() {
  if (!absl::GetFlag(FLAGS_api_key).empty()) return absl::GetFlag(FLAGS_api_key);
  const char* from_environment = std::getenv("TQDB_API_KEY");
  return from_environment == nullptr ? "" : from_environment;
}

void WithApiKey(grpc::ClientContext* context) {
  if (const std::string key = ApiKey(); !key.empty()) {
    context->AddMetadata("authorization", "Bearer " + key);
  }
}

std::unique_ptr<v1::Tqdb::Stub> Connect() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(INT32_MAX);
  return v1::Tqdb::NewStub(
      grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server), Credentials(), args));
}

int Fail(const std::string& what, const grpc::Status& status) {
  std::fprintf(stderr, "tqdb: %s failed: %s (%d)\n", what.c_str(), status.error_message().c_str(),
               static_cast<int>(status.error_code()));
  return 1;
}

int FailStatus(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "tqdb: %s failed: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

// Rows per upsert message: --batch, but at most 16 MiB of floats whatever it says (the server
// refuses a request over its --max_request_bytes, 64 MiB by default, whole). By default about
// 8 MiB of floats: past the server's threshold for ingesting them as a table file
// (DatabaseOptions::ingest_min_bytes), and large enough that a message's codes form a segment
// that is seldom merged again (1,000 rows a message loaded GloVe at 111K vectors/s, 20,000 at
// 185K/s).
size_t BatchRows(size_t dim) {
  constexpr size_t kMaxMessageBytes = size_t{16} << 20, kDefaultMessageBytes = size_t{8} << 20;
  const size_t row_bytes = dim * sizeof(float);
  const size_t asked = absl::GetFlag(FLAGS_batch) > 0 ? absl::GetFlag(FLAGS_batch)
                                                      : kDefaultMessageBytes / row_bytes;
  return std::clamp<size_t>(
      asked, 1, std::clamp<size_t>(kMaxMessageBytes / row_bytes, 1, tqdb::kMaxBatchSize));
}

int Usage(const char* message) {
  std::fprintf(stderr, "tqdb: %s\n(run tqdb --help for the commands)\n", message);
  return 2;
}

v1::Metric MetricFlag() {
  const std::string m = absl::GetFlag(FLAGS_metric);
  if (m == "ip") return v1::METRIC_INNER_PRODUCT;
  if (m == "l2") return v1::METRIC_L2;
  return v1::METRIC_COSINE;
}

v1::SearchOptions SearchOptionsFlags() {
  v1::SearchOptions options;
  options.set_k(absl::GetFlag(FLAGS_k));
  options.set_rerank(absl::GetFlag(FLAGS_rerank));
  options.set_nprobe(std::max(0, absl::GetFlag(FLAGS_nprobe)));
  options.set_with_payloads(absl::GetFlag(FLAGS_with_payloads));
  options.set_filter(absl::GetFlag(FLAGS_filter));
  options.set_explain(!options.filter().empty());
  options.set_allow_partial(absl::GetFlag(FLAGS_allow_partial));
  return options;
}

void PrintRecord(const v1::Record& r, bool with_score) {
  std::printf("%lu", static_cast<unsigned long>(r.id()));
  if (with_score) std::printf("\t%.6f", r.score());
  if (!r.payload().empty()) std::printf("\t%s", r.payload().c_str());
  std::printf("\n");
}

// Lists and their balance in one paragraph (the sizes themselves would be a wall of numbers).
void PrintPartitioning(const v1::Partitioning& p) {
  if (p.number() == 0) {
    std::printf("partitioning: none (flat)\n");
    return;
  }
  std::vector<uint64_t> sizes(p.list_sizes().begin(), p.list_sizes().end());
  std::sort(sizes.begin(), sizes.end());
  std::printf("partitioning %llu: %zu lists (vectors assigned by %s), default nprobe %u%s\n",
              static_cast<unsigned long long>(p.number()), sizes.size(),
              p.lists_by_direction() ? "direction" : "L2 distance", p.nprobe(),
              p.repartitioning() ? " (re-partitioning in the background)" : "");
  if (sizes.empty()) return;
  std::printf("  list sizes: min %llu, median %llu, max %llu; largest/mean %.2f, imbalance %.3f\n",
              static_cast<unsigned long long>(sizes.front()),
              static_cast<unsigned long long>(sizes[sizes.size() / 2]),
              static_cast<unsigned long long>(sizes.back()), p.largest_to_mean(), p.imbalance());
}

int Create(const std::string& name) {
  v1::CreateCollectionRequest request;
  v1::CollectionConfig* config = request.mutable_config();
  config->set_name(name);
  config->set_dimension(absl::GetFlag(FLAGS_dim));
  if (absl::GetFlag(FLAGS_bytes_per_vector) > 0) {
    config->set_bytes_per_vector(absl::GetFlag(FLAGS_bytes_per_vector));
  } else {
    // Whole eighths only; the server checks the range.
    const double eighths = absl::GetFlag(FLAGS_bits) * 8;
    if (!(eighths >= 8) || eighths != std::floor(eighths) || eighths > 8 * 9) {
      std::fprintf(stderr, "create: --bits must be 1 to 8 in steps of 1/8 (0.125), got %g\n",
                   absl::GetFlag(FLAGS_bits));
      return 2;
    }
    config->set_bits(static_cast<uint32_t>(eighths) / 8);
    config->set_bit_eighths(static_cast<uint32_t>(eighths) % 8);
  }
  if (absl::GetFlag(FLAGS_factor_bits) != 0) {
    config->set_factor_bits(static_cast<uint32_t>(absl::GetFlag(FLAGS_factor_bits)));
  }
  config->set_metric(MetricFlag());
  config->set_variant(absl::GetFlag(FLAGS_variant));
  config->set_store_vectors(absl::GetFlag(FLAGS_store_vectors));
  config->set_centering(absl::GetFlag(FLAGS_centering));
  config->set_rerank_store(absl::GetFlag(FLAGS_rerank_store));
  if (absl::GetFlag(FLAGS_partition_at) >= 0) {
    config->set_partition_at(absl::GetFlag(FLAGS_partition_at));
  }
  config->set_nprobe(std::max(0, absl::GetFlag(FLAGS_nprobe)));
  config->set_durability(absl::GetFlag(FLAGS_durability) == "group-commit"
                             ? v1::DURABILITY_GROUP_COMMIT
                             : v1::DURABILITY_SYNC);
  request.set_shards(absl::GetFlag(FLAGS_shards));
  request.set_replication_factor(absl::GetFlag(FLAGS_replication_factor));
  v1::CreateCollectionResponse response;
  grpc::ClientContext context;
  WithApiKey(&context);
  grpc::Status status = Connect()->CreateCollection(&context, request, &response);
  if (!status.ok()) return Fail("create", status);
  std::printf("created %s\n", response.config().ShortDebugString().c_str());
  return 0;
}

int Describe(const std::string& name) {
  v1::DescribeCollectionRequest request;
  request.set_collection(name);
  v1::DescribeCollectionResponse response;
  grpc::ClientContext context;
  WithApiKey(&context);
  grpc::Status status = Connect()->DescribeCollection(&context, request, &response);
  if (!status.ok()) return Fail("describe", status);
  // The center has `dimension` floats: print its size and length instead.
  double center_sq = 0;
  for (float v : response.center()) center_sq += static_cast<double>(v) * v;
  const int center_size = response.center_size();
  response.clear_center();
  response.mutable_config()->clear_center();
  const v1::Partitioning partitioning = response.partitioning();
  response.clear_partitioning();
  std::printf("%s", response.DebugString().c_str());
  if (center_size > 0) {
    std::printf("center: %d values, |m| = %.4f\n", center_size, std::sqrt(center_sq));
  } else {
    std::printf("center: none\n");
  }
  PrintPartitioning(partitioning);
  return 0;
}

int Repartition(const std::string& name) {
  v1::RepartitionCollectionRequest request;
  request.set_collection(name);
  request.set_lists(std::max(0, absl::GetFlag(FLAGS_lists)));
  v1::RepartitionCollectionResponse response;
  grpc::ClientContext context;
  WithApiKey(&context);
  const auto start = std::chrono::steady_clock::now();
  grpc::Status status = Connect()->RepartitionCollection(&context, request, &response);
  if (!status.ok()) return Fail("repartition", status);
  std::printf("re-partitioned in %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  PrintPartitioning(response.partitioning());
  return 0;
}

// The server's memory by part against its RSS.
int Stats() {
  v1::GetServerStatsResponse response;
  grpc::ClientContext context;
  WithApiKey(&context);
  grpc::Status status = Connect()->GetServerStats(&context, {}, &response);
  if (!status.ok()) return Fail("stats", status);
  std::printf("%s", response.DebugString().c_str());
  const double grown = static_cast<double>(response.rss_bytes()) -
                       static_cast<double>(response.baseline_rss_bytes());
  if (grown > 0) {
    std::printf("accounted / (RSS - baseline): %.2f\n", response.accounted_bytes() / grown);
  }
  return 0;
}

// A snapshot named `snapshot` of every collection, or of `collection` when it is not empty.
int Snapshot(const std::string& snapshot, const std::string& collection) {
  v1::CreateSnapshotRequest request;
  request.set_name(snapshot);
  request.set_collection(collection);
  v1::CreateSnapshotResponse response;
  grpc::ClientContext context;
  WithApiKey(&context);
  grpc::Status status = Connect()->CreateSnapshot(&context, request, &response);
  if (!status.ok()) return Fail("snapshot", status);
  std::printf("snapshot written on the server to %s (serve it with tqdb-server --data_dir=%s)\n",
              response.path().c_str(), response.path().c_str());
  return 0;
}

int Recenter(const std::string& name) {
  v1::RecenterCollectionRequest request;
  request.set_collection(name);
  request.set_dry_run(absl::GetFlag(FLAGS_dry_run));
  v1::RecenterCollectionResponse response;
  grpc::ClientContext context;
  WithApiKey(&context);
  grpc::Status status = Connect()->RecenterCollection(&context, request, &response);
  if (!status.ok()) return Fail("recenter", status);
  std::printf("the mean of the stored vectors is %.4f from the center in use%s\n", response.drift(),
              response.old_center().empty() ? " (none yet)" : "");
  if (!request.dry_run()) {
    std::printf("re-encoded %llu vectors against it\n",
                static_cast<unsigned long long>(response.reencoded()));
  }
  return 0;
}

// Sends rows [resumed, rows) of `path` to collection `name` with `fill` (a resumed run: the
// rows --checkpoint records as acknowledged, passed to `skip` first), and prints the totals.
int SendRows(const char* what, const std::string& name, const std::string& path, size_t rows,
             size_t dim, const std::function<absl::Status(size_t resumed)>& skip,
             const FillRows& fill) {
  absl::StatusOr<LoadCheckpoint> checkpoint = LoadCheckpoint::Open(
      absl::GetFlag(FLAGS_checkpoint), name, path, absl::GetFlag(FLAGS_first_id), rows);
  if (!checkpoint.ok()) return FailStatus(what, checkpoint.status());
  const size_t resumed = checkpoint->rows_done();
  if (resumed > 0) {
    if (absl::Status skipped = skip(resumed); !skipped.ok()) return FailStatus(what, skipped);
    std::fprintf(stderr, "resuming after the %zu rows the server acknowledged (%s)\n", resumed,
                 absl::GetFlag(FLAGS_checkpoint).c_str());
  }
  auto stub = Connect();
  const auto start = std::chrono::steady_clock::now();
  UpsertTotals totals;
  const absl::Status sent = SendUpsertLegs({.stub = stub.get(),
                                            .authorize = WithApiKey,
                                            .collection = name,
                                            .rows = rows,
                                            .batch = BatchRows(dim),
                                            .checkpoint = &*checkpoint,
                                            .checkpoint_path = absl::GetFlag(FLAGS_checkpoint)},
                                           fill, &totals);
  if (!sent.ok()) return FailStatus(what, sent);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("loaded %llu new and %llu replaced vectors in %.1f s (%.0f vectors/s)%s\n",
              static_cast<unsigned long long>(totals.inserted),
              static_cast<unsigned long long>(totals.replaced), seconds, (rows - resumed) / seconds,
              resumed > 0 ? " after resuming" : "");
  return 0;
}

// `tqdb load` of a file whose rows are read as they are sent, one message's worth at a time, so
// the CLI's memory stays flat however large the file: `read` gives the next rows and, where the
// format has them (GloVe's words), their payloads.
using ReadRows =
    std::function<absl::Status(size_t count, float* out, std::vector<std::string>* payloads)>;
int LoadAsSent(const std::string& name, const std::string& path, size_t n, size_t d,
               const std::function<absl::Status(size_t)>& skip, const ReadRows& read) {
  std::fprintf(stderr, "reading %zu vectors of dimension %zu from %s as they are sent\n", n, d,
               path.c_str());
  const uint64_t first_id = absl::GetFlag(FLAGS_first_id);
  std::vector<float> rows;  // one message's, reused
  std::vector<std::string> payloads;
  return SendRows("load", name, path, n, d, skip,
                  [&](size_t begin, size_t end, v1::UpsertRequest* request) {
                    rows.resize((end - begin) * d);
                    TQDB_RETURN_IF_ERROR(read(end - begin, rows.data(), &payloads));
                    for (size_t i = begin; i < end; ++i) request->add_ids(first_id + i);
                    for (std::string& payload : payloads) {
                      request->add_payloads(std::move(payload));
                    }
                    request->set_vectors_f32(reinterpret_cast<const char*>(rows.data()),
                                             rows.size() * sizeof(float));
                    return absl::OkStatus();
                  });
}

// .fvecs, .bvecs or .npy.
int LoadStream(const std::string& name, const std::string& path) {
  absl::StatusOr<std::unique_ptr<RowStream>> stream =
      RowStream::Open(path, absl::GetFlag(FLAGS_max));
  if (!stream.ok()) return FailStatus("load", stream.status());
  RowStream& rows = **stream;
  return LoadAsSent(
      name, path, rows.rows(), rows.dim(), [&](size_t resumed) { return rows.Skip(resumed); },
      [&](size_t count, float* out, std::vector<std::string>* payloads) {
        payloads->clear();
        return rows.Read(count, out);
      });
}

// GloVe text: each row's word is its payload.
int LoadGloveText(const std::string& name, const std::string& path) {
  absl::StatusOr<std::unique_ptr<GloveTextStream>> stream =
      GloveTextStream::Open(path, absl::GetFlag(FLAGS_max));
  if (!stream.ok()) return FailStatus("load", stream.status());
  GloveTextStream& rows = **stream;
  return LoadAsSent(
      name, path, rows.rows(), rows.dim(), [&](size_t resumed) { return rows.Skip(resumed); },
      [&](size_t count, float* out, std::vector<std::string>* payloads) {
        return rows.Read(count, out, payloads);
      });
}

int Load(const std::string& name, const std::string& path) {
  if (RowStream::Handles(path)) return LoadStream(name, path);
  if (IsGloveTextPath(path)) return LoadGloveText(name, path);
  LoadOptions load_options;
  load_options.max_vectors = absl::GetFlag(FLAGS_max);
  load_options.column = absl::GetFlag(FLAGS_column);
  const auto read_start = std::chrono::steady_clock::now();
  absl::StatusOr<EmbeddingFile> file = LoadEmbeddings(path, load_options);
  if (!file.ok()) return FailStatus("load", file.status());
  const size_t n = file->data.count, d = file->data.dim;
  std::fprintf(
      stderr, "read %zu vectors of dimension %zu from %s in %.1f s\n", n, d, path.c_str(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - read_start).count());
  const uint64_t first_id = absl::GetFlag(FLAGS_first_id);
  return SendRows(
      "load", name, path, n, d, [](size_t) { return absl::OkStatus(); },
      [&](size_t begin, size_t end, v1::UpsertRequest* request) {
        for (size_t i = begin; i < end; ++i) {
          request->add_ids(first_id + i);
          if (!file->labels.empty()) request->add_payloads(file->labels[i]);
        }
        request->set_vectors_f32(reinterpret_cast<const char*>(file->data.row(begin)),
                                 (end - begin) * d * sizeof(float));
        return absl::OkStatus();
      });
}

// `tqdb import`: CSV or JSON lines records (vector, id, payload fields), streamed a batch at a
// time; any other file is a `tqdb load`.
int Import(const std::string& name, const std::string& path) {
  if (!absl::EndsWith(path, ".csv") && !absl::EndsWith(path, ".jsonl") &&
      !absl::EndsWith(path, ".json")) {
    return Load(name, path);
  }
  RecordColumns columns;
  columns.vector = absl::GetFlag(FLAGS_column);
  columns.id = absl::GetFlag(FLAGS_id_column);
  const std::string payload = absl::GetFlag(FLAGS_payload_columns);
  columns.payload = payload.empty() ? std::vector<std::string>()
                                    : std::vector<std::string>(absl::StrSplit(payload, ','));
  absl::StatusOr<size_t> rows = CountRecords(path);
  if (!rows.ok()) return FailStatus("import", rows.status());
  absl::StatusOr<std::unique_ptr<RecordReader>> reader = RecordReader::Open(path, columns);
  if (!reader.ok()) return FailStatus("import", reader.status());
  // Messages are sized from the first row's dimension (read by a reader of its own).
  RecordBatch records;
  if (absl::Status read = (*RecordReader::Open(path, columns))->Next(1, &records); !read.ok()) {
    return FailStatus("import", read);
  }
  if (records.rows == 0)
    return FailStatus("import", absl::InvalidArgumentError(path + ": no rows"));
  const uint64_t first_id = absl::GetFlag(FLAGS_first_id);
  return SendRows(
      "import", name, path, *rows, records.vectors.size(),
      [&](size_t resumed) -> absl::Status {
        // The rows acknowledged before are read, not sent.
        for (size_t skipped = 0; skipped < resumed; skipped += records.rows) {
          TQDB_RETURN_IF_ERROR(
              (*reader)->Next(std::min<size_t>(resumed - skipped, 4096), &records));
          if (records.rows == 0) {
            return absl::DataLossError(absl::StrCat(path, " has fewer rows than its checkpoint"));
          }
        }
        return absl::OkStatus();
      },
      [&](size_t begin, size_t end, v1::UpsertRequest* request) -> absl::Status {
        TQDB_RETURN_IF_ERROR((*reader)->Next(end - begin, &records));
        if (records.rows != end - begin) {
          return absl::DataLossError(absl::StrCat(path, " changed while it was imported"));
        }
        for (size_t i = 0; i < records.rows; ++i) {
          request->add_ids(records.ids.empty() ? first_id + begin + i : records.ids[i]);
        }
        for (std::string& payload : records.payloads) request->add_payloads(std::move(payload));
        request->set_vectors_f32(reinterpret_cast<const char*>(records.vectors.data()),
                                 records.vectors.size() * sizeof(float));
        return absl::OkStatus();
      });
}

// The query: --vector, else row --row of --query_file, else a vector read from stdin.
absl::StatusOr<std::vector<float>> QueryVector() {
  if (!absl::GetFlag(FLAGS_vector).empty()) return ParseVectorText(absl::GetFlag(FLAGS_vector));
  if (!absl::GetFlag(FLAGS_query_file).empty()) {
    const size_t row = absl::GetFlag(FLAGS_row);
    LoadOptions options;
    options.max_vectors = row + 1;
    options.column = absl::GetFlag(FLAGS_column);
    absl::StatusOr<EmbeddingFile> file = LoadEmbeddings(absl::GetFlag(FLAGS_query_file), options);
    if (!file.ok()) return file.status();
    if (file->data.count <= row) return absl::OutOfRangeError("--row is past the end of the file");
    return std::vector<float>(file->data.row(row), file->data.row(row) + file->data.dim);
  }
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return ParseVectorText(text);
}

int Search(const std::string& name) {
  absl::StatusOr<std::vector<float>> query = QueryVector();
  if (!query.ok()) {
    std::fprintf(stderr, "tqdb: %s\n", query.status().ToString().c_str());
    return 1;
  }
  v1::SearchRequest request;
  request.set_collection(name);
  request.mutable_query()->Add(query->begin(), query->end());
  *request.mutable_options() = SearchOptionsFlags();
  v1::SearchResponse response;
  grpc::ClientContext context;
  WithApiKey(&context);
  grpc::Status status = Connect()->Search(&context, request, &response);
  if (!status.ok()) return Fail("search", status);
  if (response.coverage().answered() < response.coverage().shards()) {
    std::fprintf(stderr, "partial results: %u of %u shards answered\n",
                 response.coverage().answered(), response.coverage().shards());
  }
  for (const v1::Record& hit : response.hits()) PrintRecord(hit, true);
  if (response.has_plan()) {
    std::fprintf(stderr, "plan: %s, %lu points pass the filter%s\n", response.plan().name().c_str(),
                 static_cast<unsigned long>(response.plan().passing()),
                 response.plan().nprobe() > 0
                     ? (", " + std::to_string(response.plan().nprobe()) + " lists probed").c_str()
                     : "");
  }
  return 0;
}

// Every point passing --filter, page by page (--limit per request), one line each.
int Scroll(const std::string& name) {
  v1::ScrollRequest request;
  request.set_collection(name);
  request.set_filter(absl::GetFlag(FLAGS_filter));
  request.set_limit(static_cast<uint32_t>(std::max(1, absl::GetFlag(FLAGS_limit))));
  request.set_with_payloads(absl::GetFlag(FLAGS_with_payloads));
  auto stub = Connect();
  for (;;) {
    v1::ScrollResponse response;
    grpc::ClientContext context;
    WithApiKey(&context);
    grpc::Status status = stub->Scroll(&context, request, &response);
    if (!status.ok()) return Fail("scroll", status);
    for (const v1::Record& r : response.records()) PrintRecord(r, false);
    if (!response.has_next()) return 0;
    request.set_has_from(true);
    request.set_from(response.next_from());
  }
}

// Merges --payload (a JSON object) into the payloads of the ids, or of the points passing
// --filter.
int SetPayload(const std::string& name, const std::vector<uint64_t>& ids) {
  v1::UpdatePayloadRequest request;
  request.set_collection(name);
  request.set_kind(v1::UpdatePayloadRequest::SET);
  request.set_payload(absl::GetFlag(FLAGS_payload));
  request.mutable_ids()->Add(ids.begin(), ids.end());
  request.set_filter(absl::GetFlag(FLAGS_filter));
  v1::UpdatePayloadResponse response;
  grpc::ClientContext context;
  WithApiKey(&context);
  grpc::Status status = Connect()->UpdatePayload(&context, request, &response);
  if (!status.ok()) return Fail("set-payload", status);
  std::printf("updated %lu\n", static_cast<unsigned long>(response.updated()));
  return 0;
}

int Count(const std::string& name) {
  v1::CountRequest request;
  request.set_collection(name);
  request.set_filter(absl::GetFlag(FLAGS_filter));
  v1::CountResponse response;
  grpc::ClientContext context;
  WithApiKey(&context);
  grpc::Status status = Connect()->Count(&context, request, &response);
  if (!status.ok()) return Fail("count", status);
  std::printf("%lu\n", static_cast<unsigned long>(response.count()));
  return 0;
}

int CreatePayloadIndex(const std::string& name, const std::string& key, const std::string& type) {
  v1::CreatePayloadIndexRequest request;
  request.set_collection(name);
  request.set_key(key);
  request.set_type(type);
  v1::CreatePayloadIndexResponse response;
  grpc::ClientContext context;
  WithApiKey(&context);
  const auto start = std::chrono::steady_clock::now();
  grpc::Status status = Connect()->CreatePayloadIndex(&context, request, &response);
  if (!status.ok()) return Fail("index", status);
  std::printf("indexed '%s' (%s) in %.1f s\n", key.c_str(), type.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}

absl::StatusOr<std::vector<uint64_t>> Ids(const std::vector<char*>& args, size_t from) {
  std::vector<uint64_t> ids;
  for (size_t i = from; i < args.size(); ++i) {
    uint64_t id;
    if (!absl::SimpleAtoi(args[i], &id)) {
      return absl::InvalidArgumentError(std::string("not an id: ") + args[i]);
    }
    ids.push_back(id);
  }
  return ids;
}

int GetOrDelete(const std::string& command, const std::string& name,
                const std::vector<uint64_t>& ids) {
  auto stub = Connect();
  grpc::ClientContext context;
  WithApiKey(&context);
  if (command == "delete") {
    v1::DeleteRequest request;
    request.set_collection(name);
    request.mutable_ids()->Add(ids.begin(), ids.end());
    request.set_filter(absl::GetFlag(FLAGS_filter));
    v1::DeleteResponse response;
    grpc::Status status = stub->Delete(&context, request, &response);
    if (!status.ok()) return Fail("delete", status);
    std::printf("deleted %lu\n", static_cast<unsigned long>(response.deleted()));
    return 0;
  }
  v1::GetRequest request;
  request.set_collection(name);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  request.set_with_payloads(absl::GetFlag(FLAGS_with_payloads));
  v1::GetResponse response;
  grpc::Status status = stub->Get(&context, request, &response);
  if (!status.ok()) return Fail("get", status);
  for (const v1::Record& r : response.records()) {
    if (r.found()) {
      PrintRecord(r, false);
    } else {
      std::printf("%lu\tnot found\n", static_cast<unsigned long>(r.id()));
    }
  }
  return 0;
}

int Bench(const std::string& name) {
  LoadOptions options;
  options.max_vectors = 10000;
  options.column = absl::GetFlag(FLAGS_column);
  absl::StatusOr<EmbeddingFile> file = LoadEmbeddings(absl::GetFlag(FLAGS_query_file), options);
  if (!file.ok()) {
    std::fprintf(stderr, "tqdb: --query_file: %s\n", file.status().ToString().c_str());
    return 1;
  }
  LoadSpec spec;
  spec.collection = name;
  spec.queries = std::move(file->data.values);
  spec.dim = file->data.dim;
  spec.concurrency = std::max(1, absl::GetFlag(FLAGS_concurrency));
  spec.batch = absl::GetFlag(FLAGS_batch) > 0 ? absl::GetFlag(FLAGS_batch) : 1000;
  spec.duration_s = absl::GetFlag(FLAGS_duration_s);
  spec.options = SearchOptionsFlags();
  spec.api_key = ApiKey();
  spec.options.set_with_payloads(false);
  const LoadReport report = RunLoad(absl::GetFlag(FLAGS_server), Credentials(), spec);
  std::printf(
      "| concurrency | batch | requests | queries/s | p50 ms | p95 ms | p99 ms | errors |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::printf("| %d | %d | %zu | %.0f | %.3f | %.3f | %.3f | %zu |\n", spec.concurrency, spec.batch,
              report.requests, report.queries / report.seconds, report.p50_ms, report.p95_ms,
              report.p99_ms, report.errors);
  if (report.errors > 0) {
    std::fprintf(stderr, "first error: %s\n", report.first_error.c_str());
    return 1;
  }
  return 0;
}

// tqdb cluster rebalance / drain NODE: the moves of PlanMoves, one at a time (--dry_run: listed).
int Rebalance(const std::string& drain) {
  v1::GetClusterStatusResponse status;
  {
    grpc::ClientContext context;
    WithApiKey(&context);
    grpc::Status read = Connect()->GetClusterStatus(&context, {}, &status);
    if (!read.ok()) return Fail("cluster status", read);
  }
  const std::vector<cluster::ShardMove> moves = cluster::PlanMoves(status, drain);
  std::printf("%zu shard move(s)%s\n", moves.size(), moves.empty() ? ": balanced already" : "");
  for (const cluster::ShardMove& move : moves) {
    std::printf("shard %u of %s: %s -> %s", move.shard, move.collection.c_str(), move.from.c_str(),
                move.to.c_str());
    if (absl::GetFlag(FLAGS_dry_run)) {
      std::printf(" (dry run)\n");
      continue;
    }
    std::fflush(stdout);
    v1::MoveShardRequest request;
    request.set_collection(move.collection);
    request.set_shard(move.shard);
    request.set_to_node(move.to);
    v1::MoveShardResponse response;
    grpc::ClientContext context;
    WithApiKey(&context);
    grpc::Status moved = Connect()->MoveShard(&context, request, &response);
    if (!moved.ok()) return Fail("cluster move", moved);
    std::printf(": %.1f MB in %.2f s (writes paused %.2f s)\n", response.bytes() / 1e6,
                response.seconds(), response.write_pause_seconds());
  }
  return 0;
}

int Main(const std::vector<char*>& args) {
  if (args.size() < 2) return Usage("no command");
  const std::string command = args[1];
  if (command == "list") {
    v1::ListCollectionsResponse response;
    grpc::ClientContext context;
    WithApiKey(&context);
    grpc::Status status = Connect()->ListCollections(&context, {}, &response);
    if (!status.ok()) return Fail("list", status);
    for (const std::string& name : response.names()) std::printf("%s\n", name.c_str());
    return 0;
  }
  if (command == "stats") return Stats();
  if (command == "cluster" && args.size() >= 3 &&
      (std::string(args[2]) == "rebalance" || std::string(args[2]) == "drain")) {
    const bool drain = std::string(args[2]) == "drain";
    if (drain && args.size() != 4) return Usage("cluster drain NODE");
    return Rebalance(drain ? args[3] : "");
  }
  if (command == "cluster" && args.size() == 6 && std::string(args[2]) == "move") {
    v1::MoveShardRequest request;
    request.set_collection(args[3]);
    uint32_t shard = 0;
    if (!absl::SimpleAtoi(args[4], &shard)) return Usage("cluster move COLLECTION SHARD NODE");
    request.set_shard(shard);
    request.set_to_node(args[5]);
    v1::MoveShardResponse response;
    grpc::ClientContext context;
    WithApiKey(&context);
    grpc::Status status = Connect()->MoveShard(&context, request, &response);
    if (!status.ok()) return Fail("cluster move", status);
    std::printf("shard %u of %s: %s -> %s, epoch %llu, %.1f MB in %.2f s (writes paused %.2f s)\n",
                shard, args[3], response.from_node().c_str(), args[5],
                static_cast<unsigned long long>(response.epoch()), response.bytes() / 1e6,
                response.seconds(), response.write_pause_seconds());
    return 0;
  }
  if (command == "cluster") {
    if (args.size() < 3 || std::string(args[2]) != "status") {
      return Usage("cluster status | move COLLECTION SHARD NODE | rebalance | drain NODE");
    }
    v1::GetClusterStatusResponse response;
    grpc::ClientContext context;
    WithApiKey(&context);
    grpc::Status status = Connect()->GetClusterStatus(&context, {}, &response);
    if (!status.ok()) return Fail("cluster status", status);
    PrintClusterStatus(response, stdout);
    return 0;
  }
  if (command == "snapshot") {
    if (args.size() < 3) return Usage("snapshot needs a name");
    return Snapshot(args[2], args.size() > 3 ? args[3] : "");
  }
  if (args.size() < 3) return Usage("this command needs a collection name");
  const std::string name = args[2];
  if (command == "create") return Create(name);
  if (command == "describe") return Describe(name);
  if (command == "recenter") return Recenter(name);
  if (command == "repartition") return Repartition(name);
  if (command == "drop") {
    v1::DropCollectionRequest request;
    request.set_collection(name);
    v1::DropCollectionResponse response;
    grpc::ClientContext context;
    WithApiKey(&context);
    grpc::Status status = Connect()->DropCollection(&context, request, &response);
    if (!status.ok()) return Fail("drop", status);
    std::printf("dropped %s\n", name.c_str());
    return 0;
  }
  if (command == "import") {
    if (args.size() < 4) return Usage("import needs a file");
    return Import(name, args[3]);
  }
  if (command == "load") {
    if (args.size() < 4) return Usage("load needs a file");
    return Load(name, args[3]);
  }
  if (command == "search") return Search(name);
  if (command == "count") return Count(name);
  if (command == "index") {
    if (args.size() < 5) return Usage("index needs a key and a type");
    return CreatePayloadIndex(name, args[3], args[4]);
  }
  if (command == "bench") return Bench(name);
  if (command == "get" || command == "delete") {
    absl::StatusOr<std::vector<uint64_t>> ids = Ids(args, 3);
    if (!ids.ok()) return Usage(ids.status().ToString().c_str());
    const bool by_filter = command == "delete" && !absl::GetFlag(FLAGS_filter).empty();
    if (ids->empty() && !by_filter) return Usage("give at least one id (delete: or --filter)");
    return GetOrDelete(command, name, *ids);
  }
  if (command == "scroll") return Scroll(name);
  if (command == "set-payload") {
    absl::StatusOr<std::vector<uint64_t>> ids = Ids(args, 3);
    if (!ids.ok()) return Usage(ids.status().ToString().c_str());
    return SetPayload(name, *ids);
  }
  return Usage(("unknown command " + command).c_str());
}

}  // namespace
}  // namespace tqdb::cli

int main(int argc, char** argv) {
  // --help lists the flags defined in this file (absl's default looks for the program's name
  // in the file name, which matches none here; absl hands over the path without its leading /).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return !file.empty() && absl::EndsWith(__FILE__, file);
  };
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "client of tqdb-server.\n"
      "  tqdb list | create NAME --dim=D --bits=B | describe NAME | drop NAME\n"
      "  tqdb recenter NAME [--dry_run] | stats (memory by part)\n"
      "  tqdb cluster status (a node of a cluster: nodes, shards, owners, epochs)\n"
      "  tqdb cluster move COLLECTION SHARD NODE (moves a shard; its writes go on)\n"
      "  tqdb cluster rebalance | drain NODE [--dry_run] (even out shards / empty a node)\n"
      "  tqdb snapshot SNAPSHOT [COLLECTION] (under the server's --snapshot_dir)\n"
      "  tqdb load NAME FILE (.fvecs, .bvecs, .npy, .hdf5, .csv, .jsonl, GloVe text)\n"
      "  tqdb import NAME FILE.csv|FILE.jsonl [--id_column=id] [--payload_columns=*|a,b]\n"
      "  tqdb search NAME --vector=... | --query_file=F --row=N | < file\n"
      "  tqdb get NAME ID... | delete NAME ID...\n"
      "  tqdb count NAME [--filter=JSON] | index NAME KEY keyword|integer|float|bool|datetime\n"
      "  tqdb scroll NAME [--filter=JSON] | delete NAME --filter=JSON\n"
      "  tqdb set-payload NAME (ID... | --filter=JSON) --payload=JSON\n"
      "  tqdb bench NAME --query_file=F --concurrency=C --batch=B --duration_s=S");
  return tqdb::cli::Main(absl::ParseCommandLine(argc, argv));
}
