#include "tqdb_api.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "filter_proto.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "process_memory.h"
#include "proto_convert.h"
#include "snapshot_names.h"
#include "tqdb/status_macros.h"

namespace tqdb::server {
namespace {

template <typename T>
absl::Span<const T> AsSpan(const google::protobuf::RepeatedField<T>& field) {
  return absl::MakeConstSpan(field.data(), field.size());
}

// A request is refused once its caller has gone or its deadline has passed: checked before the
// work starts (a request queued behind others does no work for nobody), so a refused write never
// commits. One that starts in time may still commit after the deadline (tqdb.proto says so).
absl::Status CheckStillWanted(const CallContext& call) {
  if ((call.cancelled != nullptr && call.cancelled()) ||
      call.deadline < std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError(
        "the deadline passed (or the caller cancelled) before the request started; nothing was "
        "done");
  }
  return absl::OkStatus();
}

// What a search shares with the searches merged with it: the collection (the object, so a
// collection dropped and made again under its name is another), the shard count it is searched
// as, and every option, serialized deterministically (a filter's maps in one order).
std::string MergeKey(const Collection& collection, const CallContext& call,
                     const v1::SearchOptions& options) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    options.SerializeToCodedStream(&coded);
  }
  return absl::StrCat(reinterpret_cast<uintptr_t>(&collection), "/", call.search_parts, "/", bytes);
}

}  // namespace

absl::Status TqdbApi::Authorize(const CallContext& call, Role role,
                                const std::string& collection) const {
  if (api_keys_ == nullptr) return absl::OkStatus();
  return api_keys_->Check(call.authorization, role, collection);
}

absl::Status TqdbApi::CreateCollection(const CallContext& call,
                                       const v1::CreateCollectionRequest& request,
                                       v1::CreateCollectionResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, request.config().name()));
  TQDB_ASSIGN_OR_RETURN(CollectionConfig config, FromProto(request.config()));
  // The engine's own rules first, so a value past them is reported against them; then this
  // server's narrower limits.
  TQDB_RETURN_IF_ERROR(ValidateCollectionConfig(config));
  if (config.quantizer.dim > limits_.max_dimension) {
    return absl::InvalidArgumentError(absl::StrCat("dimension ", config.quantizer.dim,
                                                   " is above this server's limit of ",
                                                   limits_.max_dimension, " (--max_dimension)"));
  }
  const std::vector<std::string> names = database_->ListCollections();
  if (names.size() >= limits_.max_collections &&
      std::find(names.begin(), names.end(), config.name) == names.end()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "this server holds ", names.size(), " collections, its limit (--max_collections)"));
  }
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->CreateCollection(config, request.if_not_exists()));
  *response->mutable_config() = ToProto(collection->config());
  return absl::OkStatus();
}

absl::Status TqdbApi::DropCollection(const CallContext& call,
                                     const v1::DropCollectionRequest& request,
                                     v1::DropCollectionResponse*) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, request.collection()));
  return database_->DropCollection(request.collection());
}

absl::Status TqdbApi::ListCollections(const CallContext& call, const v1::ListCollectionsRequest&,
                                      v1::ListCollectionsResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kRead, ""));
  for (const std::string& name : database_->ListCollections()) response->add_names(name);
  return absl::OkStatus();
}

absl::Status TqdbApi::DescribeCollection(const CallContext& call,
                                         const v1::DescribeCollectionRequest& request,
                                         v1::DescribeCollectionResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kRead, request.collection()));
  TQDB_RETURN_IF_ERROR(CheckStillWanted(call));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  const CollectionInfo info = collection->Describe();
  *response->mutable_config() = ToProto(info.config);
  response->set_count(info.count);
  response->set_bytes_on_disk(info.bytes_on_disk);
  response->set_bytes_in_memory(info.memory.total());
  *response->mutable_memory() = ToProto(info.memory);
  response->set_segments(info.segments);
  response->set_dead_entries(info.dead_entries);
  response->set_code_bytes(info.code_bytes);
  response->set_bits_per_coordinate(info.bits_per_coordinate);
  response->set_bytes_per_vector(BytesPerVector(info.config.quantizer));
  response->mutable_center()->Add(info.center.begin(), info.center.end());
  if (info.partitioning != 0) *response->mutable_partitioning() = PartitioningToProto(info);
  for (const PayloadFieldIndex& field : info.payload_indexes) {
    v1::PayloadIndex* index = response->add_payload_indexes();
    index->set_key(field.key);
    index->set_type(PayloadIndexTypeName(field.type));
  }
  response->set_payload_index_bytes(info.payload_index_bytes);
  response->set_drift(info.drift);
  response->set_recentering(info.recentering);
  response->set_background_jobs(info.background_jobs);
  return absl::OkStatus();
}

