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
  EXPECT_EQ(ResolveCollectionConfig(spec).status().message(), "bits must be given (1..8)");
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

}  // namespace
}  // namespace tqdb
