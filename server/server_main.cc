// tqdb-server: serves one data directory (an embedded RocksDB database) over gRPC, and with
// --http_listen over HTTP/JSON with a web console (docs/http.md). With --etcd it is a node of a
// cluster instead: its data directory holds its shards, one database each.
//
// Health (grpc.health.v1) and server reflection are on, so grpcurl and any gRPC client can
// discover the service. SIGINT/SIGTERM shut down gracefully: in-flight requests finish, then
// RocksDB closes cleanly.
#include <omp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "api_routes.h"
#include "cluster/cluster_node.h"
#include "cluster/cluster_view.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "http_server.h"
#include "metrics.h"
#include "openapi.h"
#include "process_memory.h"
#include "protobuf_log.h"
#include "service_routes.h"
#include "tqdb/collection_config.h"
#include "tqdb/database.h"
#include "tqdb/simd.h"
#include "tqdb_service.h"
#include "transport_security.h"

ABSL_FLAG(std::string, data_dir, "./data", "data directory (created if missing)");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "address to listen on; port 0 picks a free one");
ABSL_FLAG(int, threads, 0, "search threads (OpenMP) and gRPC workers; 0: all cores");
ABSL_FLAG(bool, merge_searches, false,
          "merge concurrent single-query searches of a collection into batches when every search "
          "thread is busy (same results; a query waits only while every search thread is busy)");
ABSL_FLAG(int, merge_max_queries, 32, "queries in one merged batch at most (1..63)");
ABSL_FLAG(int64_t, max_request_bytes, 64 << 20,
          "largest request accepted; larger ones get RESOURCE_EXHAUSTED (64 MiB: 10,000 vectors "
          "of d = 1536 with room to spare; bulk loads stream batches)");
ABSL_FLAG(int64_t, request_memory_mb, 1024,
          "memory gRPC may hold for all connections and requests in flight together, MiB (its "
          "resource quota); past it, calls are refused with RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_response_bytes, 64 << 20,
          "largest response built; a request that would need more gets RESOURCE_EXHAUSTED");
ABSL_FLAG(bool, accept_log_loss, false,
          "open the data directory even if its write-ahead log was cut short or damaged, giving "
          "up the acknowledged writes it lost (without it, such a directory is refused)");
ABSL_FLAG(std::string, snapshot_dir, "./snapshots",
          "where CreateSnapshot (tqdb snapshot) writes snapshots, one directory each");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain: serve over TLS (with --tls_key)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA: clients must present a certificate it signed (mutual TLS)");
ABSL_FLAG(bool, insecure, false,
          "allow a non-loopback --listen without authenticated clients (a trusted network only)");
ABSL_FLAG(std::string, api_keys_file, "",
          "API keys with roles (server/api_keys.h); clients then send \"authorization: Bearer "
          "<key>\". Reloaded on SIGHUP");
ABSL_FLAG(std::string, metrics_listen, "",
          "serve Prometheus metrics at http://HOST:PORT/metrics (port 0 picks one); empty: off");
ABSL_FLAG(std::string, http_listen, "",
          "serve the HTTP/JSON API, /openapi.json and the web console at HOST:PORT (port 0 picks "
          "one; the same TLS, API keys, limits and loopback rule as --listen); empty: off");
ABSL_FLAG(int, http_connections, 16,
          "HTTP connections served at once; up to 16x more wait, past them: 503");
ABSL_FLAG(bool, print_openapi, false, "print the HTTP API's OpenAPI description and exit");
ABSL_FLAG(int64_t, max_collections, 1000, "collections this server may hold");
ABSL_FLAG(int, max_dimension, tqdb::kMaxDimension,
          "largest dimension a new collection may have (at most the engine's 65,536)");
ABSL_FLAG(int, max_concurrent_streams, 64,
          "requests in flight per client connection; more wait for one to finish");
ABSL_FLAG(int64_t, cache_mb, 64,
          "RocksDB block cache, MiB, shared by all collections: float vectors and payloads read "
          "by get and re-rank, and the table files' index and filter blocks");
ABSL_FLAG(int64_t, write_buffer_mb, 64,
          "RocksDB memtables, MiB, all collections together (flushed once they pass it)");
ABSL_FLAG(int, group_commit_interval_ms, 10, "fsync interval of the log for group-commit writes");
ABSL_FLAG(int, partition_load_window_ms, 1000,
          "a collection that upserts grow by more than 1% of its size within this window is "
          "being loaded, and its partitioning waits until the load slows; 0: never waits");