v1::GetServerStatsResponse TqdbApi::AccountedMemory() const {
  v1::GetServerStatsResponse response;
  IndexMemory indexes;
  uint64_t vectors = 0;
  const std::vector<std::string> names = database_->ListCollections();
  for (const std::string& name : names) {
    absl::StatusOr<std::shared_ptr<Collection>> collection = database_->GetCollection(name);
    if (!collection.ok()) continue;  // dropped meanwhile
    const CollectionInfo info = (*collection)->Describe();
    vectors += info.count;
    indexes += info.memory;
  }
  const StorageStats storage = database_->Stats();
  response.set_collections(names.size());
  response.set_vectors(vectors);
  *response.mutable_index_memory() = ToProto(indexes);
  response.set_block_cache_bytes(storage.block_cache_bytes);
  response.set_block_cache_capacity(storage.block_cache_capacity);
  response.set_memtable_bytes(storage.memtable_bytes);
  response.set_write_buffer_limit(storage.write_buffer_limit);
  response.set_table_readers_bytes(storage.table_readers_bytes);
  response.set_accounted_bytes(indexes.total() + storage.block_cache_bytes +
                               storage.memtable_bytes + storage.table_readers_bytes);
  response.set_disk_bytes(storage.disk_bytes);
  return response;
}

void TqdbApi::MarkServing() {
  const uint64_t rss = ResidentBytes();
  const uint64_t accounted = AccountedMemory().accounted_bytes();
  baseline_rss_bytes_ = rss > accounted ? rss - accounted : 0;
}

absl::Status TqdbApi::GetServerStats(const CallContext& call, const v1::GetServerStatsRequest&,
                                     v1::GetServerStatsResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, ""));
  *response = AccountedMemory();
  response->set_startup_rss_bytes(startup_rss_bytes_);
  response->set_baseline_rss_bytes(baseline_rss_bytes_);
  response->set_rss_bytes(ResidentBytes());
  const HeapBytes heap = AllocatorBytes();
  response->set_heap_in_use_bytes(heap.in_use);
  response->set_heap_free_bytes(heap.free);
  return absl::OkStatus();
}

absl::Status TqdbApi::RecenterCollection(const CallContext& call,
                                         const v1::RecenterCollectionRequest& request,
                                         v1::RecenterCollectionResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, request.collection()));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  TQDB_ASSIGN_OR_RETURN(const RecenterResult result, collection->Recenter(request.dry_run()));
  response->set_drift(result.drift);
  response->set_reencoded(result.reencoded);
  response->mutable_old_center()->Add(result.old_center.begin(), result.old_center.end());
  response->mutable_new_center()->Add(result.new_center.begin(), result.new_center.end());
  return absl::OkStatus();
}

absl::Status TqdbApi::RepartitionCollection(const CallContext& call,
                                            const v1::RepartitionCollectionRequest& request,
                                            v1::RepartitionCollectionResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, request.collection()));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  TQDB_RETURN_IF_ERROR(collection->Repartition(request.lists()));
  *response->mutable_partitioning() = PartitioningToProto(collection->Describe());
  return absl::OkStatus();
}

absl::Status TqdbApi::CreateSnapshot(const CallContext& call,
                                     const v1::CreateSnapshotRequest& request,
                                     v1::CreateSnapshotResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, request.collection()));
  TQDB_ASSIGN_OR_RETURN(const std::string path, SnapshotPath(snapshot_dir_, request.name()));
  std::error_code error;
  std::filesystem::create_directories(snapshot_dir_, error);
  TQDB_RETURN_IF_ERROR(database_->Snapshot(path, request.collection()));
  response->set_path(path);
  return absl::OkStatus();
}

absl::Status TqdbApi::Upsert(const CallContext& call, const v1::UpsertRequest& request,
                             v1::UpsertResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kWrite, request.collection()));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  TQDB_RETURN_IF_ERROR(CheckStillWanted(call));
  TQDB_ASSIGN_OR_RETURN(WriteOptions options, WriteOptionsFromProto(request.durability()));
  const std::vector<std::string> payloads(request.payloads().begin(), request.payloads().end());
  std::unique_ptr<float[]> vectors;
  TQDB_RETURN_IF_ERROR(CheckOneForm(request.vectors(), request.vectors_f32(), "vectors"));
  TQDB_ASSIGN_OR_RETURN(
      WriteResult result,
      collection->Upsert(AsSpan(request.ids()),
                         Floats(request.vectors(), request.vectors_f32(), &vectors), payloads,
                         options));
  response->set_inserted(response->inserted() + result.inserted);
  response->set_replaced(response->replaced() + result.replaced);
  return absl::OkStatus();
}

