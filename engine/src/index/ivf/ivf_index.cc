#include "tqdb/ivf_index.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "index/ivf/coarse_quantizer.h"
#include "index/ivf/ivf_encoder.h"
#include "index/scan/scan_labels.h"
#include "index/scan/scanner.h"
#include "index/scan/selector_filter.h"
#include "index/search_hits.h"
#include "index/store/inverted_lists.h"
#include "index/topk.h"
#include "index/vector_checks.h"
#include "index/vector_coder.h"
#include "tqdb/status_macros.h"

namespace tqdb {

namespace {

// A single query whose probed lists hold fewer vectors is scanned by one thread: the split
// costs more than it saves (each thread prepares the query and prunes with its own, weaker
// threshold). GloVe, 64 lists, 2 threads: 18,600 vectors probed 71 -> 72 us, 37,000 106 -> 88.
constexpr size_t kSplitProbedVectors = 32768;

// How much more than its share of the whole's default nprobe a part probes by default
// (ProbedLists).
constexpr double kPartDefaultProbeFactor = 1.5;

// A batch is scanned list by list in chunks of at most this many queries (each keeps a scanner
// and a top-k while its chunk runs), and only when a list is probed by this many of a chunk's
// queries on average: below that a list rarely serves two queries at once.
constexpr size_t kGroupedChunkQueries = 128;
constexpr double kGroupedMinSharing = 2.0;

}  // namespace

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
  return Train(options, std::vector<float>(sample.begin(), sample.end()), lists);
}

absl::StatusOr<std::unique_ptr<IvfIndex>> IvfIndex::Train(const IvfIndexOptions& options,
                                                          std::vector<float>&& sample,
                                                          size_t lists) {
  const int d = options.quantizer.dim;
  if (d < 1) return absl::InvalidArgumentError(absl::StrCat("dimension must be >= 1, got ", d));
  TQDB_ASSIGN_OR_RETURN(const size_t count, CountQueries(sample, d));
  TQDB_RETURN_IF_ERROR(ValidateVectors(sample, count, d));
  if (lists < 1 || lists > count) {
    return absl::InvalidArgumentError(absl::StrCat("training ", lists, " lists needs at least as ",
                                                   "many sample vectors; got ", count));
  }
  std::vector<float> rows = std::move(sample);
  ivf::NormalizeCoarseRows(options.metric, d, absl::MakeSpan(rows));
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
  // One quantizer for every list: their coders differ only in their centers.
  TQDB_ASSIGN_OR_RETURN(std::unique_ptr<Quantizer> owned, Quantizer::Create(options.quantizer));
  const std::shared_ptr<const Quantizer> quantizer = std::move(owned);
  for (size_t l = 0; l < lists; ++l) {
    std::vector<float> center;
    if (centered) center.assign(centroids.begin() + l * d, centroids.begin() + (l + 1) * d);
    // Unshifted, one prepared query serves every list (SearchProbed).
    TQDB_ASSIGN_OR_RETURN(std::unique_ptr<VectorCoder> coder,
                          VectorCoder::Create(options.metric, quantizer, std::move(center),
                                              options.shift_queries_per_list));
    index->coders_.push_back(std::move(coder));
  }
  index->lists_ = std::make_unique<InvertedLists>(CodeLayout::Of(*quantizer), lists,
                                                  options.store_vectors, /*partitioned=*/true);
  if (index->probe_by_direction()) {
    // The coarse step's copy at unit length; the centroids as given stay what the lists are
    // centered on and what centroids() returns (storage keeps them).
    index->given_centroids_ = centroids;
    ivf::NormalizeCoarseRows(Metric::kCosine, d, absl::MakeSpan(centroids));
  }
  index->coarse_ = std::make_shared<const ivf::CoarseQuantizer>(std::move(centroids), d);
  index->encoder_ = ivf::MakeIvfEncoder(options.metric, index->coarse_, index->coders_);
  return index;
}

size_t IvfIndex::size() const { return lists_->size(); }
bool IvfIndex::Contains(uint64_t id) const { return lists_->Find(id).has_value(); }
size_t IvfIndex::lists() const { return lists_->lists(); }

int IvfIndex::default_nprobe() const {
  return options_.default_nprobe > 0 ? options_.default_nprobe : DefaultNprobe(lists());
}

const std::vector<float>& IvfIndex::centroids() const {
  return given_centroids_.empty() ? coarse_->centroids() : given_centroids_;
}

