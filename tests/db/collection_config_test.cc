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
  spec.bytes_per_vector = 8;  // only the factors
  EXPECT_EQ(ResolveCollectionConfig(spec).status().code(), absl::StatusCode::kInvalidArgument);
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
  // GloVe's d = 100: whole bits take 13 + 8 (1 bit, tq-prod's signs), 25 + 8, 38 + 8, 50 + 8.
  const struct {
    int budget;
    int bits;
    int eighths;
  } cases[] = {{21, 1, 0}, {25, 1, 2}, {33, 2, 0}, {46, 3, 0}, {58, 4, 0}, {40, 2, 4}};
  for (const auto& c : cases) {
    const QuantizerConfig q = *QuantizerForBudget(100, c.budget);
    EXPECT_EQ(q.bits, c.bits) << c.budget;
    EXPECT_EQ(q.eighths, c.eighths) << c.budget;
    EXPECT_LE(BytesPerVector(q), static_cast<size_t>(c.budget));
    // One eighth more would not fit.
    const int next = q.bits * 8 + q.eighths + 1;
    EXPECT_GT(BytesPerVector(DefaultQuantizerConfig(100, next / 8, next % 8)),
              static_cast<size_t>(c.budget))
        << c.budget;
  }
  EXPECT_EQ(QuantizerForBudget(100, 20).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tqdb