absl::Status TqdbApi::Delete(const CallContext& call, const v1::DeleteRequest& request,
                             v1::DeleteResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kWrite, request.collection()));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  TQDB_RETURN_IF_ERROR(CheckStillWanted(call));
  TQDB_ASSIGN_OR_RETURN(WriteOptions options, WriteOptionsFromProto(request.durability()));
  WriteResult result;
  TQDB_ASSIGN_OR_RETURN(const std::optional<Filter> filter, RequestFilter(request));
  if (filter.has_value()) {
    if (request.ids_size() > 0) {
      return absl::InvalidArgumentError("give ids or a filter to delete, not both");
    }
    TQDB_ASSIGN_OR_RETURN(result, collection->DeleteWhere(*filter, options));
  } else {
    TQDB_ASSIGN_OR_RETURN(result, collection->Delete(AsSpan(request.ids()), options));
  }
  response->set_deleted(result.deleted);
  return absl::OkStatus();
}

absl::Status TqdbApi::Get(const CallContext& call, const v1::GetRequest& request,
                          v1::GetResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kRead, request.collection()));
  TQDB_RETURN_IF_ERROR(CheckStillWanted(call));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  TQDB_RETURN_IF_ERROR(
      response_budget_.CheckPlanned(request.ids_size(), collection->dim(), request.with_vectors()));
  TQDB_ASSIGN_OR_RETURN(
      std::vector<Record> records,
      collection->Get(AsSpan(request.ids()), request.with_vectors(), request.with_payloads()));
  TQDB_RETURN_IF_ERROR(response_budget_.CheckRecords(records));
  for (const Record& record : records) {
    ToProto(record, request.f32_bytes(), response->add_records());
  }
  return absl::OkStatus();
}

absl::Status TqdbApi::Search(const CallContext& call, const v1::SearchRequest& request,
                             v1::SearchResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kRead, request.collection()));
  TQDB_RETURN_IF_ERROR(CheckStillWanted(call));
  TQDB_RETURN_IF_ERROR(CheckOneForm(request.query(), request.query_f32(), "query"));
  std::unique_ptr<float[]> copy;
  const absl::Span<const float> query = Floats(request.query(), request.query_f32(), &copy);
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  TQDB_ASSIGN_OR_RETURN(SearchOptions options, FromProto(request.options()));
  options.parts = call.search_parts;
  std::optional<Filter> filter;
  SearchPlan plan;
  TQDB_RETURN_IF_ERROR(FilterFromProto(request.options(), &filter, &plan, &options));
  TQDB_RETURN_IF_ERROR(response_budget_.CheckPlanned(
      std::min<size_t>(options.k, collection->count()), collection->dim(), options.with_vectors));
  std::vector<Record> hits;
  if (merger_.enabled() && options.plan == nullptr &&
      query.size() == static_cast<size_t>(collection->dim())) {
    // Merged with concurrent searches of the same collection and options (a query of another
    // dimension runs alone, where the collection names the error).
    TQDB_ASSIGN_OR_RETURN(hits, merger_.Search(MergeKey(*collection, call, request.options()),
                                               query, [&](absl::Span<const float> rows) {
                                                 return collection->SearchBatch(rows, options);
                                               }));
  } else {
    TQDB_ASSIGN_OR_RETURN(hits, collection->Search(query, options));
  }
  TQDB_RETURN_IF_ERROR(response_budget_.CheckRecords(hits));
  for (const Record& hit : hits) ToProto(hit, request.options().f32_bytes(), response->add_hits());
  if (options.plan != nullptr && filter.has_value()) ToProto(plan, response->mutable_plan());
  return absl::OkStatus();
}

absl::Status TqdbApi::SearchBatch(const CallContext& call, const v1::SearchBatchRequest& request,
                                  v1::SearchBatchResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kRead, request.collection()));
  TQDB_RETURN_IF_ERROR(CheckStillWanted(call));
  TQDB_RETURN_IF_ERROR(CheckOneForm(request.queries(), request.queries_f32(), "queries"));
  std::unique_ptr<float[]> copy;
  const absl::Span<const float> rows = Floats(request.queries(), request.queries_f32(), &copy);
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  TQDB_ASSIGN_OR_RETURN(SearchOptions options, FromProto(request.options()));
  options.parts = call.search_parts;
  std::optional<Filter> filter;
  SearchPlan plan;
  TQDB_RETURN_IF_ERROR(FilterFromProto(request.options(), &filter, &plan, &options));
  const size_t queries = rows.size() / collection->dim();
  TQDB_RETURN_IF_ERROR(
      response_budget_.CheckPlanned(queries * std::min<size_t>(options.k, collection->count()),
                                    collection->dim(), options.with_vectors));
  TQDB_ASSIGN_OR_RETURN(std::vector<std::vector<Record>> results,
                        collection->SearchBatch(rows, options));
  TQDB_RETURN_IF_ERROR(response_budget_.CheckRecords(results));
  for (const std::vector<Record>& hits : results) {
    v1::SearchBatchResponse::Hits* out = response->add_results();
    for (const Record& hit : hits) ToProto(hit, request.options().f32_bytes(), out->add_hits());
  }
  if (options.plan != nullptr && filter.has_value()) ToProto(plan, response->mutable_plan());
  return absl::OkStatus();
}

