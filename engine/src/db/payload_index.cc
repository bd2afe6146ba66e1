#include "db/payload_index.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace tqdb {
namespace {

// The key a keyword or bool index files a value under; nullopt when that index does not take
// the value's type (the id is then among the field's `other` ids).
std::optional<std::string> KeywordOf(PayloadIndexType type, const filter::Json& value) {
  if (type == PayloadIndexType::kKeyword && value.is_string()) return value.get<std::string>();
  if (type == PayloadIndexType::kBool && value.is_boolean()) {
    return std::string(value.get<bool>() ? "true" : "false");
  }
  return std::nullopt;
}

std::optional<double> NumberOf(PayloadIndexType type, const filter::Json& value) {
  switch (type) {
    case PayloadIndexType::kInteger:
      if (value.is_number_integer()) return value.get<double>();
      return std::nullopt;
    case PayloadIndexType::kFloat:
      if (value.is_number()) return value.get<double>();
      return std::nullopt;
    case PayloadIndexType::kDatetime:
      return filter::RangeNumber(value);
    default:
      return std::nullopt;
  }
}

bool IsKeywordType(PayloadIndexType type) {
  return type == PayloadIndexType::kKeyword || type == PayloadIndexType::kBool;
}

std::string MatchKey(const MatchValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  return std::get<bool>(value) ? "true" : "false";
}

const char* KindName(FilterCondition::Kind kind) {
  switch (kind) {
    case FilterCondition::Kind::kMatch:
      return "match value";
    case FilterCondition::Kind::kMatchAny:
      return "match any";
    case FilterCondition::Kind::kMatchExcept:
      return "match except";
    case FilterCondition::Kind::kRange:
      return "range";
    default:
      return "condition";
  }
}

}  // namespace

PayloadIndex::PayloadIndex(std::vector<PayloadFieldIndex> fields) {
  for (const PayloadFieldIndex& field : fields) AddField(field);
}

void PayloadIndex::AddField(const PayloadFieldIndex& field) {
  fields_.push_back(field);
  indexes_.emplace_back();
  indexes_.back().spec = field;
}

void PayloadIndex::AdoptFields(PayloadIndex&& built) {
  for (Field& field : built.indexes_) {
    fields_.push_back(field.spec);
    indexes_.push_back(std::move(field));
  }
  built.indexes_.clear();
  built.fields_.clear();
}

const PayloadIndex::Field* PayloadIndex::FieldOf(std::string_view key) const {
  for (const Field& field : indexes_) {
    if (field.spec.key == key) return &field;
  }
  return nullptr;
}

void PayloadIndex::Erase(Field* field, uint64_t id) {
  if (auto it = field->keywords_of.find(id); it != field->keywords_of.end()) {
    for (const std::string& keyword : it->second) {
      auto posting = field->by_keyword.find(keyword);
      posting->second.remove(id);
      if (posting->second.isEmpty()) field->by_keyword.erase(posting);
    }
    field->keywords_of.erase(it);
  }
  if (auto it = field->numbers_of.find(id); it != field->numbers_of.end()) {
    if (it->second.size() > 1) --field->multi_valued;
    field->numbered.remove(id);
    for (double number : it->second) {
      auto posting = field->by_number.find(number);
      posting->second.remove(id);
      if (posting->second.isEmpty()) field->by_number.erase(posting);
    }
    field->numbers_of.erase(it);
  }
  field->other.remove(id);
}

void PayloadIndex::Put(uint64_t id, const filter::Json& payload) {
  ids_.add(id);
  if (tracked_.has_value()) tracked_->insert(id);
  for (Field& field : indexes_) {
    Erase(&field, id);
    const PayloadIndexType type = field.spec.type;
    for (const filter::Json* value : filter::ValuesAt(payload, field.spec.key)) {
      if (value->is_null()) continue;
      if (IsKeywordType(type)) {
        if (std::optional<std::string> keyword = KeywordOf(type, *value)) {
          IdSet& posting = field.by_keyword[*keyword];
          if (posting.contains(id)) continue;  // the same value twice in an array
          posting.add(id);
          field.keywords_of[id].push_back(*std::move(keyword));
          continue;
        }
      } else if (std::optional<double> number = NumberOf(type, *value)) {
        IdSet& posting = field.by_number[*number];
        if (posting.contains(id)) continue;
        posting.add(id);
        std::vector<double>& numbers = field.numbers_of[id];
        numbers.push_back(*number);
        if (numbers.size() == 1) field.numbered.add(id);
        if (numbers.size() == 2) ++field.multi_valued;
        continue;
      }
      field.other.add(id);
    }
  }
}

