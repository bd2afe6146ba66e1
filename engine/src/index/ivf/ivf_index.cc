#include "tqdb/ivf_index.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "index/id_map.h"
#include "index/ivf/coarse_quantizer.h"
#include "index/ivf/ivf_encoder.h"
#include "index/query_scan.h"
#include "index/rerank.h"
#include "index/slot_arrays.h"
#include "index/topk.h"
#include "index/vector_checks.h"
#include "tqdb/status_macros.h"

namespace tqdb {

int DefaultNprobe(size_t lists) {
  return static_cast<int>(std::min<size_t>(lists, std::max<size_t>(32, lists / 16)));
}

size_t DefaultListCount(size_t n) {
  return std::max<size_t>(1, static_cast<size_t>(std::lround(std::sqrt(static_cast<double>(n)))));
}

IvfIndex::IvfIndex(const IvfIndexOptions& options) : options_(options) {}
IvfIndex::~IvfIndex() = default;

absl::StatusOr<std::unique_ptr<IvfIndex>> IvfIndex::Train(const IvfIndexOptions& options,
                                                          absl::Span<const float> sample,
                                                          size_t lists) {
  const int d = options.quantizer.dim;
  if (d < 1) return absl::InvalidArgumentError(absl::StrCat("dimension must be >= 1, got ", d));
  TQDB_ASSIGN_OR_RETURN(const size_t count, CountQueries(sample, d));
  TQDB_RETURN_IF_ERROR(ValidateVectors(sample, count, d));
  if (lists < 1 || lists > count) {
    return absl::InvalidArgumentError(absl::StrCat("training ", lists, " lists needs at least as ",
                                                   "many sample vectors; got ", count));
  }
  std::vector<float> rows = ivf::CoarseRows(options.metric, d, sample);
  // At most training_points_per_list per list, drawn at random: k-means costs rows x lists x d.
  const size_t wanted = std::max<size_t>(lists, options.training_points_per_list * lists);
  if (count > wanted) {
    const std::vector<size_t> order = ivf::RandomDistinct(count, wanted, options.training_seed);
    std::vector<float> subset(wanted * d);
    for (size_t i = 0; i < wanted; ++i) {
      std::copy_n(rows.begin() + order[i] * d, d, subset.begin() + i * d);
    }
    rows = std::move(subset);
  }
  ivf::KMeansOptions kmeans;
  kmeans.iterations = options.training_iterations;
  kmeans.seed = options.training_seed;
  return Create(options, ivf::KMeans(rows.data(), rows.size() / d, d, lists, kmeans));
}

std::vector<size_t> IvfIndex::TrainingSample(const IvfIndexOptions& options, size_t candidates,
                                             size_t lists) {
  const size_t wanted = std::min(candidates, options.training_points_per_list * lists);
  return ivf::RandomDistinct(candidates, wanted, options.training_seed);
}

absl::StatusOr<std::unique_ptr<IvfIndex>> IvfIndex::Create(const IvfIndexOptions& options,
                                                           std::vector<float> centroids) {
  const int d = options.quantizer.dim;
  if (d < 1) return absl::InvalidArgumentError(absl::StrCat("dimension must be >= 1, got ", d));
  if (centroids.empty() || centroids.size() % d != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        centroids.size(), " centroid values are not a whole, nonzero number of rows of ", d));
  }
  const size_t lists = centroids.size() / d;
  TQDB_RETURN_IF_ERROR(ValidateVectors(centroids, lists, d));
  if (options.default_nprobe < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("default nprobe must be >= 0, got ", options.default_nprobe));
  }
  std::unique_ptr<IvfIndex> index(new IvfIndex(options));
  index->shared_scan_ =
      !options.shift_queries_per_list && (options.metric != Metric::kL2 || !options.center_lists);
  const bool centered = options.center_lists && options.metric != Metric::kInnerProduct;
  // One quantizer for every list: they differ only in their centers.
  TQDB_ASSIGN_OR_RETURN(std::unique_ptr<Quantizer> quantizer, Quantizer::Create(options.quantizer));
  index->quantizer_ = std::move(quantizer);
  for (size_t l = 0; l < lists; ++l) {
    FlatIndexOptions list;
    list.metric = options.metric;
    list.quantizer = options.quantizer;
    list.store_vectors = options.store_vectors;
    if (centered) list.center.assign(centroids.begin() + l * d, centroids.begin() + (l + 1) * d);
    // Unshifted, one prepared query serves every list (SearchProbed).
    list.shift_queries = options.shift_queries_per_list;
    TQDB_ASSIGN_OR_RETURN(std::unique_ptr<FlatIndex> flat,
                          FlatIndex::Create(list, index->quantizer_));
    index->lists_.push_back(std::move(flat));
  }
  index->coarse_ = std::make_shared<const ivf::CoarseQuantizer>(std::move(centroids), d);
  std::vector<std::shared_ptr<const VectorCoder>> coders;
  for (const auto& list : index->lists_) coders.push_back(list->coder());
  index->encoder_ = ivf::MakeIvfEncoder(options.metric, index->coarse_, std::move(coders));
  return index;
}

