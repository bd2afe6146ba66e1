// The on-disk encodings under engine/src/db/storage: key layout, segments, partitionings and
// collection records.
#include <algorithm>
#include <cstring>
#include <limits>

#include "db/storage/config_codec.h"
#include "db/storage/keys.h"
#include "db/storage/partition_codec.h"
#include "db/storage/segment_codec.h"
#include "gtest/gtest.h"

namespace tqdb::storage {
namespace {

TEST(KeysTest, CollectionsAreContiguousAndNumericallyOrdered) {
  EXPECT_LT(RecordKey(7, UINT64_MAX), CollectionEnd(7));
  EXPECT_GE(RecordKey(8, 0), CollectionEnd(7));
  EXPECT_LT(RecordKey(7, 255), RecordKey(7, 256));  // big-endian: byte order is numeric order
  EXPECT_LT(SegmentKey(7, 1), SegmentKey(7, 2));
  EXPECT_LT(DeadKey(7, 3, UINT64_MAX), DeadSegmentPrefix(7, 4));
  EXPECT_GE(DeadKey(7, 3, 0), DeadSegmentPrefix(7, 3));
}

TEST(KeysTest, ParsingReturnsWhatWasEncodedAndRefusesWrongLengths) {
  const DeadKeyParts dead = *ParseDeadKey(DeadKey(7, 3, 123456789));
  EXPECT_EQ(dead.cid, 7u);
  EXPECT_EQ(dead.segment, 3u);
  EXPECT_EQ(dead.id, 123456789u);
  const SegmentKeyParts segment = *ParseSegmentKey(SegmentKey(0xfffffffe, UINT64_MAX));
  EXPECT_EQ(segment.cid, 0xfffffffeu);
  EXPECT_EQ(segment.segment, UINT64_MAX);
  EXPECT_EQ(ParseSegmentKey(DeadKey(7, 3, 1)).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseDeadKey(SegmentKey(7, 3)).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseDeadKey("").status().code(), absl::StatusCode::kDataLoss);
}

// `view` holds exactly these ids, codes and factors.
void ExpectHolds(const SegmentView& view, const std::vector<uint64_t>& ids,
                 const std::vector<uint8_t>& codes, const std::vector<VectorFactors>& factors) {
  EXPECT_EQ(view.ids, ids);
  EXPECT_EQ(std::vector<uint8_t>(view.codes.begin(), view.codes.end()), codes);
  ASSERT_EQ(view.factors.size(), factors.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(view.factors[i].norm, factors[i].norm);
    EXPECT_EQ(view.factors[i].aux, factors[i].aux);
  }
}

TEST(SegmentCodecTest, RoundTripsAndRejectsDamage) {
  const size_t code_bytes = 5;
  const std::vector<uint64_t> ids = {1, 99, UINT64_MAX};
  std::vector<uint8_t> codes(ids.size() * code_bytes);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<uint8_t>(i * 7);
  const std::vector<VectorFactors> factors = {{1.5f, 0.25f}, {2, 3}, {0, 0}};
  const std::string value = EncodeSegment(ids, codes, factors, code_bytes);
  EXPECT_EQ(value.size(), SegmentBytes(ids.size(), code_bytes));

  absl::StatusOr<SegmentView> view = DecodeSegment(value, code_bytes);
  ASSERT_TRUE(view.ok()) << view.status();
  ExpectHolds(*view, ids, codes, factors);
  const auto loss = absl::StatusCode::kDataLoss;
  EXPECT_EQ(DecodeSegment(value, code_bytes + 1).status().code(), loss);
  EXPECT_EQ(DecodeSegment(value.substr(0, value.size() - 1), code_bytes).status().code(), loss);
  EXPECT_EQ(DecodeSegment(value + "x", code_bytes).status().code(), loss);
  EXPECT_EQ(DecodeSegment("", code_bytes).status().code(), loss);
  std::string bad_magic = value;
  bad_magic[0] = 'X';
  EXPECT_EQ(DecodeSegment(bad_magic, code_bytes).status().code(), loss);
  std::string huge_count = value;
  huge_count[15] = '\x7f';  // count's top byte: a count no value could hold
  EXPECT_EQ(DecodeSegment(huge_count, code_bytes).status().code(), loss);
  // An empty segment is well formed.
  EXPECT_TRUE(DecodeSegment(EncodeSegment({}, {}, {}, code_bytes), code_bytes).ok());
}

TEST(SegmentCodecTest, PartitionedSegmentsKeepListsAndPartitioning) {
  const size_t code_bytes = 3;
  const std::vector<uint64_t> ids = {4, 8};
  const std::vector<uint8_t> codes = {1, 2, 3, 4, 5, 6};
  const std::vector<VectorFactors> factors = {{1, 2}, {3, 4}};
  const std::vector<uint32_t> lists = {7, 0};
  const std::string value = EncodeSegment(ids, codes, factors, code_bytes, lists, 42);
  EXPECT_EQ(value.size(), SegmentBytes(ids.size(), code_bytes, /*partitioned=*/true));
  absl::StatusOr<SegmentView> view = DecodeSegment(value, code_bytes);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->partitioning, 42u);
  EXPECT_EQ(view->lists, lists);
  EXPECT_EQ(view->ids, ids);
  EXPECT_EQ(std::vector<uint8_t>(view->codes.begin(), view->codes.end()), codes);
  // A flat segment has neither.
  const absl::StatusOr<SegmentView> flat =
      DecodeSegment(EncodeSegment(ids, codes, factors, code_bytes), code_bytes);
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->partitioning, 0u);
  EXPECT_TRUE(flat->lists.empty());
  const auto loss = absl::StatusCode::kDataLoss;
  EXPECT_EQ(DecodeSegment(value.substr(0, value.size() - 1), code_bytes).status().code(), loss);
  std::string zero = value;
  std::fill(zero.begin() + 16, zero.begin() + 24, '\0');  // partitioning 0 in a TQS2 segment
  EXPECT_EQ(DecodeSegment(zero, code_bytes).status().code(), loss);
}