std::vector<size_t> IvfIndex::ListSizes() const {
  std::vector<size_t> sizes;
  for (uint32_t l = 0; l < lists(); ++l) sizes.push_back(lists_->store(l).size());
  return sizes;
}

int64_t IvfIndex::ListOf(uint64_t id) const {
  const std::optional<Location> at = lists_->Find(id);
  return at.has_value() ? at->list : -1;
}

absl::Status IvfIndex::Add(absl::Span<const uint64_t> ids, absl::Span<const float> vectors) {
  if (ids.empty()) return absl::InvalidArgumentError("empty batch: no vectors to add");
  TQDB_RETURN_IF_ERROR(ValidateVectors(
      vectors, ids.size(), dim(), MaxVectorNorm(options_.metric, options_.quantizer.factor_bits)));
  TQDB_RETURN_IF_ERROR(ValidateUniqueIds(ids));
  EncodedVectors encoded;
  encoder_->Encode(vectors.data(), ids.size(), &encoded);
  return lists_->Upsert(ids, encoded, options_.store_vectors ? vectors : absl::Span<const float>(),
                        0);
}

absl::Status IvfIndex::AddEncoded(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                                  uint64_t tag) {
  if (options_.store_vectors) {
    return absl::FailedPreconditionError("AddEncoded: this index keeps float vectors; use Add");
  }
  return lists_->Upsert(ids, encoded, {}, tag);
}

bool IvfIndex::AppendEncoded(uint64_t id, EncodedVectors* out) const {
  return lists_->AppendEncoded(id, out);
}

bool IvfIndex::Reconstruct(uint64_t id, float* out) const {
  return lists_->Reconstruct(
      id, [&](uint32_t list) -> const VectorCoder& { return *coders_[list]; }, out);
}

std::optional<uint64_t> IvfIndex::TagOf(uint64_t id) const { return lists_->TagOf(id); }
void IvfIndex::SetTag(uint64_t id, uint64_t tag) { lists_->SetTag(id, tag); }
std::vector<uint64_t> IvfIndex::Ids() const { return lists_->Ids(); }
void IvfIndex::ShrinkToFit() { lists_->ShrinkToFit(); }
size_t IvfIndex::Remove(absl::Span<const uint64_t> ids) { return lists_->Remove(ids); }

size_t IvfIndex::ProbedLists(int nprobe, int parts) const {
  if (parts <= 1) {
    return std::min(static_cast<size_t>(nprobe > 0 ? nprobe : default_nprobe()), lists());
  }
  const double root = std::sqrt(static_cast<double>(parts));
  double whole = nprobe;
  if (nprobe <= 0) {
    // At its bare share a part's coarser partition finds less than the whole (GloVe, 9 parts
    // of 290,479: recall@10 0.974 against 0.986 re-ranked; 4 parts of the fixture: 0.871
    // against 0.921 at nprobe 8): by default a part probes half as much again, which matched
    // the whole's recall in both.
    whole = kPartDefaultProbeFactor *
            (options_.default_nprobe > 0
                 ? options_.default_nprobe
                 : DefaultNprobe(static_cast<size_t>(std::lround(lists() * root))));
  }
  const auto share = static_cast<size_t>(std::ceil(whole / root));
  return std::clamp<size_t>(share, 1, lists());
}

size_t IvfIndex::Nprobe(const SearchParameters& params) const {
  // Parameters of another index type take the default (FAISS's SearchParametersIVF likewise).
  const auto* ivf = dynamic_cast<const IvfSearchParameters*>(&params);
  return ivf != nullptr ? ProbedLists(ivf->nprobe, ivf->parts) : ProbedLists(0, 1);
}

