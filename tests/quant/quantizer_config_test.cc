#include "tqdb/quantizer_config.h"

#include "gtest/gtest.h"
#include "quant/codebook.h"

namespace tqdb {
namespace {

TEST(QuantizerConfigTest, DefaultsAreProdAtOneBitAndCalibratedMseAbove) {
  EXPECT_EQ(VariantName(DefaultQuantizerConfig(100, 1)), "prod");
  for (int bits = 2; bits <= kMaxCodebookBits; ++bits) {
    const QuantizerConfig config = DefaultQuantizerConfig(100, bits);
    EXPECT_EQ(VariantName(config), "mse-ratio") << bits;
    EXPECT_EQ(config.dim, 100);
    EXPECT_EQ(config.bits, bits);
    EXPECT_TRUE(ValidateQuantizerConfig(config).ok()) << bits;
  }
}

TEST(QuantizerConfigTest, ValidationNamesTheBadField) {
  QuantizerConfig config = DefaultQuantizerConfig(0, 4);
  EXPECT_EQ(ValidateQuantizerConfig(config).message(), "dimension must be >= 1, got 0");
  config = DefaultQuantizerConfig(8, kMaxCodebookBits + 1);  // mse: codebook bits at most
  EXPECT_EQ(ValidateQuantizerConfig(config).code(), absl::StatusCode::kInvalidArgument);
  config.kind = QuantizerKind::kProd;  // prod: one more (the QJL bit)
  EXPECT_TRUE(ValidateQuantizerConfig(config).ok());
  config.bits = kMaxCodebookBits + 2;
  EXPECT_NE(ValidateQuantizerConfig(config).message().find("tq-prod"), absl::string_view::npos);
  config.bits = 0;
  EXPECT_EQ(ValidateQuantizerConfig(config).code(), absl::StatusCode::kInvalidArgument);
}

TEST(QuantizerConfigTest, VariantNamesRoundTrip) {
  for (const char* name : {"mse-plain", "mse-ratio", "mse-unitnorm", "prod"}) {
    QuantizerConfig config = DefaultQuantizerConfig(16, 3);
    ASSERT_TRUE(ApplyVariantName(name, &config).ok()) << name;
    EXPECT_EQ(VariantName(config), name);
  }
  QuantizerConfig config = DefaultQuantizerConfig(16, 1);
  config.kind = QuantizerKind::kMse;
  ASSERT_TRUE(ApplyVariantName("default", &config).ok());
  EXPECT_EQ(VariantName(config), "prod");
  const absl::Status bad = ApplyVariantName("mse-best", &config);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("mse-best"), absl::string_view::npos);
  EXPECT_EQ(VariantName(config), "prod");  // unchanged by the failed call
}

}  // namespace
}  // namespace tqdb