void PayloadIndex::PutAll(absl::Span<const uint64_t> ids, absl::Span<const std::string> payloads) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (indexes_.empty() || payloads.empty()) {
      Put(ids[i], filter::Json());
    } else {
      Put(ids[i], filter::ParsePayload(payloads[i]));
    }
  }
}

void PayloadIndex::Remove(absl::Span<const uint64_t> ids) {
  for (uint64_t id : ids) {
    for (Field& field : indexes_) Erase(&field, id);
    ids_.remove(id);
    if (tracked_.has_value()) tracked_->insert(id);
  }
}

absl::Status PayloadIndex::Check(const Filter& filter) const {
  for (const auto* clause : {&filter.must, &filter.should, &filter.must_not}) {
    for (const FilterCondition& condition : *clause) {
      if (condition.kind == FilterCondition::Kind::kNested) {
        absl::Status status = Check(*condition.nested);
        if (!status.ok()) return status;
        continue;
      }
      const Field* field = FieldOf(condition.key);
      if (field == nullptr || condition.kind == FilterCondition::Kind::kIsEmpty ||
          condition.kind == FilterCondition::Kind::kIsNull ||
          condition.kind == FilterCondition::Kind::kHasId) {
        continue;
      }
      const PayloadIndexType type = field->spec.type;
      auto bad = [&](std::string_view why) {
        return absl::InvalidArgumentError(absl::StrCat(
            "filter: ", KindName(condition.kind), " on '", condition.key, "', which has a ",
            std::string(PayloadIndexTypeName(type)), " index: ", std::string(why)));
      };
      if (condition.kind == FilterCondition::Kind::kRange) {
        if (IsKeywordType(type)) return bad("a range needs an integer, float or datetime field");
        continue;
      }
      if (type == PayloadIndexType::kFloat || type == PayloadIndexType::kDatetime) {
        return bad("match works on keyword, integer and bool fields; use a range");
      }
      for (const MatchValue& value : condition.values) {
        const bool fits =
            (type == PayloadIndexType::kKeyword && std::holds_alternative<std::string>(value)) ||
            (type == PayloadIndexType::kBool && std::holds_alternative<bool>(value)) ||
            (type == PayloadIndexType::kInteger && std::holds_alternative<int64_t>(value));
        if (!fits) return bad("a value of another type can never match");
      }
    }
  }
  return absl::OkStatus();
}