std::vector<SearchHit> IvfIndex::SearchProbed(const float* query, const uint32_t* probe,
                                              size_t nprobe, const SearchParameters& params,
                                              bool split_over_threads) const {
  const ScanOptions scan_options = ScanOptions::Of(params);
  // The probed non-empty lists, scanned in probe order (nearest first), their slots numbered
  // in list order as SearchGrouped numbers them: candidates with equal keys are then kept by
  // the same rule (lower label) whether a query is searched alone or in a batch.
  std::vector<uint32_t> lists;
  size_t probed = 0;
  for (size_t p = 0; p < nprobe; ++p) {
    const size_t size = lists_->store(probe[p]).size();
    if (size == 0) continue;
    lists.push_back(probe[p]);
    probed += size;
  }
  if (lists.empty()) return {};  // every probed list was empty
  std::vector<uint32_t> by_list(lists.size());
  std::iota(by_list.begin(), by_list.end(), 0);
  std::sort(by_list.begin(), by_list.end(),
            [&](uint32_t a, uint32_t b) { return lists[a] < lists[b]; });
  ScanLabels labels;
  std::vector<uint32_t> bases(lists.size());
  for (uint32_t i : by_list) bases[i] = labels.Add(lists[i], lists_->store(lists[i]).size());
  // One top-k per thread across its lists, so each list is pruned by the best keys that thread
  // has found; a large single query spreads its lists over the threads (round robin, so each
  // starts with near lists) and their top-k are merged, as the flat index splits its blocks.
  const int threads = split_over_threads && probed >= kSplitProbedVectors
                          ? std::min<int>(omp_get_max_threads(), static_cast<int>(lists.size()))
                          : 1;
  const size_t keep = CandidatesKept(params);
  std::vector<TopK> tops(threads, TopK(keep));
  float norm_sq = 0;
#pragma omp parallel for num_threads(threads) schedule(static, 1) if (threads > 1)
  for (int t = 0; t < threads; ++t) {
    std::optional<Scanner> scanner;
    for (size_t i = t; i < lists.size(); i += threads) {
      const CodeStore& store = lists_->store(lists[i]);
      const VectorCoder& coder = *coders_[lists[i]];
      if (!scanner.has_value() || !shared_scan_) {
        scanner.emplace(coder, lists_->layout(), query, scan_options);
      } else {
        scanner->Rebind(coder);
      }
      std::optional<SelectorFilter> selected;
      scanner->Scan(store, 0, store.size(), &tops[t], bases[i],
                    FilterOf(params.selector, *lists_, lists[i], &selected));
    }
    if (t == 0) norm_sq = scanner->terms().norm_sq;
  }
  for (int t = 1; t < threads; ++t) {
    for (const auto& [key, label] : std::move(tops[t]).Sorted()) tops[0].Push(key, label);
  }
  return HitsOf(*lists_, labels, options_.metric, query, norm_sq, std::move(tops[0]), params);
}

void IvfIndex::SearchGrouped(const float* queries, size_t count, const uint32_t* probes,
                             size_t nprobe, const SearchParameters& params,
                             std::vector<SearchHit>* results) const {
  const ScanOptions scan_options = ScanOptions::Of(params);
  // One numbering of every list's slots for all the queries.
  ScanLabels labels;
  std::vector<uint32_t> bases(lists());
  for (size_t l = 0; l < lists(); ++l) {
    const size_t size = lists_->store(l).size();
    if (size > 0) bases[l] = labels.Add(static_cast<uint32_t>(l), size);
  }
  const size_t keep = CandidatesKept(params);
  std::vector<std::optional<Scanner>> scanners(count);
  std::vector<TopK> tops(count, TopK(keep));
  const auto scan = [&](uint32_t list, absl::Span<const Scanner* const> group,
                        absl::Span<TopK* const> group_tops) {
    const CodeStore& store = lists_->store(list);
    std::optional<SelectorFilter> selected;
    Scanner::ScanTogether(group, store, 0, store.size(), group_tops, bases[list],
                          FilterOf(params.selector, *lists_, list, &selected));
  };
  // Each query first scans its nearest non-empty list alone, so its threshold starts where a
  // single search's does; the (list, query) pairs of its other lists wait, by list.
  std::vector<std::pair<uint32_t, uint32_t>> pending;
  pending.reserve(count * nprobe);
  for (size_t q = 0; q < count; ++q) {
    const uint32_t* probe = probes + q * nprobe;
    for (size_t p = 0; p < nprobe; ++p) {
      if (lists_->store(probe[p]).size() == 0) continue;
      if (!scanners[q].has_value()) {
        scanners[q].emplace(*coders_[probe[p]], lists_->layout(), queries + q * dim(),
                            scan_options);
        const Scanner* alone = &*scanners[q];
        TopK* top = &tops[q];
        scan(probe[p], absl::MakeConstSpan(&alone, 1), absl::MakeConstSpan(&top, 1));
      } else {
        pending.emplace_back(probe[p], static_cast<uint32_t>(q));
      }
    }
  }
  // Then each list is read once for all its queries (register blocking in the kernels), each
  // query's scanner keyed for the list's center.
  std::sort(pending.begin(), pending.end());
  std::vector<const Scanner*> group;
  std::vector<TopK*> group_tops;
  for (size_t i = 0; i < pending.size();) {
    const uint32_t list = pending[i].first;
    group.clear();
    group_tops.clear();
    for (; i < pending.size() && pending[i].first == list; ++i) {
      Scanner& scanner = *scanners[pending[i].second];
      scanner.Rebind(*coders_[list]);
      group.push_back(&scanner);
      group_tops.push_back(&tops[pending[i].second]);
    }
    scan(list, group, group_tops);
  }
  for (size_t q = 0; q < count; ++q) {
    if (!scanners[q].has_value()) continue;  // every probed list was empty
    results[q] = HitsOf(*lists_, labels, options_.metric, queries + q * dim(),
                        scanners[q]->terms().norm_sq, std::move(tops[q]), params);
  }
}

