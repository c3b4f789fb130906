// The query reader: normalisation, each extractor, and the phrasing corpus (tests/data).
#include "waltune/query_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "corpus.h"
#include "waltune/engine_traits.h"

namespace waltune {
namespace {

using json = nlohmann::json;

TEST(NormalizeQueryText, QuotesDashesSpacesAndThousands) {
  EXPECT_EQ(NormalizeQueryText("We can\xE2\x80\x99t lose data"), "we can't lose data");
  EXPECT_EQ(NormalizeQueryText("\xE2\x80\x9CNo data loss\xE2\x80\x9D"), "\"no data loss\"");
  EXPECT_EQ(NormalizeQueryText("fast\xE2\x80\x94really"), "fast-really");
  EXPECT_EQ(NormalizeQueryText("30\xC2\xA0"
                               "000 tps"),
            "30000 tps");
  EXPECT_EQ(NormalizeQueryText("30,000 TPS"), "30000 tps");
  EXPECT_EQ(NormalizeQueryText("1,234,567 rows"), "1234567 rows");
  EXPECT_EQ(NormalizeQueryText("30'000 tps"), "30000 tps");
  EXPECT_EQ(NormalizeQueryText("  Lots \t of\n space  "), "lots of space");
  // Not thousands groups: a decimal comma, a list, a version, a unit glued to the group.
  EXPECT_EQ(NormalizeQueryText("1,5 s"), "1,5 s");
  EXPECT_EQ(NormalizeQueryText("32, 64 and 128"), "32, 64 and 128");
  EXPECT_EQ(NormalizeQueryText("8.0.200 000"), "8.0.200 000");
  EXPECT_EQ(NormalizeQueryText("16 128gb"), "16 128gb");
}

// libstdc++'s std::regex recurses once per character a repetition consumes. Found by
// fuzz_request (a 56,612-character engine name); "rpo" and 10,000 colons overflowed the 8 MiB
// stack of the normal build. These texts are as long as a request may be, and are read.
TEST(ReadQuery, LongRunsDoNotExhaustTheStack) {
  const size_t n = 99000;
  std::string of;
  for (size_t i = 0; i < n / 3; ++i) of += "of ";
  const std::vector<std::string> texts = {
      "rpo " + std::string(n, ':'),
      "rpo " + of + "0",
      "no " + std::string(n, 'a') + " lost",
      "working set of " + std::string(n, '~') + " 5 gb",
      "postgres" + std::string(n, '-') + "16",
      "lost " + std::string(n, 'x') + " not acceptable",
  };
  for (const std::string& t : texts) {
    QueryReading q = ReadQuery(t);  // must return
    EXPECT_FALSE(q.loss_averse) << t.substr(0, 20);
    EXPECT_FALSE(q.working_set_bytes) << t.substr(0, 20);
    EXPECT_FALSE(q.version) << t.substr(0, 20);
  }
  QueryReading pg = ReadQuery("postgres" + std::string(n, '-') + "16");
  ASSERT_TRUE(pg.engine);
  EXPECT_EQ(pg.engine->value, Engine::kPostgreSQL);
}

TEST(NormalizeQueryText, BreaksRunsLongerThanAnyWordAndLeavesTextWithoutThemAlone) {
  const std::string prose = "we need 1500 tps on postgresql 16, no data loss (write-ahead-log)";
  EXPECT_EQ(NormalizeQueryText(prose), prose);
  std::string word(64, 'a');
  EXPECT_EQ(NormalizeQueryText("x " + word + " y"), "x " + word + " y");
  EXPECT_EQ(NormalizeQueryText("x " + word + "bc y"), "x " + word + " bc y");
  EXPECT_EQ(NormalizeQueryText(std::string(130, 'z')),
            std::string(64, 'z') + " " + std::string(64, 'z') + " zz");
}

TEST(FindEngine, VersionsOnlyInEachEnginesRange) {
  auto read = [](const char* text) {
    std::optional<Reading<EngineVersion>> v;
    auto e = FindEngine(NormalizeQueryText(text), &v);
    return std::make_pair(e, v);
  };
  auto [pg2, pg2v] = read("postgres 2 replicas");
  ASSERT_TRUE(pg2);
  EXPECT_FALSE(pg2v);
  auto [my, myv] = read("We run MySQL 8.0.20 in prod");
  ASSERT_TRUE(my && myv);
  EXPECT_EQ(myv->value, (EngineVersion{8, 0, 20}));
  auto [pg, pgv] = read("pg13");
  ASSERT_TRUE(pg && pgv);
  EXPECT_EQ(pgv->value.major, 13);
  auto [pg9, pg9v] = read("PostgreSQL 9.6");
  ASSERT_TRUE(pg9v);  // read as 9.6 so that the request fails naming the field, not silently 17
  EXPECT_EQ(pg9v->value, (EngineVersion{9, 6, 0}));
  auto [none, nonev] = read("pg_dump takes ages");
  EXPECT_FALSE(none);
  auto [rate, ratev] = read("postgres 30k tps");
  ASSERT_TRUE(rate);
  EXPECT_FALSE(ratev);
  std::vector<Engine> named;
  std::optional<Reading<EngineVersion>> v;
  auto target =
      FindEngine(NormalizeQueryText("migrating from MySQL 5.7 to PostgreSQL 16"), &v, &named);
  EXPECT_EQ(named.size(), 2u);
  ASSERT_TRUE(target && v);
  EXPECT_EQ(target->value, Engine::kPostgreSQL);  // the engine migrated to
  EXPECT_EQ(v->value.major, 16);
  named.clear();
  FindEngine(NormalizeQueryText("MariaDB 10.11 (InnoDB)"), &v, &named);
  EXPECT_EQ(named, std::vector<Engine>{Engine::kMariaDB});
}

TEST(ReadDurabilityPhrase, NamesAndProse) {
  EXPECT_EQ(ReadDurabilityPhrase("group commit")->level, Durability::kStrict);
  EXPECT_EQ(ReadDurabilityPhrase("Group Commit")->level, Durability::kStrict);
  EXPECT_EQ(ReadDurabilityPhrase("fsync every commit")->level, Durability::kStrict);
  EXPECT_EQ(ReadDurabilityPhrase("standard")->level, Durability::kStandard);
  EXPECT_EQ(ReadDurabilityPhrase("relaxed")->level, Durability::kRelaxed);
  EXPECT_EQ(ReadDurabilityPhrase("no acknowledged transaction may be lost")->level,
            Durability::kStrict);
  EXPECT_EQ(ReadDurabilityPhrase("we can lose a second")->level, Durability::kStandard);
  EXPECT_FALSE(ReadDurabilityPhrase("maybe"));
}

TEST(ReadQuery, ExplicitStatementBeatsDomainWordAndStricterWinsATie) {
  QueryReading q = ReadQuery("Payments analytics copy; we can lose a second of it.");
  ASSERT_TRUE(q.loss_averse && q.loss_tolerant);
  EXPECT_EQ(q.loss_averse->strength, Strength::kDomain);
  EXPECT_EQ(q.Overall()->level, Durability::kStandard);
  QueryReading both = ReadQuery("Losing a second is fine, but no data loss for payments.");
  EXPECT_EQ(both.Overall()->level, Durability::kStrict);
}

TEST(ReadQuery, AbsurdNumbersAreReportedNotUsed) {
  QueryReading q = ReadQuery("we do 9000000000 tps and 500000 connections");
  EXPECT_FALSE(q.write_rate_tps);
  EXPECT_FALSE(q.concurrency);
  EXPECT_EQ(q.absurd.size(), 2u);
  EXPECT_FALSE(ReadQuery("RTO of 30 days").recovery_target_s);
}

const char* StorageWord(StorageClass c) {
  switch (c) {
    case StorageClass::kHdd:
      return "hdd";
    case StorageClass::kSataSsd:
      return "ssd";
    case StorageClass::kConsumerNvme:
      return "nvme";
    case StorageClass::kEnterpriseFlash:
      return "plp";
    case StorageClass::kBatteryBackedCache:
      return "bbu";
    case StorageClass::kMemory:
      return "memory";
  }
  return "?";
}

// Every phrasing in tests/data/query_phrasings.json gives exactly its expected reading: each
// listed value is read, and a value that is not listed is not read at all.
TEST(PhrasingCorpus, EveryPhrasingGivesItsExpectedReading) {
  const json& corpus = testing::Phrasings();
  ASSERT_GE(corpus.size(), 200u) << "corpus missing or too small";
  int failures = 0;
  for (const json& p : corpus) {
    const std::string text = p.at("text").get<std::string>();
    const QueryReading q = ReadQuery(text);
    std::string problems;
    auto compare = [&](const char* key, const std::string& got, const std::string& evidence) {
      const std::string want =
          p.contains(key) ? (p[key].is_string() ? p[key].get<std::string>() : p[key].dump())
                          : "none";
      if (got != want) {
        problems += std::string("\n  ") + key + ": want " + want + ", read " + got +
                    (evidence.empty() ? "" : " from \"" + evidence + "\"");
      }
    };
    auto d = q.Overall();
    compare("durability", d ? DurabilityName(d->level) : "none", d ? d->evidence : "");
    compare("engine", q.engine ? EngineName(q.engine->value) : "none",
            q.engine ? q.engine->evidence : "");
    compare("version", q.version ? q.version->value.ToString() : "none",
            q.version ? q.version->evidence : "");
    auto number = [&](const char* key, auto reading) {
      if (p.contains(key) && reading &&
          std::fabs(static_cast<double>(reading->value) - p[key].get<double>()) <= 0.01) {
        return;
      }
      compare(key, reading ? std::to_string(static_cast<double>(reading->value)) : "none",
              reading ? reading->evidence : "");
    };
    number("rate_tps", q.write_rate_tps);
    number("recovery_s", q.recovery_target_s);
    number("concurrency", q.concurrency);
    number("working_set_bytes", q.working_set_bytes);
    number("data_size_bytes", q.data_size_bytes);
    number("memory_bytes", q.memory_bytes);
    compare("storage", q.storage ? StorageWord(q.storage->value) : "none",
            q.storage ? q.storage->evidence : "");
    compare("replication", q.replication ? ReplicationName(q.replication->value) : "none",
            q.replication ? q.replication->evidence : "");
    compare("accepts_corruption_risk", q.accepts_corruption_risk ? "true" : "none",
            q.accepts_corruption_risk ? q.accepts_corruption_risk->evidence : "");
    if (!problems.empty()) {
      ++failures;
      ADD_FAILURE() << "\"" << text << "\"" << problems;
    }
  }
  EXPECT_EQ(failures, 0) << "phrasings misread out of " << corpus.size();
}

// The corpus has enough of each kind to mean something.
TEST(PhrasingCorpus, CoversEveryReading) {
  int strict = 0, standard = 0, relaxed = 0, none = 0, versions = 0, rates = 0;
  for (const json& p : testing::Phrasings()) {
    const std::string d = p.at("durability").get<std::string>();
    strict += d == "strict";
    standard += d == "standard";
    relaxed += d == "relaxed";
    none += d == "none";
    versions += p.contains("version");
    rates += p.contains("rate_tps");
  }
  EXPECT_GE(strict, 60);
  EXPECT_GE(standard, 20);
  EXPECT_GE(relaxed, 30);
  EXPECT_GE(none, 40);
  EXPECT_GE(versions, 20);
  EXPECT_GE(rates, 25);
}

}  // namespace
}  // namespace waltune
