// The worked example of docs/architecture.md "How to add an engine": a fake engine, compiled
// only into this test, registered through the same engine table that `advise` (request
// parsing, Solve, rendering) and verify's planning use. Nothing in src/ knows about it.
#include <gtest/gtest.h>

#include <string>

#include "targets.h"
#include "waltune/engine.h"
#include "waltune/engine_traits.h"
#include "waltune/render.h"
#include "waltune/request.h"
#include "waltune/verify.h"

namespace waltune {
namespace {

// A trivial advisor: one fixed answer, built through the normal Advice structs.
class FakeAdvisor : public EngineAdvisor {
 public:
  EngineVersion DefaultVersion() const override { return {2, 1, 0}; }
  Status CheckVersion(const EngineVersion& v, std::vector<std::string>*) const override {
    if (v.major != 2) return Status::InvalidArgument("", "FakeDB " + v.ToString() + " unknown");
    return Status::Ok();
  }
  CpuCosts Cpu() const override {
    CpuCosts c;
    c.per_txn_us = 50;
    return c;
  }
  Advice Advise(const Scenario& s) const override {
    Advice a;
    a.engine = s.engine;
    a.version = s.version;
    a.durability = s.durability;
    a.wal_config.push_back(Setting::Text("fake_sync", "every_commit", "flush at each commit"));
    a.checkpoint_settings.push_back(Setting::Number("fake_checkpoint_s", 30, "fixed"));
    a.estimated_recovery_time_s = 2;
    a.group_commit_enabled = true;
    a.group_commit_settings.push_back(Setting::Number("fake_commit_wait_us", 250, "fixed"));
    a.with_config_tps = 1234;
    a.assumptions = s.assumptions;
    a.config_target = "fake.conf";
    a.config_snippet = "fake_sync = every_commit\n";
    return a;
  }
};

const EngineAdvisor& FakeAdvisorInstance() {
  static const FakeAdvisor advisor;
  return advisor;
}

// Registered once per process, on first use.
Engine FakeEngine() {
  static const Engine engine = RegisterEngine(EngineTraits{
      .name = "FakeDB",
      .key = "fakedb",
      .aliases = {"fake db", "fake"},
      .advisor = &FakeAdvisorInstance,
      .delay_parameters = {"fake_commit_wait_us"},
      .verify_supported = true,
  });
  return engine;
}

Result<Scenario> ParseFake(const std::string& db_engine) {
  FakeEngine();
  return ParseRequestText(R"({"constraints": {"db_engine": ")" + db_engine +
                          R"(", "durability_requirement": "strict"}})");
}

TEST(FakeEngine, GetsTheNextEngineValue) {
  EXPECT_GT(static_cast<int>(FakeEngine()), static_cast<int>(Engine::kSQLite));
  EXPECT_EQ(EngineName(FakeEngine()), std::string("FakeDB"));
  EXPECT_EQ(EngineByName("FAKEDB"), FakeEngine());
  EXPECT_EQ(EngineByName("Fake  DB"), FakeEngine());
}

TEST(FakeEngine, RequestParsingAcceptsItsNamesAndVersions) {
  Result<Scenario> s = ParseFake("fakedb");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->engine, FakeEngine());
  EXPECT_EQ(s->version, (EngineVersion{2, 1, 0}));  // the advisor's default
  Result<Scenario> v = ParseFake("fake 2.4");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->engine, FakeEngine());
  EXPECT_EQ(v->version, (EngineVersion{2, 4, 0}));
  // Its advisor's version check applies, naming the field the version came from.
  Result<Scenario> old = ParseFake("fakedb 1");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().field(), "constraints.db_engine");
}

TEST(FakeEngine, SolveDispatchesToItsAdvisorAndRenderersUseItsName) {
  Result<Scenario> s = ParseFake("FakeDB");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Advice a = Solve(*s);
  ASSERT_NE(a.Find("fake_sync"), nullptr);
  EXPECT_EQ(a.with_config_tps, 1234);
  const nlohmann::ordered_json j = AdviceToJson(a);
  EXPECT_EQ(j["wal_config"]["engine"], "FakeDB");
  EXPECT_EQ(j["wal_config"]["engine_version"], "2.1");
  EXPECT_EQ(j["durability_level"], "strict");
  EXPECT_EQ(j["group_commit"]["delay_us"], 250);  // its delay parameter, from the table
  EXPECT_FALSE(j["group_commit"].contains("commit_delay_us"));
  EXPECT_EQ(AdviceToText(a).rfind("waltune advice: FakeDB 2.1, durability strict", 0), 0u);
  // The table's list of engines in messages includes it.
  EXPECT_NE(EngineNameList(" and ").find("SQLite and FakeDB"), std::string::npos);
}

TEST(FakeEngine, VerifyPlanningAcceptsIt) {
  FakeEngine();
  Result<Engine> e = ParseVerifyEngine("fakedb");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(*e, FakeEngine());
  Result<Scenario> s = ParseFake("fakedb");
  ASSERT_TRUE(s.ok());
  RunConditions run;
  run.engine = *e;
  run.memory_bytes = 1ull << 33;
  Result<VerifyPlan> plan = PlanFromAdviceJson(AdviceToJson(Solve(*s)), run);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->durability, Durability::kStrict);
  ASSERT_FALSE(plan->settings.empty());
  EXPECT_EQ(plan->settings.front().first, "fake_sync");
  // Advice for another engine is not this run's.
  run.engine = Engine::kSQLite;
  Result<VerifyPlan> other = PlanFromAdviceJson(AdviceToJson(Solve(*s)), run);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().field(), "wal_config.engine");
}

// Its verify target registers the way targets/<engine>.cc do; until then verify says there is
// none instead of running anything.
bool g_fake_target_made = false;
std::unique_ptr<verify::Target> MakeFakeTarget(const VerifyOptions& options) {
  g_fake_target_made = options.engine == FakeEngine();
  return nullptr;
}

TEST(FakeEngine, VerifyMakesItsRegisteredTarget) {
  VerifyOptions o;
  o.engine = FakeEngine();
  Result<std::unique_ptr<verify::Target>> none = verify::MakeTarget(o);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().field(), "--engine");
  EXPECT_NE(none.status().message().find("FakeDB"), std::string::npos);
  ASSERT_TRUE(verify::RegisterTarget(FakeEngine(), &MakeFakeTarget));
  EXPECT_EQ(verify::FindTargetFactory(FakeEngine()), &MakeFakeTarget);
  EXPECT_TRUE(verify::MakeTarget(o).ok());
  EXPECT_TRUE(g_fake_target_made);
}

TEST(FakeEngine, UnregisteredNamesAreStillRefusedNamingTheField) {
  FakeEngine();
  Result<Scenario> s = ParseFake("nosuchdb");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsInvalidArgument());
  EXPECT_EQ(s.status().field(), "constraints.db_engine");
  EXPECT_NE(s.status().message().find("FakeDB"), std::string::npos);  // what it knows
  Result<Engine> v = ParseVerifyEngine("nosuchdb");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().field(), "--engine");
}

}  // namespace
}  // namespace waltune