IdSet PayloadIndex::ConditionCandidates(const FilterCondition& condition, bool* exact) const {
  *exact = true;
  using Kind = FilterCondition::Kind;
  if (condition.kind == Kind::kHasId) {
    IdSet set;
    for (uint64_t id : condition.ids) {
      if (ids_.contains(id)) set.add(id);
    }
    return set;
  }
  if (condition.kind == Kind::kNested) return Candidates(*condition.nested, exact);
  const Field* field = FieldOf(condition.key);
  if (field == nullptr || condition.kind == Kind::kIsEmpty || condition.kind == Kind::kIsNull) {
    *exact = false;
    return ids_;
  }
  IdSet set;
  switch (condition.kind) {
    case Kind::kMatch:
    case Kind::kMatchAny:
      // Check() made the values the index's type: values of other types never match them.
      for (const MatchValue& value : condition.values) {
        if (IsKeywordType(field->spec.type)) {
          if (auto it = field->by_keyword.find(MatchKey(value)); it != field->by_keyword.end()) {
            set |= it->second;
          }
        } else if (auto it = field->by_number.find(static_cast<double>(std::get<int64_t>(value)));
                   it != field->by_number.end()) {
          set |= it->second;
        }
      }
      return set;
    case Kind::kMatchExcept: {
      // Plain names for the lambdas below (clang does not capture structured bindings).
      for (const auto& keyword_posting : field->by_keyword) {
        const std::string& keyword = keyword_posting.first;
        const IdSet& posting = keyword_posting.second;
        const bool listed =
            std::any_of(condition.values.begin(), condition.values.end(),
                        [&](const MatchValue& v) { return MatchKey(v) == keyword; });
        if (!listed) set |= posting;
      }
      for (const auto& number_posting : field->by_number) {
        const double number = number_posting.first;
        const IdSet& posting = number_posting.second;
        const bool listed =
            std::any_of(condition.values.begin(), condition.values.end(), [&](const MatchValue& v) {
              return static_cast<double>(std::get<int64_t>(v)) == number;
            });
        if (!listed) set |= posting;
      }
      break;
    }
    case Kind::kRange: {
      const RangeBounds& range = condition.range;
      const auto end = field->by_number.end();
      // The first key above both lower bounds (end, past every key, is the latest).
      auto later = [&](auto a, auto b) {
        if (a == end || b == end) return end;
        return a->first < b->first ? b : a;
      };
      auto first = field->by_number.begin();
      if (range.gte) first = later(first, field->by_number.lower_bound(*range.gte));
      if (range.gt) first = later(first, field->by_number.upper_bound(*range.gt));
      auto stop = first;
      size_t inside = 0;
      for (; stop != end && range.Contains(stop->first); ++stop) ++inside;
      // One union of the smaller side: the keys inside, or, when every id holds one number, the
      // ids with a number less those of the keys outside (a wide range costs a few postings).
      std::vector<const IdSet*> postings;
      const bool complement = field->multi_valued == 0 && field->by_number.size() - inside < inside;
      auto collect = [&](auto from, auto to) {
        for (; from != to; ++from) postings.push_back(&from->second);
      };
      if (complement) {
        collect(field->by_number.begin(), first);
        collect(stop, end);
      } else {
        collect(first, stop);
      }
      set = IdSet::Union(postings);
      if (complement) set = field->numbered - set;
      break;
    }
    default:
      break;
  }
  // Values the index does not take (a float in an integer field, say) may still pass a range or
  // an except: those ids are candidates to check against their payloads.
  if (!field->other.isEmpty()) {
    set |= field->other;
    *exact = false;
  }
  return set;
}

IdSet PayloadIndex::Candidates(const Filter& filter, bool* exact) const {
  *exact = true;
  IdSet result = ids_;
  bool condition_exact = true;
  for (const FilterCondition& condition : filter.must) {
    result &= ConditionCandidates(condition, &condition_exact);
    *exact = *exact && condition_exact;
  }
  for (const FilterCondition& condition : filter.must_not) {
    IdSet excluded = ConditionCandidates(condition, &condition_exact);
    // Only an exact set may be taken away; a superset would take away ids that pass.
    if (condition_exact) {
      result -= excluded;
    } else {
      *exact = false;
    }
  }
  if (!filter.should.empty()) {
    IdSet any;
    for (const FilterCondition& condition : filter.should) {
      any |= ConditionCandidates(condition, &condition_exact);
      *exact = *exact && condition_exact;
    }
    result &= any;
  }
  return result;
}

size_t PayloadIndex::MemoryBytes() const {
  size_t bytes = ids_.getSizeInBytes();
  for (const Field& field : indexes_) {
    for (const auto& [keyword, posting] : field.by_keyword) {
      bytes += keyword.capacity() + posting.getSizeInBytes() + 64;
    }
    for (const auto& [number, posting] : field.by_number) bytes += posting.getSizeInBytes() + 64;
    bytes += field.other.getSizeInBytes();
    // The per-id reverse entries: a hash slot and a small vector each.
    bytes += (field.keywords_of.size() + field.numbers_of.size()) * 64;
  }
  return bytes;
}

}  // namespace tqdb