int IvfIndex::default_nprobe() const {
  return options_.default_nprobe > 0 ? options_.default_nprobe : DefaultNprobe(lists());
}

const std::vector<float>& IvfIndex::centroids() const { return coarse_->centroids(); }

std::vector<size_t> IvfIndex::ListSizes() const {
  std::vector<size_t> sizes;
  for (const auto& list : lists_) sizes.push_back(list->size());
  return sizes;
}

int64_t IvfIndex::ListOf(uint64_t id) const {
  auto it = list_of_.find(id);
  return it == list_of_.end() ? -1 : it->second;
}

absl::Status IvfIndex::Add(absl::Span<const uint64_t> ids, absl::Span<const float> vectors) {
  if (ids.empty()) return absl::InvalidArgumentError("empty batch: no vectors to add");
  TQDB_RETURN_IF_ERROR(ValidateVectors(vectors, ids.size(), dim()));
  TQDB_RETURN_IF_ERROR(ValidateUniqueIds(ids));
  EncodedVectors encoded;
  encoder_->Encode(vectors.data(), ids.size(), &encoded);
  return AddToLists(ids, encoded, options_.store_vectors ? vectors : absl::Span<const float>(), 0);
}

absl::Status IvfIndex::AddEncoded(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                                  uint64_t tag) {
  if (options_.store_vectors) {
    return absl::FailedPreconditionError("AddEncoded: this index keeps float vectors; use Add");
  }
  return AddToLists(ids, encoded, {}, tag);
}

absl::Status IvfIndex::AddToLists(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                                  absl::Span<const float> vectors, uint64_t tag) {
  const size_t n = ids.size(), bytes = encoder_->code_bytes();
  const int d = dim();
  if (encoded.size() != n || encoded.lists.size() != n || encoded.codes.size() != n * bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("AddEncoded: ", n, " ids but ", encoded.size(), " factors, ",
                     encoded.lists.size(), " lists and ", encoded.codes.size(), " code bytes"));
  }
  for (uint32_t l : encoded.lists) {
    if (l >= lists()) {
      return absl::InvalidArgumentError(
          absl::StrCat("AddEncoded: list ", l, " of an index with ", lists(), " lists"));
    }
  }
  // An id that moves to another list leaves its old one first.
  std::vector<std::vector<size_t>> members(lists());
  for (size_t i = 0; i < n; ++i) {
    auto it = list_of_.find(ids[i]);
    if (it != list_of_.end() && it->second != encoded.lists[i]) {
      lists_[it->second]->Remove(absl::MakeConstSpan(&ids[i], 1));
    }
    members[encoded.lists[i]].push_back(i);
  }
  std::vector<uint64_t> list_ids;
  std::vector<uint8_t> list_codes;
  std::vector<VectorFactors> list_factors;
  std::vector<float> list_vectors;
  for (size_t l = 0; l < lists(); ++l) {
    if (members[l].empty()) continue;
    list_ids.clear();
    list_codes.clear();
    list_factors.clear();
    list_vectors.clear();
    for (size_t i : members[l]) {
      list_ids.push_back(ids[i]);
      list_codes.insert(list_codes.end(), encoded.codes.begin() + i * bytes,
                        encoded.codes.begin() + (i + 1) * bytes);
      list_factors.push_back(encoded.factors[i]);
      if (!vectors.empty()) {
        list_vectors.insert(list_vectors.end(), vectors.begin() + i * d,
                            vectors.begin() + (i + 1) * d);
      }
    }
    // Sizes were checked above: the list cannot refuse them.
    TQDB_RETURN_IF_ERROR(
        lists_[l]->AddEncoded(list_ids, list_codes, list_factors, list_vectors, tag));
    for (uint64_t id : list_ids) list_of_[id] = static_cast<uint32_t>(l);
  }
  return absl::OkStatus();
}