ABSL_FLAG(int, shutdown_grace_seconds, 30, "how long in-flight requests may run at shutdown");
ABSL_FLAG(std::string, etcd, "",
          "run as a node of a cluster coordinated through these etcd members (host:port,...): "
          "collections are sharded over the nodes and any node answers the whole API "
          "(docs/DESIGN.md, \"Clusters\"); empty: a server alone");
ABSL_FLAG(std::string, node_id, "",
          "this node's id in the cluster (unique, stable across restarts); empty: the address "
          "it listens on");
ABSL_FLAG(int, shards_per_node, 3,
          "a new collection's shards, per live node, when its creation names no count");
ABSL_FLAG(std::string, cluster_tls_ca, "",
          "a node of a cluster that serves TLS (--tls_cert): the PEM CA that signed the other "
          "nodes' certificates; the nodes call each other over TLS, presenting --tls_cert when "
          "they require client certificates (--tls_client_ca)");
ABSL_FLAG(int, rebalance_delay_seconds, 60,
          "a node of a cluster, as its controller: once no node has joined or left and no shard "
          "has moved for this long, even out the shards over the nodes by moving them one at a "
          "time (as `tqdb cluster rebalance`); 0: only by command");
ABSL_FLAG(std::string, controller_key_file, "",
          "a node of a cluster that checks API keys (--api_keys_file): a file holding an admin "
          "key for the controller's own calls (its moves); without it the controller moves "
          "nothing by itself");
ABSL_FLAG(std::string, etcd_tls_ca, "",
          "a node of a cluster: speak TLS to etcd, whose members' certificates this PEM CA "
          "signed; empty: plaintext");
ABSL_FLAG(std::string, etcd_tls_cert, "",
          "with --etcd_tls_ca: the PEM certificate this node presents to etcd (for etcd's "
          "--client-cert-auth)");
ABSL_FLAG(std::string, etcd_tls_key, "", "the private key of --etcd_tls_cert");
ABSL_FLAG(int, replica_timeout_ms, 2000,
          "a node of a cluster, owning a replicated shard: how long a write waits for an in-sync "
          "replica to confirm it before that replica is put out of sync (in etcd) and the write "
          "acknowledged without it");
ABSL_FLAG(int, lease_ttl_seconds, 5,
          "a node's lease in etcd: it takes no writes once it has not renewed it for this long "
          "(reads go on)");

