// Checked number parsing (waltune/parse_number.h): the whole text, in range, finite.
#include "waltune/parse_number.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace waltune {
namespace {

TEST(ParseInteger, AcceptsWholeNumbersWithBlanks) {
  EXPECT_EQ(ParseInteger<int>("42"), 42);
  EXPECT_EQ(ParseInteger<int>(" 42\n"), 42);
  EXPECT_EQ(ParseInteger<int>("+7"), 7);
  EXPECT_EQ(ParseInteger<int>("-7"), -7);
  EXPECT_EQ(ParseInteger<uint64_t>("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(ParseInteger<uint32_t>("ffffffff", 16), 0xffffffffu);
  EXPECT_EQ(ParseInteger<unsigned>("040", 8), 32u);
}

TEST(ParseInteger, RefusesGarbageAndOverflow) {
  for (const char* bad : {"", " ", "+", "-", "4x", "x4", "4 4", "1e3", "0x10", "++1", "1.5"}) {
    EXPECT_FALSE(ParseInteger<int>(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseInteger<uint64_t>("18446744073709551616").has_value());  // 2^64
  EXPECT_FALSE(ParseInteger<uint64_t>("-1").has_value());
  EXPECT_FALSE(ParseInteger<int>("2147483648").has_value());
  EXPECT_FALSE(ParseInteger<int>(std::string(1000, '9')).has_value());
  EXPECT_FALSE(ParseInteger<uint32_t>("100000000", 16).has_value());
  EXPECT_FALSE(ParseInteger<unsigned>("8", 8).has_value());
}

TEST(ParseFiniteDouble, AcceptsDecimalAndExponent) {
  EXPECT_EQ(ParseFiniteDouble("0.03"), 0.03);
  EXPECT_EQ(ParseFiniteDouble(" 1e3 "), 1000.0);
  EXPECT_EQ(ParseFiniteDouble("-2.5"), -2.5);
  EXPECT_EQ(ParseFiniteDouble("+2"), 2.0);
}

TEST(ParseFiniteDouble, RefusesNanInfOverflowAndGarbage) {
  for (const char* bad : {"", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "1..2",
                          "1.5s", "0x1p3", ".", "e5"}) {
    EXPECT_FALSE(ParseFiniteDouble(bad).has_value()) << bad;
  }
}

TEST(ParseIntegerField, NamesTheFieldAndQuotesAShortPrefix) {
  Result<uint64_t> r = ParseIntegerField<uint64_t>(std::string(500, 'x'), "SHOW STATUS x");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().field(), "SHOW STATUS x");
  EXPECT_LT(r.status().message().size(), 120u);
  Result<double> d = ParseFiniteDoubleField("nan", "elapsed");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().field(), "elapsed");
  EXPECT_EQ(*ParseFiniteDoubleField("2.5", "elapsed"), 2.5);
}

}  // namespace
}  // namespace waltune
