// IdSet (db/id_set.h) against std::set, across several 2^32 parts, and the filtered scan's
// PassingIdSelector (db/filter_selector.h) in its four forms: bits or hash set, passing or
// failing side marked.
#include "db/id_set.h"

#include <random>
#include <set>

#include "db/filter_selector.h"
#include "gtest/gtest.h"

namespace tqdb {
namespace {

IdSet Of(const std::set<uint64_t>& ids) {
  IdSet out;
  for (uint64_t id : ids) out.add(id);
  return out;
}

std::set<uint64_t> Members(const IdSet& set) {
  std::set<uint64_t> out;
  set.ForEach([&](uint64_t id) { out.insert(id); });
  return out;
}

std::set<uint64_t> RandomIds(std::mt19937_64& gen, int count, uint64_t spread) {
  std::set<uint64_t> ids;
  while (static_cast<int>(ids.size()) < count) {
    ids.insert((gen() % 3) * spread + gen() % 100000);  // three parts when spread >= 2^32
  }
  return ids;
}

TEST(IdSetTest, AgreesWithStdSetAcrossParts) {
  std::mt19937_64 gen(1);
  for (uint64_t spread : {uint64_t{0}, uint64_t{1} << 32, uint64_t{1} << 40}) {
    const std::set<uint64_t> a = RandomIds(gen, 3000, spread), b = RandomIds(gen, 3000, spread);
    IdSet x = Of(a);
    const IdSet y = Of(b);
    EXPECT_EQ(Members(x), a);
    EXPECT_EQ(x.cardinality(), a.size());
    EXPECT_EQ(x.Maximum(), *a.rbegin());
    std::set<uint64_t> both, either = a, only_a;
    for (uint64_t id : a) (b.count(id) ? both : only_a).insert(id);
    either.insert(b.begin(), b.end());
    IdSet meet = x;
    meet &= y;
    EXPECT_EQ(Members(meet), both);
    EXPECT_EQ(Members(x - y), only_a);
    const IdSet* sets[] = {&x, &y};
    EXPECT_EQ(Members(IdSet::Union(sets)), either);
    // From an id, in order, stopping when asked.
    const uint64_t from = *std::next(a.begin(), 1000);
    std::vector<uint64_t> seen;
    x.ForEachFrom(from, [&](uint64_t id) {
      seen.push_back(id);
      return seen.size() < 50;
    });
    EXPECT_EQ(seen, std::vector<uint64_t>(a.find(from), std::next(a.find(from), 50)));
    for (uint64_t id : a) x.remove(id);
    EXPECT_TRUE(x.isEmpty());
  }
}

TEST(PassingIdSelectorTest, MaskAndContainsAgreeWithTheSetInEveryForm) {
  std::mt19937_64 gen(2);
  // Dense ids (bits) and ids 2^40 apart (hash set); few or most passing (marked side flips).
  for (uint64_t spread : {uint64_t{0}, uint64_t{1} << 40}) {
    const std::set<uint64_t> all = RandomIds(gen, 5000, spread);
    for (int percent : {3, 97}) {
      std::set<uint64_t> passing;
      for (uint64_t id : all) {
        if (static_cast<int>(gen() % 100) < percent) passing.insert(id);
      }
      const PassingIdSelector selector(Of(passing), Of(all));
      std::vector<uint64_t> ids(all.begin(), all.end());
      for (size_t first = 0; first < ids.size(); first += 32) {
        const int count = static_cast<int>(std::min<size_t>(32, ids.size() - first));
        const uint32_t mask = selector.Mask(&ids[first], count);
        for (int i = 0; i < count; ++i) {
          const bool passes = passing.count(ids[first + i]) > 0;
          EXPECT_EQ(((mask >> i) & 1) != 0, passes) << ids[first + i];
          EXPECT_EQ(selector.Contains(ids[first + i]), passes);
        }
        if (count < 32) EXPECT_EQ(mask >> count, 0u) << "bits past the block";
      }
    }
  }
}

}  // namespace
}  // namespace tqdb