bool IvfIndex::AppendEncoded(uint64_t id, EncodedVectors* out) const {
  auto it = list_of_.find(id);
  if (it == list_of_.end() || !lists_[it->second]->AppendEncoded(id, out)) return false;
  out->lists.push_back(it->second);
  return true;
}

bool IvfIndex::Reconstruct(uint64_t id, float* out) const {
  auto it = list_of_.find(id);
  return it != list_of_.end() && lists_[it->second]->Reconstruct(id, out);
}

std::optional<uint64_t> IvfIndex::TagOf(uint64_t id) const {
  auto it = list_of_.find(id);
  if (it == list_of_.end()) return std::nullopt;
  return lists_[it->second]->TagOf(id);
}

void IvfIndex::SetTag(uint64_t id, uint64_t tag) {
  if (auto it = list_of_.find(id); it != list_of_.end()) lists_[it->second]->SetTag(id, tag);
}

std::vector<uint64_t> IvfIndex::Ids() const {
  std::vector<uint64_t> ids;
  ids.reserve(size());
  for (const auto& list : lists_) {
    const std::vector<uint64_t> list_ids = list->Ids();
    ids.insert(ids.end(), list_ids.begin(), list_ids.end());
  }
  return ids;
}

void IvfIndex::ShrinkToFit() {
  for (auto& list : lists_) list->ShrinkToFit();
}

size_t IvfIndex::Remove(absl::Span<const uint64_t> ids) {
  size_t removed = 0;
  for (uint64_t id : ids) {
    auto it = list_of_.find(id);
    if (it == list_of_.end()) continue;
    removed += lists_[it->second]->Remove(absl::MakeConstSpan(&id, 1));
    list_of_.erase(it);
  }
  return removed;
}

absl::Status IvfIndex::ValidateSearch(absl::Span<const float> queries, size_t count,
                                      const SearchOptions& params) const {
  return ValidateSearchRequest(queries, count, dim(), options_.metric, params,
                               options_.store_vectors);
}

size_t IvfIndex::Nprobe(const SearchOptions& params) const {
  const size_t wanted = params.nprobe > 0 ? params.nprobe : default_nprobe();
  return std::min(wanted, lists());
}