namespace {

constexpr const char* kVersion = "0.1.0";

// Every route of the HTTP port, the OpenAPI description's last.
std::vector<tqdb::server::Route> HttpRoutes(tqdb::server::Api* api,
                                            const tqdb::server::ServiceRouteOptions& options) {
  std::vector<tqdb::server::Route> routes = tqdb::server::ApiRoutes(api);
  tqdb::server::AddServiceRoutes(options, &routes);
  tqdb::server::AddOpenApiRoute(kVersion, &routes);
  return routes;
}

// Serves the HTTP port when --http_listen is set; its address for the start-up line, or an
// error.
absl::StatusOr<std::string> ServeHttp(tqdb::server::Api* api, tqdb::server::ServerMetrics* metrics,
                                      const std::atomic<bool>* serving,
                                      tqdb::server::TransportOptions transport,
                                      std::unique_ptr<tqdb::server::HttpServer>* http) {
  transport.listen = absl::GetFlag(FLAGS_http_listen);
  if (transport.listen.empty()) return std::string();
  tqdb::server::HttpOptions options;
  options.transport = transport;
  options.max_request_bytes =
      static_cast<size_t>(std::max<int64_t>(absl::GetFlag(FLAGS_max_request_bytes), 1));
  options.max_response_bytes =
      static_cast<size_t>(std::max<int64_t>(absl::GetFlag(FLAGS_max_response_bytes), 1));
  options.request_memory_bytes =
      static_cast<size_t>(std::max<int64_t>(absl::GetFlag(FLAGS_request_memory_mb), 16)) << 20;
  options.workers = std::max(1, absl::GetFlag(FLAGS_http_connections));
  options.waiting_connections = 16 * options.workers;
  options.observe = [metrics](const std::string& route, int status, double seconds) {
    metrics->ObserveHttp(route, status, seconds);
  };
  tqdb::server::ServiceRouteOptions routes;
  routes.metrics = [metrics] { return metrics->Render(); };
  routes.ready = [serving] { return serving->load(); };
  *http = std::make_unique<tqdb::server::HttpServer>(HttpRoutes(api, routes), options);
  absl::StatusOr<int> port = (*http)->Start();
  if (!port.ok()) return port.status();
  const std::string& listen = transport.listen;
  return absl::StrCat(" http=", listen.substr(0, listen.rfind(':')), ":", *port);
}

// "Bearer <key>" from --controller_key_file's first line; empty without the flag.
absl::StatusOr<std::string> ControllerAuthorization() {
  const std::string path = absl::GetFlag(FLAGS_controller_key_file);
  if (path.empty()) return std::string();
  std::ifstream in(path);
  std::string key;
  if (!std::getline(in, key) || absl::StripAsciiWhitespace(key).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read a key from ", path, " (--controller_key_file)"));
  }
  return absl::StrCat("Bearer ", absl::StripAsciiWhitespace(key));
}

// --etcd: this server as a node of the cluster those members coordinate, with its shards under
// --data_dir/shards (not registered yet: it joins once it listens).
absl::StatusOr<std::unique_ptr<tqdb::cluster::ClusterNode>> OpenClusterNode(
    const tqdb::server::TransportOptions& transport, const tqdb::DatabaseOptions& db_options,
    const tqdb::server::ServiceOptions& service_options) {
  // The id must be stable across restarts: a port picked at start is not.
  const std::string listen = absl::GetFlag(FLAGS_listen);
  const std::string node_id =
      absl::GetFlag(FLAGS_node_id).empty() ? listen : absl::GetFlag(FLAGS_node_id);
  if (absl::EndsWith(node_id, ":0")) {
    return absl::InvalidArgumentError("a node listening on port 0 needs --node_id");
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> node_credentials =
      tqdb::server::MakeNodeChannelCredentials(transport, absl::GetFlag(FLAGS_cluster_tls_ca));
  if (!node_credentials.ok()) return node_credentials.status();
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> etcd_credentials =
      tqdb::server::MakeEtcdChannelCredentials(absl::GetFlag(FLAGS_etcd_tls_ca),
                                               absl::GetFlag(FLAGS_etcd_tls_cert),
                                               absl::GetFlag(FLAGS_etcd_tls_key));
  if (!etcd_credentials.ok()) return etcd_credentials.status();
  const int ttl_seconds = std::max(2, absl::GetFlag(FLAGS_lease_ttl_seconds));
  int rebalance_delay = std::max(0, absl::GetFlag(FLAGS_rebalance_delay_seconds));
  absl::StatusOr<std::string> controller_authorization = ControllerAuthorization();
  if (!controller_authorization.ok()) return controller_authorization.status();
  if (controller_authorization->empty() && service_options.api_keys != nullptr &&
      rebalance_delay > 0) {
    std::fprintf(stderr,
                 "tqdb-server: the controller moves no shard by itself: the nodes check API keys "
                 "and --controller_key_file gives it none\n");
    rebalance_delay = 0;
  }
  return tqdb::cluster::ClusterNode::Open(
      {.etcd_endpoints = absl::GetFlag(FLAGS_etcd),
       .etcd_credentials = *etcd_credentials,
       .node_id = node_id,
       .data_dir = absl::GetFlag(FLAGS_data_dir),
       .database = db_options,
       .service = service_options,
       .shards_per_node = static_cast<uint32_t>(std::max(1, absl::GetFlag(FLAGS_shards_per_node))),
       .lease_ttl = std::chrono::seconds(ttl_seconds),
       .renew_every = std::chrono::milliseconds(ttl_seconds * 1000 / 3),
       .node_credentials = *node_credentials,
       .rebalance_delay = std::chrono::seconds(rebalance_delay),
       .replica_timeout =
           std::chrono::milliseconds(std::max(1, absl::GetFlag(FLAGS_replica_timeout_ms))),
       .controller_authorization = *std::move(controller_authorization)});
}

// libgomp reads OMP_NUM_THREADS once, before main, into the default that every thread starts
// from; omp_set_num_threads changes only its caller's. gRPC's and HTTP's workers and the
// background jobs' threads therefore searched with all cores whatever --threads said (three
// nodes of a cluster on two cores: a routed search 3x slower). So the server starts itself
// again with OMP_NUM_THREADS set when --threads asks for another count.
void UseThreadsFlagInEveryThread(char** argv) {
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads <= 0) return;
  const std::string wanted = std::to_string(threads);
  const char* current = std::getenv("OMP_NUM_THREADS");
  if (current != nullptr && wanted == current) return;
  setenv("OMP_NUM_THREADS", wanted.c_str(), 1);
  execv("/proc/self/exe", argv);
  std::fprintf(stderr,
               "tqdb-server: could not restart with OMP_NUM_THREADS=%s (%s); "
               "searches in request threads use every core\n",
               wanted.c_str(), strerror(errno));
}

int Run() {
  if (absl::GetFlag(FLAGS_print_openapi)) {
    std::fputs(tqdb::server::OpenApiJson(
                   HttpRoutes(nullptr, {.metrics = [] { return std::string(); }, .ready = nullptr}),
                   kVersion)
                   .c_str(),
               stdout);
    return 0;
  }
  tqdb::server::KeepLargeAllocationsOutOfTheHeap();
  tqdb::server::RateLimitProtobufLogs();
  // Block the shutdown signals before any thread starts, so only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // reloads the API keys file
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Free pages beyond 32 MiB go back to the kernel every 200 ms: a bulk load frees 100-200 MB a
  // second, so a longer period showed as peak RSS (memory_bench: 538 MB at 1 s, 478 at 200 ms).
  const tqdb::server::FreeMemoryReturner memory_returner(uint64_t{32} << 20,
                                                         absl::Milliseconds(200));

  const int threads =
      absl::GetFlag(FLAGS_threads) > 0 ? absl::GetFlag(FLAGS_threads) : omp_get_num_procs();
  omp_set_num_threads(threads);

  // Loaded before anything else starts: a bad file is an error at start, not an open server.
  tqdb::server::ApiKeys api_keys;
  const std::string keys_file = absl::GetFlag(FLAGS_api_keys_file);
  if (!keys_file.empty()) {
    if (absl::Status loaded = api_keys.Load(keys_file); !loaded.ok()) {
      std::fprintf(stderr, "tqdb-server: %s\n", loaded.ToString().c_str());
      return 1;
    }
  }
  tqdb::server::TransportOptions transport;
  if (!keys_file.empty()) transport.api_keys = &api_keys;
  transport.listen = absl::GetFlag(FLAGS_listen);
  transport.cert_file = absl::GetFlag(FLAGS_tls_cert);
  transport.key_file = absl::GetFlag(FLAGS_tls_key);
  transport.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  transport.insecure = absl::GetFlag(FLAGS_insecure);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      tqdb::server::MakeServerCredentials(transport);
  if (!credentials.ok()) {
    std::fprintf(stderr, "tqdb-server: %s\n", credentials.status().ToString().c_str());
    return 1;
  }
  const uint64_t startup_rss_bytes = tqdb::server::ResidentBytes();
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  tqdb::DatabaseOptions db_options;
  db_options.group_commit_interval_ms = absl::GetFlag(FLAGS_group_commit_interval_ms);
  db_options.accept_log_loss = absl::GetFlag(FLAGS_accept_log_loss);
  db_options.partition_load_window =
      std::chrono::milliseconds(std::max(0, absl::GetFlag(FLAGS_partition_load_window_ms)));
  db_options.block_cache_bytes =
      static_cast<size_t>(std::max<int64_t>(0, absl::GetFlag(FLAGS_cache_mb))) << 20;
  db_options.write_buffer_bytes =
      static_cast<size_t>(std::max<int64_t>(0, absl::GetFlag(FLAGS_write_buffer_mb))) << 20;
  const std::string etcd = absl::GetFlag(FLAGS_etcd);
  std::unique_ptr<tqdb::Database> database;          // a server alone
  std::unique_ptr<tqdb::cluster::ClusterNode> node;  // a node of a cluster
  size_t vectors = 0;
  size_t collections = 0;
  if (etcd.empty()) {
    absl::StatusOr<std::unique_ptr<tqdb::Database>> opened =
        tqdb::Database::Open(data_dir, db_options);
    if (!opened.ok()) {
      std::fprintf(stderr, "tqdb-server: cannot open %s: %s\n", data_dir.c_str(),
                   opened.status().ToString().c_str());
      return 1;
    }
    database = std::move(*opened);
    const std::vector<std::string> names = database->ListCollections();
    collections = names.size();
    for (const std::string& name : names) {
      if (auto collection = database->GetCollection(name); collection.ok()) {
        vectors += (*collection)->Describe().count;
      }
    }
  }
  // A snapshot killed midway leaves its private staging directory behind.
  if (absl::StatusOr<int> removed =
          tqdb::Database::RemoveAbandonedSnapshots(absl::GetFlag(FLAGS_snapshot_dir));
      removed.ok() && *removed > 0) {
    std::fprintf(stderr, "tqdb-server: removed %d unfinished snapshot(s) from %s\n", *removed,
                 absl::GetFlag(FLAGS_snapshot_dir).c_str());
  }
  tqdb::server::ServiceOptions service_options;
  service_options.limits.max_response_bytes =
      static_cast<size_t>(std::max<int64_t>(absl::GetFlag(FLAGS_max_response_bytes), 1));
  service_options.snapshot_dir = absl::GetFlag(FLAGS_snapshot_dir);
  service_options.startup_rss_bytes = startup_rss_bytes;
  service_options.limits.max_collections =
      static_cast<size_t>(std::max<int64_t>(absl::GetFlag(FLAGS_max_collections), 0));
  service_options.limits.max_dimension = absl::GetFlag(FLAGS_max_dimension);
  service_options.merge.slots = absl::GetFlag(FLAGS_merge_searches) ? threads : 0;
  service_options.merge.max_queries =
      static_cast<size_t>(std::clamp(absl::GetFlag(FLAGS_merge_max_queries), 1, 63));
  if (!keys_file.empty()) service_options.api_keys = &api_keys;
  std::unique_ptr<tqdb::server::TqdbApi> local_api;
  tqdb::server::Api* api = nullptr;
  if (database != nullptr) {
    local_api = std::make_unique<tqdb::server::TqdbApi>(database.get(), service_options);
    api = local_api.get();
  } else {
    absl::StatusOr<std::unique_ptr<tqdb::cluster::ClusterNode>> opened =
        OpenClusterNode(transport, db_options, service_options);
    if (!opened.ok()) {
      std::fprintf(stderr, "tqdb-server: cannot join the cluster at %s: %s\n", etcd.c_str(),
                   opened.status().ToString().c_str());
      return 1;
    }
    node = std::move(*opened);
    api = node->api();
  }
  // A server alone answers single searches on gRPC's callback threads; a cluster node's routed
  // searches wait for other nodes, so it keeps every RPC on the sync workers.
  std::unique_ptr<tqdb::server::TqdbService> service_owner =
      node == nullptr ? std::make_unique<tqdb::server::LocalTqdbService>(api)
                      : std::make_unique<tqdb::server::TqdbService>(api);
  tqdb::server::TqdbService& service = *service_owner;
  grpc::EnableDefaultHealthCheckService(true);
  // Reflection describes the whole API; with API keys it is served only where keys are checked
  // on every call's headers (tqdb::server::KeysCheckedInHeaders).
  if (keys_file.empty() || tqdb::server::KeysCheckedInHeaders(transport)) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  std::unique_ptr<tqdb::server::ServerMetrics> metrics_owner =
      node != nullptr ? std::make_unique<tqdb::server::ServerMetrics>(
                            [node = node.get()] { return node->MetricsSources(); })
                      : std::make_unique<tqdb::server::ServerMetrics>(database.get());
  tqdb::server::ServerMetrics& metrics = *metrics_owner;
  if (local_api != nullptr) {
    metrics.WatchSearchMerger([api = local_api.get()] { return api->merged_searches(); });
  }
  std::string metrics_line;
  if (const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
      !metrics_listen.empty()) {
    absl::StatusOr<int> metrics_port = metrics.Serve(metrics_listen);
    if (!metrics_port.ok()) {
      std::fprintf(stderr, "tqdb-server: %s\n", metrics_port.status().ToString().c_str());
      return 1;
    }
    metrics_line = absl::StrCat(" metrics=", metrics_listen.substr(0, metrics_listen.rfind(':')),
                                ":", *metrics_port);
  }
  grpc::ServerBuilder builder;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(metrics.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(creators));
  // gRPC sets SO_REUSEPORT by default, which lets a second server bind the same port and take
  // half the connections to another data directory; a port already in use must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // One client connection cannot occupy every worker with requests in flight.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             std::max(1, absl::GetFlag(FLAGS_max_concurrent_streams)));
  // Other nodes ping a connection every second while their calls wait (cluster/cluster_view.h);
  // gRPC's default would close it after two such pings.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             tqdb::cluster::kPingEveryMs / 2);
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), *credentials, &port);
  const int64_t max_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<int64_t>(max_bytes, INT32_MAX)));
  builder.SetMaxSendMessageSize(INT32_MAX);
  // What unauthenticated or slow clients can make the server hold is bounded as a whole, not
  // only per request.
  grpc::ResourceQuota quota("tqdb-server");
  quota.Resize(static_cast<size_t>(std::max<int64_t>(absl::GetFlag(FLAGS_request_memory_mb), 16))
               << 20);
  builder.SetResourceQuota(quota);
  // Workers past this count exit after their request and are started again for the next: keep
  // enough for the requests in flight (a cluster node serves its clients' and other nodes'),
  // since a thread's start and exit cost more than a small search. Searches still use --threads.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              std::max(16, threads));
  builder.RegisterService(&service);
  if (node != nullptr) builder.RegisterService(node->transfer_service());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr,
                 "tqdb-server: cannot listen on %s: the address is in use (another server?) or "
                 "not an address of this machine\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  std::atomic<bool> serving{false};
  std::unique_ptr<tqdb::server::HttpServer> http;
  absl::StatusOr<std::string> http_line = ServeHttp(api, &metrics, &serving, transport, &http);
  if (!http_line.ok()) {
    std::fprintf(stderr, "tqdb-server: %s\n", http_line.status().ToString().c_str());
    server->Shutdown();
    return 1;
  }
  const std::string listen = absl::GetFlag(FLAGS_listen);
  const std::string host = listen.substr(0, listen.rfind(':'));
  std::string cluster_line;
  if (node != nullptr) {
    const std::string address = absl::StrCat(host, ":", port);
    if (absl::Status joined = node->Join(address); !joined.ok()) {
      std::fprintf(stderr, "tqdb-server: cannot register in etcd: %s\n", joined.ToString().c_str());
      server->Shutdown();
      return 1;
    }
    collections = node->collection_count();
    vectors = node->vector_count();
    cluster_line =
        absl::StrCat(" etcd=", etcd, " node=", node->node_id(), " shards=", node->shard_count());
  }
  memory_returner.ReturnNow();
  if (local_api != nullptr) local_api->MarkServing();
  if (node != nullptr) node->MarkServing();
  serving = true;
  std::fprintf(stderr,
               "tqdb-server %s listening on %s:%d data_dir=%s collections=%zu vectors=%zu "
               "threads=%d simd=%s allocator=%s%s%s%s\n",
               kVersion, host.c_str(), port, data_dir.c_str(), collections, vectors, threads,
               tqdb::ActiveSimdLevelName(), tqdb::server::AllocatorName(), metrics_line.c_str(),
               http_line->c_str(), cluster_line.c_str());
  std::fflush(stderr);

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    if (keys_file.empty()) continue;
    const absl::Status reloaded = api_keys.Load(keys_file);
    std::fprintf(stderr, "tqdb-server: SIGHUP: %s\n",
                 reloaded.ok() ? "API keys reloaded"
                               : ("kept the previous API keys: " + reloaded.ToString()).c_str());
    std::fflush(stderr);
  }
  std::fprintf(stderr, "tqdb-server: %s received, finishing in-flight requests\n",
               strsignal(signal_number));
  if (node != nullptr) node->PrepareToStop();
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  serving = false;
  if (http != nullptr) http->Stop();  // finishes the HTTP requests in flight
  server->Wait();
  metrics.Stop();
  node.reset();      // leaves the cluster, then closes the shards
  database.reset();  // closes RocksDB after the last request
  std::fprintf(stderr, "tqdb-server: stopped cleanly\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // --help lists the flags defined in this file (absl's default looks for the program's name
  // in the file name, which matches none here; absl hands over the path without its leading /).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return !file.empty() && absl::EndsWith(__FILE__, file);
  };
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "Serves a tqdb data directory over gRPC (package tqdb.v1) and, with --http_listen, "
      "HTTP/JSON.");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with deadlock detection on: every lock and unlock of a Mutex then
  // updated a graph of lock order (GraphCycles, ~1% of a single query's server CPU). The lock
  // annotations (clang -Wthread-safety) and the ThreadSanitizer tests check the order instead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  UseThreadsFlagInEveryThread(argv);
  return Run();
}