absl::Status TqdbApi::Count(const CallContext& call, const v1::CountRequest& request,
                            v1::CountResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kRead, request.collection()));
  TQDB_RETURN_IF_ERROR(CheckStillWanted(call));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  TQDB_ASSIGN_OR_RETURN(const Filter filter, RequestFilterOrAll(request));
  TQDB_ASSIGN_OR_RETURN(const size_t count, collection->Count(filter));
  response->set_count(count);
  return absl::OkStatus();
}

absl::Status TqdbApi::Scroll(const CallContext& call, const v1::ScrollRequest& request,
                             v1::ScrollResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kRead, request.collection()));
  TQDB_RETURN_IF_ERROR(CheckStillWanted(call));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  TQDB_ASSIGN_OR_RETURN(const Filter filter, RequestFilterOrAll(request));
  const size_t limit = request.limit() == 0 ? 100 : request.limit();
  TQDB_RETURN_IF_ERROR(response_budget_.CheckPlanned(std::min<size_t>(limit, collection->count()),
                                                     collection->dim(), request.with_vectors()));
  const std::optional<uint64_t> from =
      request.has_from() ? std::optional<uint64_t>(request.from()) : std::nullopt;
  TQDB_ASSIGN_OR_RETURN(
      ScrollPage page,
      collection->Scroll(filter, from, limit, request.with_vectors(), request.with_payloads()));
  TQDB_RETURN_IF_ERROR(response_budget_.CheckRecords(page.records));
  for (const Record& record : page.records) {
    ToProto(record, request.f32_bytes(), response->add_records());
  }
  response->set_has_next(page.next.has_value());
  response->set_next_from(page.next.value_or(0));
  return absl::OkStatus();
}

absl::Status TqdbApi::UpdatePayload(const CallContext& call,
                                    const v1::UpdatePayloadRequest& request,
                                    v1::UpdatePayloadResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kWrite, request.collection()));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  TQDB_RETURN_IF_ERROR(CheckStillWanted(call));
  TQDB_ASSIGN_OR_RETURN(WriteOptions options, WriteOptionsFromProto(request.durability()));
  PayloadUpdate update;
  switch (request.kind()) {
    case v1::UpdatePayloadRequest::KIND_UNSPECIFIED:
    case v1::UpdatePayloadRequest::SET:
      update.kind = PayloadUpdate::Kind::kSet;
      break;
    case v1::UpdatePayloadRequest::OVERWRITE:
      update.kind = PayloadUpdate::Kind::kOverwrite;
      break;
    case v1::UpdatePayloadRequest::DELETE_KEYS:
      update.kind = PayloadUpdate::Kind::kDeleteKeys;
      break;
    case v1::UpdatePayloadRequest::CLEAR:
      update.kind = PayloadUpdate::Kind::kClear;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown payload update kind ", static_cast<int>(request.kind())));
  }
  update.payload = request.payload();
  update.keys.assign(request.keys().begin(), request.keys().end());
  TQDB_ASSIGN_OR_RETURN(const std::optional<Filter> filter, RequestFilter(request));
  if (!filter.has_value() && request.ids_size() == 0) {
    return absl::InvalidArgumentError("give the ids or a filter of the payloads to update");
  }
  TQDB_ASSIGN_OR_RETURN(
      const size_t updated,
      collection->UpdatePayloads(update, AsSpan(request.ids()),
                                 filter.has_value() ? &*filter : nullptr, options));
  response->set_updated(updated);
  return absl::OkStatus();
}

absl::Status TqdbApi::CreatePayloadIndex(const CallContext& call,
                                         const v1::CreatePayloadIndexRequest& request,
                                         v1::CreatePayloadIndexResponse*) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, request.collection()));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> collection,
                        database_->GetCollection(request.collection()));
  TQDB_ASSIGN_OR_RETURN(const PayloadIndexType type, ParsePayloadIndexType(request.type()));
  return collection->CreatePayloadIndex({request.key(), type});
}

namespace {

absl::Status NotANode() {
  return absl::FailedPreconditionError(
      "this server is not a node of a cluster (start it with --etcd to make it one)");
}

}  // namespace

absl::Status TqdbApi::GetClusterStatus(const CallContext& call, const v1::GetClusterStatusRequest&,
                                       v1::GetClusterStatusResponse*) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kRead, ""));
  return NotANode();
}

absl::Status TqdbApi::MoveShard(const CallContext& call, const v1::MoveShardRequest& request,
                                v1::MoveShardResponse*) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, request.collection()));
  return NotANode();
}

}  // namespace tqdb::server