std::vector<SearchHit> IvfIndex::SearchProbed(const float* query, const uint32_t* probe,
                                              size_t nprobe, const SearchOptions& params) const {
  // One top-k across the probed lists, so every list is pruned by the best keys found so far;
  // list p's slots enter it numbered from offsets[p].
  TopK top(FlatIndex::Keep(params));
  std::vector<uint32_t> offsets, scanned;
  uint32_t offset = 0;
  std::optional<FlatIndex::QueryScan> scan;
  for (size_t p = 0; p < nprobe; ++p) {
    const FlatIndex& list = *lists_[probe[p]];
    if (list.size() == 0) continue;
    if (!scan.has_value() || !shared_scan_) {
      scan = list.PrepareScan(query, params);
    } else if (list.coder_->centered() && options_.metric == Metric::kCosine) {
      // Lists that do not shift queries share the rotation and tables; only the offset <q, m>
      // of their center changes (terms.shifted is the unit query: alpha is 0).
      const std::vector<float>& center = list.coder_->center();
      scan->terms.offset =
          static_cast<float>(Dot(scan->terms.shifted.data(), center.data(), dim()));
    }
    list.Scan(*scan, 0, list.size(), &top, offset);
    offsets.push_back(offset);
    scanned.push_back(probe[p]);
    offset += static_cast<uint32_t>(list.size());
  }
  const std::vector<std::pair<float, uint32_t>> best = std::move(top).Sorted();
  // The list and slot behind each kept value.
  std::vector<std::pair<const FlatIndex*, uint32_t>> where;
  for (const auto& [key, value] : best) {
    const size_t i = std::upper_bound(offsets.begin(), offsets.end(), value) - offsets.begin() - 1;
    where.push_back({lists_[scanned[i]].get(), value - offsets[i]});
  }
  if (!scan.has_value()) return {};  // every probed list was empty
  return HitsOf(
      options_.metric, query, scan->terms.norm_sq, dim(), best, params,
      [&](size_t c) { return where[c].first->id_map_->id(where[c].second); },
      [&](size_t c) { return where[c].first->slots_->vectors.slot(where[c].second); });
}

absl::StatusOr<std::vector<SearchHit>> IvfIndex::Search(absl::Span<const float> query,
                                                        const SearchOptions& params) const {
  TQDB_RETURN_IF_ERROR(ValidateSearch(query, 1, params));
  const size_t nprobe = Nprobe(params);
  std::vector<uint32_t> probe(nprobe);
  coarse_->Probe(ivf::CoarseRows(options_.metric, dim(), query).data(), 1, nprobe,
                 options_.metric == Metric::kInnerProduct, probe.data());
  return SearchProbed(query.data(), probe.data(), nprobe, params);
}

absl::StatusOr<std::vector<std::vector<SearchHit>>> IvfIndex::SearchBatch(
    absl::Span<const float> queries, const SearchOptions& params) const {
  TQDB_ASSIGN_OR_RETURN(const size_t count, CountQueries(queries, dim()));
  TQDB_RETURN_IF_ERROR(ValidateSearch(queries, count, params));
  const size_t nprobe = Nprobe(params);
  // One coarse step for the batch (matrix products once past a few dozen queries).
  std::vector<uint32_t> probes(count * nprobe);
  coarse_->Probe(ivf::CoarseRows(options_.metric, dim(), queries).data(), count, nprobe,
                 options_.metric == Metric::kInnerProduct, probes.data());
  std::vector<std::vector<SearchHit>> results(count);
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t i = 0; i < count; ++i) {
    results[i] = SearchProbed(queries.data() + i * dim(), &probes[i * nprobe], nprobe, params);
  }
  return results;
}

IndexMemory IvfIndex::Memory() const {
  IndexMemory memory;
  for (const auto& list : lists_) memory += list->Memory();
  memory.ids += list_of_.capacity() * (sizeof(std::pair<uint64_t, uint32_t>) + 1);
  memory.lists += coarse_->centroids().capacity() * sizeof(float) * 2 +  // centroids, list centers
                  lists_.capacity() * (sizeof(FlatIndex) + sizeof(void*));
  memory.codec += quantizer_->MemoryBytes();
  return memory;
}

IndexStats IvfIndex::Stats() const {
  IndexStats stats;
  stats.size = size();
  stats.memory = Memory();
  stats.list_sizes = ListSizes();
  stats.centroids = centroids();
  stats.default_nprobe = default_nprobe();
  return stats;
}

}  // namespace tqdb