TEST(SegmentCodecTest, SixteenBitFactorsTakeHalfTheBytesAndOlderSegmentsStillRead) {
  const size_t code_bytes = 3;
  const std::vector<uint64_t> ids = {4, 8, 15};
  const std::vector<uint8_t> codes = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  // Halves' exact values (the quantizer rounds them): the zero vector's norm -1 too.
  const std::vector<VectorFactors> factors = {{1.5f, 0.25f}, {-1, 0}, {65504, 6.1035156e-05f}};
  const std::vector<uint32_t> lists = {7, 0, 3};
  for (const bool partitioned : {false, true}) {
    SCOPED_TRACE(partitioned ? "partitioned" : "flat");
    const std::string value = partitioned
                                  ? EncodeSegment(ids, codes, factors, code_bytes, lists, 42, true)
                                  : EncodeSegment(ids, codes, factors, code_bytes, {}, 0, true);
    EXPECT_EQ(value.substr(0, 4), partitioned ? "TQS4" : "TQS3");
    EXPECT_EQ(value.size(), SegmentBytes(ids.size(), code_bytes, partitioned, true));
    EXPECT_EQ(value.size() + 4 * ids.size(), SegmentBytes(ids.size(), code_bytes, partitioned));
    absl::StatusOr<SegmentView> view = DecodeSegment(value, code_bytes);
    ASSERT_TRUE(view.ok()) << view.status();
    ExpectHolds(*view, ids, codes, factors);
    EXPECT_EQ(view->lists, partitioned ? lists : std::vector<uint32_t>());
    const auto loss = absl::StatusCode::kDataLoss;
    EXPECT_EQ(DecodeSegment(value.substr(0, value.size() - 1), code_bytes).status().code(), loss);
    std::string other = value;
    other[3] = '5';
    EXPECT_EQ(DecodeSegment(other, code_bytes).status().code(), loss);
  }
  // A segment as written before compact factors (TQS1, 32-bit factors), byte for byte.
  const std::string old_segment(
      "TQS1\x02\0\0\0\x01\0\0\0\0\0\0\0\x07\0\0\0\0\0\0\0\0\0\x20\x40\0\0\x40\x3f\xab\xcd", 34);
  absl::StatusOr<SegmentView> old = DecodeSegment(old_segment, 2);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->ids, std::vector<uint64_t>{7});
  EXPECT_EQ(old->factors[0].norm, 2.5f);
  EXPECT_EQ(old->factors[0].aux, 0.75f);
  EXPECT_EQ(old->codes[1], 0xcd);
}

TEST(PartitionCodecTest, RoundTripsAndRejectsDamage) {
  StoredPartitioning stored;
  stored.number = 3;
  stored.dim = 2;
  stored.centroids = {0.5f, -1, 2, 0.25f, 0, 1};
  const std::string value = EncodePartitioning(stored);
  absl::StatusOr<StoredPartitioning> read = DecodePartitioning(value, 2);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->number, 3u);
  EXPECT_EQ(read->lists(), 3u);
  EXPECT_EQ(read->centroids, stored.centroids);
  const auto loss = absl::StatusCode::kDataLoss;
  EXPECT_EQ(DecodePartitioning(value, 3).status().code(), loss);  // another dimension
  EXPECT_EQ(DecodePartitioning(value.substr(0, value.size() - 1), 2).status().code(), loss);
  EXPECT_EQ(DecodePartitioning("TQP1", 2).status().code(), loss);
  std::string nan = value;
  const float not_a_number = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(&nan[24], &not_a_number, 4);  // the first centroid value, after the flags
  EXPECT_EQ(DecodePartitioning(nan, 2).status().code(), loss);
}