absl::StatusOr<std::vector<SearchHit>> IvfIndex::Search(absl::Span<const float> query,
                                                        const SearchParameters& params) const {
  TQDB_RETURN_IF_ERROR(
      ValidateSearchRequest(query, 1, dim(), options_.metric, params, options_.store_vectors));
  const size_t nprobe = Nprobe(params);
  std::vector<uint32_t> probe(nprobe);
  coarse_->Probe(ivf::CoarseRows(options_.metric, dim(), query).data(), 1, nprobe,
                 options_.metric == Metric::kInnerProduct, probe.data());
  return SearchProbed(query.data(), probe.data(), nprobe, params, /*split_over_threads=*/true);
}

absl::StatusOr<std::vector<std::vector<SearchHit>>> IvfIndex::SearchBatch(
    absl::Span<const float> queries, const SearchParameters& params) const {
  TQDB_ASSIGN_OR_RETURN(const size_t count, CountQueries(queries, dim()));
  TQDB_RETURN_IF_ERROR(ValidateSearchRequest(queries, count, dim(), options_.metric, params,
                                             options_.store_vectors));
  const size_t nprobe = Nprobe(params);
  // One coarse step for the batch (matrix products once past a few dozen queries).
  std::vector<uint32_t> probes(count * nprobe);
  coarse_->Probe(ivf::CoarseRows(options_.metric, dim(), queries).data(), count, nprobe,
                 options_.metric == Metric::kInnerProduct, probes.data());
  std::vector<std::vector<SearchHit>> results(count);
  if (count == 1) {  // a batch of one spreads its lists over the threads instead
    results[0] = SearchProbed(queries.data(), probes.data(), nprobe, params,
                              /*split_over_threads=*/true);
    return results;
  }
  const size_t threads = static_cast<size_t>(std::max(1, omp_get_max_threads()));
  const size_t chunk = std::min(kGroupedChunkQueries, (count + threads - 1) / threads);
  if (shared_scan_ && static_cast<double>(chunk * nprobe) >= kGroupedMinSharing * lists()) {
    const size_t chunks = (count + chunk - 1) / chunk;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t c = 0; c < chunks; ++c) {
      const size_t first = c * chunk, last = std::min(count, first + chunk);
      SearchGrouped(queries.data() + first * dim(), last - first, &probes[first * nprobe], nprobe,
                    params, &results[first]);
    }
    return results;
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t i = 0; i < count; ++i) {
    results[i] = SearchProbed(queries.data() + i * dim(), &probes[i * nprobe], nprobe, params,
                              /*split_over_threads=*/false);
  }
  return results;
}

IndexMemory IvfIndex::Memory() const {
  IndexMemory memory = lists_->Memory();
  // The centroids, and the list centers each coder keeps (cosine and L2).
  memory.lists += (coarse_->centroids().capacity() + given_centroids_.capacity()) * sizeof(float) +
                  coders_.capacity() * sizeof(void*);
  for (const auto& coder : coders_) {
    memory.lists += sizeof(VectorCoder) + coder->center().capacity() * sizeof(float);
  }
  memory.codec += coders_[0]->quantizer().MemoryBytes();
  return memory;
}

IndexStats IvfIndex::Stats() const {
  IndexStats stats;
  stats.size = size();
  stats.memory = Memory();
  stats.list_sizes = ListSizes();
  stats.centroids = centroids();
  stats.default_nprobe = default_nprobe();
  stats.lists_by_direction = probe_by_direction();
  return stats;
}

}  // namespace tqdb
