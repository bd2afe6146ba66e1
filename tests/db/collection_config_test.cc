#include "tqdb/collection_config.h"

#include "gtest/gtest.h"

namespace tqdb {
namespace {

TEST(CollectionConfigTest, ResolveFillsTheEngineDefaults) {
  CollectionSpec spec;
  spec.name = "docs";
  spec.dim = 100;
  spec.bits = 1;
  const CollectionConfig one_bit = *ResolveCollectionConfig(spec);
  EXPECT_EQ(VariantName(one_bit.quantizer), "prod");
  EXPECT_TRUE(one_bit.store_vectors);
  EXPECT_EQ(one_bit.durability, Durability::kSync);
  EXPECT_EQ(one_bit.quantizer.seed, QuantizerConfig().seed);
  EXPECT_EQ(one_bit.metric, Metric::kCosine);
  spec.bits = 4;
  EXPECT_EQ(VariantName(ResolveCollectionConfig(spec)->quantizer), "mse-ratio");
}

TEST(CollectionConfigTest, ResolveAppliesWhatTheSpecSets) {
  CollectionSpec spec;
  spec.name = "docs";
  spec.dim = 8;
  spec.bits = 3;
  spec.metric = Metric::kL2;
  spec.variant = "mse-plain";
  spec.store_vectors = false;
  spec.seed = 42;
  spec.durability = Durability::kGroupCommit;
  const CollectionConfig config = *ResolveCollectionConfig(spec);
  EXPECT_EQ(config.metric, Metric::kL2);
  EXPECT_EQ(VariantName(config.quantizer), "mse-plain");
  EXPECT_FALSE(config.store_vectors);
  EXPECT_EQ(config.quantizer.seed, 42u);
  EXPECT_EQ(config.durability, Durability::kGroupCommit);
  EXPECT_TRUE(ValidateCollectionConfig(config).ok());
}

TEST(CollectionConfigTest, ResolveAndValidateRefuseBadSpecs) {
  CollectionSpec spec;
  spec.name = "docs";
  spec.dim = 8;
  EXPECT_EQ(ResolveCollectionConfig(spec).status().message(),
            "bits (1..8) or bytes_per_vector must be given");
  spec.bits = 2;
  spec.bytes_per_vector = 40;
  EXPECT_EQ(ResolveCollectionConfig(spec).status().message(),
            "give bits or bytes_per_vector, not both");
  spec.bits = 0;
  spec.bytes_per_vector = 4;  // only the (16-bit) factors
  EXPECT_EQ(ResolveCollectionConfig(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.bytes_per_vector = 8;  // room for a code with 16-bit factors, not with 32-bit ones
  EXPECT_TRUE(ResolveCollectionConfig(spec).ok());
  spec.factor_bits = 32;
  EXPECT_EQ(ResolveCollectionConfig(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.factor_bits = 24;
  spec.bytes_per_vector = 40;
  EXPECT_EQ(ResolveCollectionConfig(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.factor_bits.reset();
  spec.bytes_per_vector.reset();
  spec.bits = 2;
  spec.variant = "best";
  EXPECT_EQ(ResolveCollectionConfig(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.variant = "";
  for (int dim : {0, kMaxDimension + 1}) {
    spec.dim = dim;
    const CollectionConfig config = *ResolveCollectionConfig(spec);  // ranges: validated later
    EXPECT_EQ(ValidateCollectionConfig(config).code(), absl::StatusCode::kInvalidArgument) << dim;
  }
}

TEST(CollectionConfigTest, FractionalBitsSplitTheCoordinatesAndSurviveTheRecord) {
  CollectionSpec spec;
  spec.name = "docs";
  spec.dim = 100;
  spec.bits = 1;
  spec.eighths = 4;
  const CollectionConfig config = *ResolveCollectionConfig(spec);
  EXPECT_EQ(VariantName(config.quantizer), "mse-ratio");  // tq-prod takes whole bits
  EXPECT_EQ(config.quantizer.eighths, 4);
  // 48 coordinates at 2 bits (d/2 rounded to a multiple of 8), 52 at 1: 12 + 7 bytes.
  EXPECT_EQ(BytesPerVector(config.quantizer), 12u + 7u + 8u);
  EXPECT_DOUBLE_EQ(CodeBitsPerCoordinate(config.quantizer), 1.48);
  EXPECT_NE(DescribeConfig(config).find("bits=1.5"), std::string::npos);
  EXPECT_TRUE(ValidateCollectionConfig(config).ok());
  spec.variant = "prod";
  EXPECT_EQ(ValidateCollectionConfig(*ResolveCollectionConfig(spec)).code(),
            absl::StatusCode::kInvalidArgument);
  spec.variant = "";
  spec.bits = 8;  // 8.5 would need 9-bit codebooks
  EXPECT_EQ(ValidateCollectionConfig(*ResolveCollectionConfig(spec)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CollectionConfigTest, ABudgetPicksTheWidestCodeThatFits) {
  // GloVe's d = 100: whole bits take 13 (1 bit, tq-prod's signs), 25, 38 or 50 bytes of code,
  // plus 8 bytes of 32-bit factors or 4 of 16-bit ones.
  const struct {
    int factor_bits;
    int budget;
    int bits;
    int eighths;
  } cases[] = {{32, 21, 1, 0}, {32, 25, 1, 2}, {32, 33, 2, 0}, {32, 46, 3, 0},
               {32, 58, 4, 0}, {32, 40, 2, 4}, {16, 17, 1, 0}, {16, 21, 1, 2},
               {16, 29, 2, 0}, {16, 33, 2, 2}, {16, 54, 4, 0}, {16, 58, 4, 2}};
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.budget << " B, " << c.factor_bits << "-bit factors");
    const QuantizerConfig q = *QuantizerForBudget(100, c.budget, c.factor_bits);
    EXPECT_EQ(q.factor_bits, c.factor_bits);
    EXPECT_EQ(q.bits, c.bits);
    EXPECT_EQ(q.eighths, c.eighths);
    EXPECT_LE(BytesPerVector(q), static_cast<size_t>(c.budget));
    // One eighth more would not fit.
    const int next = q.bits * 8 + q.eighths + 1;
    QuantizerConfig wider = DefaultQuantizerConfig(100, next / 8, next % 8);
    wider.factor_bits = c.factor_bits;
    EXPECT_GT(BytesPerVector(wider), static_cast<size_t>(c.budget));
  }
  EXPECT_EQ(QuantizerForBudget(100, 20, 32).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(QuantizerForBudget(100, 16, 16).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CollectionConfigTest, CompactFactorsAreTheBudgetsDefaultAndSurviveTheRecord) {
  CollectionSpec spec;
  spec.name = "docs";
  spec.dim = 100;
  spec.bits = 2;
  EXPECT_EQ(ResolveCollectionConfig(spec)->quantizer.factor_bits, 32);
  spec.factor_bits = 16;
  const CollectionConfig config = *ResolveCollectionConfig(spec);
  EXPECT_EQ(config.quantizer.factor_bits, 16);
  EXPECT_EQ(BytesPerVector(config.quantizer), 25u + 4u);
  EXPECT_TRUE(ValidateCollectionConfig(config).ok());
  EXPECT_NE(DescribeConfig(config).find("factor_bits=16"), std::string::npos);
  spec.bits = 0;
  spec.factor_bits.reset();
  spec.bytes_per_vector = 29;
  EXPECT_EQ(ResolveCollectionConfig(spec)->quantizer.factor_bits, 16);
  EXPECT_EQ(ResolveCollectionConfig(spec)->quantizer.bits, 2);
  // A fixed center must fit the halves too (vectors' norms are checked as they arrive).
  spec.metric = Metric::kL2;
  spec.center.assign(100, 0.0f);
  spec.center[0] = 40000.0f;
  EXPECT_EQ(ValidateCollectionConfig(*ResolveCollectionConfig(spec)).code(),
            absl::StatusCode::kInvalidArgument);
  spec.factor_bits = 32;
  spec.bytes_per_vector = 33;
  EXPECT_TRUE(ValidateCollectionConfig(*ResolveCollectionConfig(spec)).ok());
}

}  // namespace
}  // namespace tqdb