// TQP2 records name the rule their lists were assigned by; TQP1 records, written before the
// rule could differ, read as assigned by L2 to the centroids; unknown flags are refused.
TEST(PartitionCodecTest, RecordsTheListsRuleAndReadsOlderRecordsAsAssignedByL2) {
  StoredPartitioning stored;
  stored.number = 5;
  stored.dim = 2;
  stored.centroids = {0.5f, -1, 2, 0.25f};
  for (bool by_direction : {false, true}) {
    stored.by_direction = by_direction;
    const std::string value = EncodePartitioning(stored);
    EXPECT_EQ(value.substr(0, 4), "TQP2");
    absl::StatusOr<StoredPartitioning> read = DecodePartitioning(value, 2);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->by_direction, by_direction);
    EXPECT_EQ(read->centroids, stored.centroids);
  }
  // A TQP1 record byte for byte: magic, number, dim, lists, centroids.
  std::string v1 = "TQP1";
  const uint64_t number = 5;
  const uint32_t dim = 2, lists = 2;
  v1.append(reinterpret_cast<const char*>(&number), 8);
  v1.append(reinterpret_cast<const char*>(&dim), 4);
  v1.append(reinterpret_cast<const char*>(&lists), 4);
  v1.append(reinterpret_cast<const char*>(stored.centroids.data()), 16);
  absl::StatusOr<StoredPartitioning> old = DecodePartitioning(v1, 2);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_FALSE(old->by_direction);
  EXPECT_EQ(old->number, 5u);
  EXPECT_EQ(old->centroids, stored.centroids);
  std::string unknown = EncodePartitioning(stored);
  unknown[20] = 0x06;  // flags 6: bits no server knows
  EXPECT_EQ(DecodePartitioning(unknown, 2).status().code(), absl::StatusCode::kDataLoss);
}

TEST(ConfigCodecTest, RoundTripsEveryField) {
  StoredCollection stored;
  stored.id = 42;
  stored.config = MakeCollectionConfig("docs.v2", 1536, 3, Metric::kL2);
  ASSERT_TRUE(ApplyVariantName("mse-unitnorm", &stored.config.quantizer).ok());
  stored.config.quantizer.rotation = RotationKind::kDense;
  stored.config.quantizer.projection = QjlProjectionKind::kGaussian;
  stored.config.quantizer.seed = UINT64_MAX - 5;
  stored.config.store_vectors = false;
  stored.config.durability = Durability::kGroupCommit;
  stored.config.partition_at = 12345;
  stored.config.nprobe = 17;
  absl::StatusOr<StoredCollection> decoded = DecodeCollectionRecord(EncodeCollectionRecord(stored));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->id, 42);
  EXPECT_TRUE(SameDataLayout(decoded->config, stored.config));
  EXPECT_EQ(decoded->config.durability, Durability::kGroupCommit);
  EXPECT_EQ(decoded->config.partition_at, 12345u);
  EXPECT_EQ(decoded->config.nprobe, 17);
  // 32-bit factors, like records written before compact ones, have no factor_bits line.
  EXPECT_EQ(EncodeCollectionRecord(stored).find("factor_bits"), std::string::npos);
  stored.config.quantizer.factor_bits = 16;
  decoded = DecodeCollectionRecord(EncodeCollectionRecord(stored));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->config.quantizer.factor_bits, 16);
  EXPECT_TRUE(SameDataLayout(decoded->config, stored.config));
}

TEST(ConfigCodecTest, RejectsMalformedRecordsAndOtherVersions) {
  StoredCollection stored{1, MakeCollectionConfig("c", 8, 4)};
  const std::string good = EncodeCollectionRecord(stored);
  const auto loss = absl::StatusCode::kDataLoss;
  EXPECT_EQ(DecodeCollectionRecord("").status().code(), loss);
  EXPECT_EQ(DecodeCollectionRecord("garbage").status().code(), loss);
  std::string no_dim = good;
  no_dim.erase(no_dim.find("dim="),
               no_dim.find('\n', no_dim.find("dim=")) - no_dim.find("dim=") + 1);
  EXPECT_EQ(DecodeCollectionRecord(no_dim).status().code(), loss);
  std::string bad_bits = good;
  bad_bits.replace(bad_bits.find("bits=4"), 6, "bits=99");
  EXPECT_EQ(DecodeCollectionRecord(bad_bits).status().code(), loss);
  std::string other_version = good;
  other_version.replace(0, 8, "format=9");
  EXPECT_EQ(DecodeCollectionRecord(other_version).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tqdb::storage
