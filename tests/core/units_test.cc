#include "waltune/units.h"

#include <gtest/gtest.h>

namespace waltune {
namespace {

double Rate(const char* text) {
  auto r = ParseRateTps(text, "f");
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : -1;
}
double Dur(const char* text) {
  auto r = ParseDurationS(text, "f");
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : -1;
}
uint64_t Bytes(const char* text) {
  auto r = ParseBytes(text, "f");
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : 0;
}

TEST(ParseRate, ContractForms) {
  EXPECT_DOUBLE_EQ(Rate("5000"), 5000);
  EXPECT_DOUBLE_EQ(Rate("5000 tps"), 5000);
  EXPECT_DOUBLE_EQ(Rate("5k tps"), 5000);
  EXPECT_DOUBLE_EQ(Rate("300 tx/s"), 300);
  EXPECT_DOUBLE_EQ(Rate("1.5K TPS"), 1500);
  EXPECT_DOUBLE_EQ(Rate("2M tps"), 2e6);
  EXPECT_DOUBLE_EQ(Rate("600 tx/min"), 10);
  EXPECT_DOUBLE_EQ(Rate("12,000 tps"), 12000);
}

TEST(ParseRate, RejectsForeignUnitsAndNegatives) {
  auto r = ParseRateTps("5000 MB", "constraints.write_rate");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "constraints.write_rate");
  EXPECT_NE(r.status().message().find("not a rate"), std::string::npos);
  EXPECT_FALSE(ParseRateTps("-5 tps", "f").ok());
  EXPECT_FALSE(ParseRateTps("fast", "f").ok());
  EXPECT_FALSE(ParseRateTps("", "f").ok());
}

TEST(ParseDuration, ContractForms) {
  EXPECT_DOUBLE_EQ(Dur("45"), 45);
  EXPECT_DOUBLE_EQ(Dur("45s"), 45);
  EXPECT_DOUBLE_EQ(Dur("2min"), 120);
  EXPECT_DOUBLE_EQ(Dur("1h"), 3600);
  EXPECT_DOUBLE_EQ(Dur("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(Dur("1.5 hours"), 5400);
  EXPECT_FALSE(ParseDurationS("45 tps", "f").ok());
  EXPECT_FALSE(ParseDurationS("-3s", "f").ok());
}

TEST(ParseBytes, BinaryPrefixesLikeDatabases) {
  EXPECT_EQ(Bytes("8192"), 8192u);
  EXPECT_EQ(Bytes("16kB"), 16384u);
  EXPECT_EQ(Bytes("512MB"), 512ull << 20);
  EXPECT_EQ(Bytes("4GB"), 4ull << 30);
  EXPECT_EQ(Bytes("4 GiB"), 4ull << 30);
  EXPECT_EQ(Bytes("1TB"), 1ull << 40);
  EXPECT_EQ(Bytes("100 bytes"), 100u);
  EXPECT_FALSE(ParseBytes("4 parsecs", "f").ok());
}

TEST(Format, PostgresAndMyCnfSizes) {
  EXPECT_EQ(FormatPgBytes(4ull << 30), "4GB");
  EXPECT_EQ(FormatPgBytes(96ull << 20), "96MB");
  EXPECT_EQ(FormatPgBytes(1536ull << 20), "1536MB");
  EXPECT_EQ(FormatPgBytes(8192), "8kB");
  EXPECT_EQ(FormatMyCnfBytes(2ull << 30), "2G");
  EXPECT_EQ(FormatMyCnfBytes(100ull << 20), "100M");
  EXPECT_EQ(FormatPgDuration(600), "10min");
  EXPECT_EQ(FormatPgDuration(3600), "1h");
  EXPECT_EQ(FormatPgDuration(90), "90s");
  EXPECT_EQ(FormatPgDuration(0.2), "200ms");
}

TEST(Format, NumbersOneImplementationPerFormat) {
  EXPECT_EQ(FormatDecimal(2.25, 'f', 1), "2.2");         // printf: the binary value's tie to even
  EXPECT_EQ(FormatDecimal(1e300, 'f', 0).size(), 301u);  // no fixed buffer
  EXPECT_EQ(FormatNumber(5000000), "5000000");
  EXPECT_EQ(FormatNumber(0.25), "0.25");
  EXPECT_EQ(FormatNumber(1.23456), "1.23");
  EXPECT_EQ(FormatNumber(1e16), "1e+16");
  EXPECT_EQ(FormatTps(12345.4), "12345 tps");
  EXPECT_EQ(FormatTps(100), "100 tps");
  EXPECT_EQ(FormatTps(99.96), "100.0 tps");  // one decimal below 100
  EXPECT_EQ(FormatTps(12.54), "12.5 tps");
  EXPECT_EQ(FormatEstimateValue(1234.5678), "1235");
  EXPECT_EQ(FormatEstimateValue(-250.4), "-250");
  EXPECT_EQ(FormatEstimateValue(0.123456), "0.1235");
  EXPECT_EQ(FormatEstimateValue(12.5), "12.5");
  EXPECT_EQ(FormatConfigNumber(1000), "1000");
  EXPECT_EQ(FormatConfigNumber(0.9), "0.9");
  EXPECT_EQ(FormatConfigNumber(1.5e-5), "1.5e-05");
  EXPECT_EQ(FormatConfigNumber(-0.0), "0");
}

TEST(JoinNames, CommasThenTheLastJoint) {
  EXPECT_EQ(JoinNames({}, " or "), "");
  EXPECT_EQ(JoinNames({"a"}, " or "), "a");
  EXPECT_EQ(JoinNames({"a", "b"}, " and "), "a and b");
  EXPECT_EQ(JoinNames({"insert", "update", "tpcb"}, " or "), "insert, update or tpcb");
}

}  // namespace
}  // namespace waltune
