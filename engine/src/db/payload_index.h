// A collection's payload indexes (issue "filtered search"): the set of stored ids, and for each
// declared field its values' postings as compressed bitmaps of ids (CRoaring): keyword and bool
// fields by value, integer, float and datetime fields in value order. Evaluates a filter to the
// ids that may pass it, exactly where the indexes answer every condition; the collection checks
// the rest against the stored payloads (filter/payload_match.h, the reference semantics).
// Not thread-safe: the collection guards it with its index lock, and changes it in the same
// commits as the index.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "db/id_set.h"
#include "filter/payload_match.h"
#include "tqdb/filter.h"
#include "tqdb/payload_schema.h"

namespace tqdb {

class PayloadIndex {
 public:
  explicit PayloadIndex(std::vector<PayloadFieldIndex> fields = {});

  const std::vector<PayloadFieldIndex>& fields() const { return fields_; }
  // Declares one more field (its entries come with the Put calls that follow).
  void AddField(const PayloadFieldIndex& field);
  // Takes over the fields of `built` (an index of other fields over the same payloads).
  void AdoptFields(PayloadIndex&& built);

  // Replaces `id`'s entries with those of `payload` (a JSON object; anything else has no fields)
  // and marks the id stored.
  void Put(uint64_t id, const filter::Json& payload);
  // Puts a batch: `payloads` is empty (none) or one per id, as Collection::Upsert takes them.
  void PutAll(absl::Span<const uint64_t> ids, absl::Span<const std::string> payloads);
  void Remove(absl::Span<const uint64_t> ids);

  const IdSet& ids() const { return ids_; }

  // While tracking, every id Put or Removed is recorded (a field index built beside writes
  // catches up with them).
  void StartTracking() { tracked_.emplace(); }
  void StopTracking() { tracked_.reset(); }
  std::vector<uint64_t> TrackedIds() const {
    return tracked_.has_value() ? std::vector<uint64_t>(tracked_->begin(), tracked_->end())
                                : std::vector<uint64_t>();
  }

  // InvalidArgument when a condition cannot apply to its field's index type (a range on a
  // keyword field, a match of a string on an integer field, ...), naming the condition.
  absl::Status Check(const Filter& filter) const;

  // The ids that may pass `filter` (a superset); `exact` set when they are exactly those that
  // pass, which holds when every condition is on an indexed field or on ids.
  IdSet Candidates(const Filter& filter, bool* exact) const;

  size_t MemoryBytes() const;

 private:
  struct Field {
    PayloadFieldIndex spec;
    absl::flat_hash_map<std::string, IdSet> by_keyword;  // keyword; bool as "true" / "false"
    std::map<double, IdSet> by_number;                   // integer, float, datetime
    IdSet other;              // ids with a value at the key the index does not take (another type)
    IdSet numbered;           // ids with at least one value in by_number
    size_t multi_valued = 0;  // ids with more than one value in by_number
    // Each id's keys, to take its entries out when it is replaced or deleted.
    absl::flat_hash_map<uint64_t, std::vector<std::string>> keywords_of;
    absl::flat_hash_map<uint64_t, std::vector<double>> numbers_of;
  };
  void Erase(Field* field, uint64_t id);
  const Field* FieldOf(std::string_view key) const;
  IdSet ConditionCandidates(const FilterCondition& condition, bool* exact) const;

  std::vector<PayloadFieldIndex> fields_;
  std::vector<Field> indexes_;
  IdSet ids_;
  std::optional<absl::flat_hash_set<uint64_t>> tracked_;
};

}  // namespace tqdb
