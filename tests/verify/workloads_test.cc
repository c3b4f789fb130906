// The update and tpcb workloads (layout, SQL, shape), the worst-case helpers (checked LSN and
// integer parsing, page-cache eviction) and their report fields. Unit tests: no engine runs
// here except SQLite in-process, which executes the generated SQL for real.
#include "workloads.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "targets.h"
#include "waltune/verify.h"

namespace waltune::verify {
namespace {

TEST(ParseVerifyWorkload, KnownNamesAndErrorNamesTheField) {
  EXPECT_EQ(*ParseVerifyWorkload("insert"), VerifyWorkload::kInsert);
  EXPECT_EQ(*ParseVerifyWorkload("UPDATE"), VerifyWorkload::kUpdate);
  EXPECT_EQ(*ParseVerifyWorkload("tpcb"), VerifyWorkload::kTpcb);
  auto bad = ParseVerifyWorkload("oltp");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_EQ(bad.status().field(), "--workload");
  EXPECT_STREQ(VerifyWorkloadName(VerifyWorkload::kTpcb), "tpcb");
  EXPECT_EQ(*ParseVerifyWorkload("TPC-B"), VerifyWorkload::kTpcb);
  EXPECT_NE(bad.status().message().find("(insert, update or tpcb)"), std::string::npos)
      << bad.status().message();
}

// The exact names a report or calibration file carries: every workload round-trips, and
// nothing else (other case, aliases, empty) names one.
TEST(VerifyWorkloadNamed, RoundTripsEveryNameAndOnlyThose) {
  for (VerifyWorkload w : kVerifyWorkloads) {
    ASSERT_TRUE(VerifyWorkloadNamed(VerifyWorkloadName(w)).has_value()) << VerifyWorkloadName(w);
    EXPECT_EQ(*VerifyWorkloadNamed(VerifyWorkloadName(w)), w);
  }
  for (const char* wrong : {"", "TPCB", "tpc-b", "Insert", "oltp", "unknown"}) {
    EXPECT_FALSE(VerifyWorkloadNamed(wrong).has_value()) << wrong;
  }
  EXPECT_EQ(VerifyWorkloadNameList(), "insert, update or tpcb");
}

TEST(LayoutFor, SizesTheTableToTheWorkingSet) {
  // 64 MiB / (100 + 48) bytes per row = 453438 rows.
  WorkloadLayout u = LayoutFor(VerifyWorkload::kUpdate, 64ull << 20, 100, 4);
  EXPECT_EQ(u.rows, (64ull << 20) / 148);
  EXPECT_EQ(u.branches, 0u);
  WorkloadLayout t = LayoutFor(VerifyWorkload::kTpcb, 64ull << 20, 100, 4);
  EXPECT_EQ(t.rows, (64ull << 20) / 148);
  EXPECT_EQ(t.branches, 4u);
  EXPECT_EQ(t.tellers, 40u);
  // Never fewer than 1000 rows, whatever the working set.
  EXPECT_EQ(LayoutFor(VerifyWorkload::kUpdate, 1000, 100, 1).rows, 1000u);
  EXPECT_EQ(LayoutFor(VerifyWorkload::kInsert, 64ull << 20, 100, 4).rows, 0u);
}

TEST(TxnSql, EveryTransactionCarriesClientAndSeqAndEndsWithCommit) {
  for (VerifyWorkload w : {VerifyWorkload::kUpdate, VerifyWorkload::kTpcb}) {
    for (SqlDialect d : {SqlDialect::kPostgreSQL, SqlDialect::kMariaDB, SqlDialect::kSQLite}) {
      WorkloadLayout l = LayoutFor(w, 8 << 20, 50, 2);
      std::mt19937_64 rng(7);
      std::vector<std::string> sql = TxnSql(l, d, 3, 42, DrawTxn(l, &rng), "abc");
      ASSERT_GE(sql.size(), 4u);
      EXPECT_EQ(sql.back(), "COMMIT");
      EXPECT_EQ(sql.front(), d == SqlDialect::kSQLite ? "BEGIN IMMEDIATE" : "BEGIN");
      int history = 0;
      for (const std::string& s : sql) {
        if (s.find("INSERT INTO") != std::string::npos &&
            s.find("waltune_load (client_id, seq, payload) VALUES (3, 42, ") != std::string::npos) {
          ++history;
        }
      }
      EXPECT_EQ(history, 1) << VerifyWorkloadName(w);
      // The statement count is the shape's round trips.
      EXPECT_EQ(static_cast<int>(sql.size()), ShapeOf(w, 50, 8 << 20).statements_per_txn);
      if (d == SqlDialect::kMariaDB) {
        for (const std::string& s : sql) {
          if (s.find("waltune_") != std::string::npos) {
            EXPECT_NE(s.find("waltune.waltune_"), std::string::npos) << s;
          }
        }
      }
    }
  }
}

TEST(DrawTxn, StaysInsideTheTables) {
  WorkloadLayout l = LayoutFor(VerifyWorkload::kTpcb, 1 << 20, 100, 3);
  std::mt19937_64 rng(1);
  std::set<uint64_t> branches;
  for (int i = 0; i < 2000; ++i) {
    TxnDraw d = DrawTxn(l, &rng);
    EXPECT_GE(d.row, 1u);
    EXPECT_LE(d.row, l.rows);
    EXPECT_GE(d.teller, 1u);
    EXPECT_LE(d.teller, l.tellers);
    EXPECT_GE(d.delta, -5000);
    EXPECT_LE(d.delta, 5000);
    branches.insert(d.branch);
  }
  EXPECT_EQ(branches, (std::set<uint64_t>{1, 2, 3}));
}

TEST(ShapeOf, HandCheckedShapes) {
  WorkloadShape i = ShapeOf(VerifyWorkload::kInsert, 100, 1 << 20);
  EXPECT_EQ(i.rows_per_txn, 1);
  EXPECT_EQ(i.statements_per_txn, 1);
  EXPECT_EQ(i.random_page_fraction, 0);
  EXPECT_EQ(i.working_set_bytes, 0u);
  WorkloadShape u = ShapeOf(VerifyWorkload::kUpdate, 100, 1 << 20);
  EXPECT_EQ(u.rows_per_txn, 2);
  EXPECT_EQ(u.statements_per_txn, 4);      // BEGIN, UPDATE, INSERT, COMMIT
  EXPECT_EQ(u.txn_write_bytes, 140u);      // 100 + 40-byte history row
  EXPECT_EQ(u.random_page_fraction, 0.5);  // 1 of 2 row writes on a random page
  EXPECT_EQ(u.working_set_bytes, 1u << 20);
  WorkloadShape t = ShapeOf(VerifyWorkload::kTpcb, 100, 1 << 20);
  EXPECT_EQ(t.rows_per_txn, 4);
  EXPECT_EQ(t.statements_per_txn, 7);  // BEGIN, 3 UPDATEs, SELECT, INSERT, COMMIT
  EXPECT_EQ(t.txn_write_bytes, 340u);
  EXPECT_EQ(t.random_page_fraction, 0.25);
  EXPECT_EQ(t.hot_row_statement, 5);  // UPDATE branches
  EXPECT_EQ(u.hot_row_statement, 0);
}

// The SQLite SQL runs for real: the tables fill to the layout, a transaction changes what it
// says and leaves the (client, seq) row.
TEST(PrepareSql, SqliteTablesFillAndTransactionsApply) {
  for (VerifyWorkload w : {VerifyWorkload::kUpdate, VerifyWorkload::kTpcb}) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE waltune_load (client_id INTEGER NOT NULL, seq INTEGER NOT "
                           "NULL, payload TEXT, PRIMARY KEY (client_id, seq))",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    WorkloadLayout l = LayoutFor(w, 1 << 20, 30, 2);
    for (const std::string& s : PrepareSql(l, SqlDialect::kSQLite)) {
      ASSERT_EQ(sqlite3_exec(db, s.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
          << s << ": " << sqlite3_errmsg(db);
    }
    auto count = [db](const char* sql) {
      sqlite3_stmt* st = nullptr;
      EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sql;
      int64_t n = -1;
      if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
      return n;
    };
    const char* table = w == VerifyWorkload::kUpdate ? "SELECT count(*) FROM waltune_rows"
                                                     : "SELECT count(*) FROM waltune_accounts";
    EXPECT_EQ(count(table), static_cast<int64_t>(l.rows));
    if (w == VerifyWorkload::kUpdate) {
      EXPECT_EQ(count("SELECT min(length(payload)) FROM waltune_rows"), 30);
    } else {
      EXPECT_EQ(count("SELECT count(*) FROM waltune_tellers"), 20);
      EXPECT_EQ(count("SELECT max(bid) FROM waltune_accounts"), 2);
    }
    std::mt19937_64 rng(3);
    TxnDraw d = DrawTxn(l, &rng);
    for (const std::string& s : TxnSql(l, SqlDialect::kSQLite, 1, 9, d, "new'payload")) {
      ASSERT_EQ(sqlite3_exec(db, s.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
          << s << ": " << sqlite3_errmsg(db);
    }
    EXPECT_EQ(count("SELECT count(*) FROM waltune_load WHERE client_id = 1 AND seq = 9"), 1);
    if (w == VerifyWorkload::kUpdate) {
      EXPECT_EQ(count("SELECT sum(n) FROM waltune_rows"), 1);
      EXPECT_EQ(count("SELECT count(*) FROM waltune_rows WHERE payload = 'new''payload'"), 1);
    } else {
      // Every balance moved by the same delta: TPC-B's consistency condition.
      EXPECT_EQ(count("SELECT sum(abalance) FROM waltune_accounts"), d.delta);
      EXPECT_EQ(count("SELECT sum(tbalance) FROM waltune_tellers"), d.delta);
      EXPECT_EQ(count("SELECT sum(bbalance) FROM waltune_branches"), d.delta);
    }
    sqlite3_close(db);
  }
}

TEST(PrepareSql, ServerDialectsLoadWithTheirOwnRowSources) {
  WorkloadLayout l = LayoutFor(VerifyWorkload::kUpdate, 1 << 20, 10, 1);
  std::vector<std::string> pg = PrepareSql(l, SqlDialect::kPostgreSQL);
  std::vector<std::string> my = PrepareSql(l, SqlDialect::kMariaDB);
  ASSERT_GE(pg.size(), 3u);
  EXPECT_NE(pg[1].find("generate_series(1, " + std::to_string(l.rows) + ")"), std::string::npos);
  EXPECT_EQ(pg.back(), "CHECKPOINT");
  EXPECT_NE(my[1].find("waltune.seq_1_to_" + std::to_string(l.rows)), std::string::npos);
  EXPECT_NE(my[0].find("ENGINE=InnoDB"), std::string::npos);
  EXPECT_TRUE(
      PrepareSql(LayoutFor(VerifyWorkload::kInsert, 1 << 20, 10, 1), SqlDialect::kPostgreSQL)
          .empty());
}

TEST(ParseLsnText, CheckedHexPairs) {
  EXPECT_EQ(*ParseLsnText("0/1A2B3C8"), 0x1A2B3C8u);
  EXPECT_EQ(*ParseLsnText("1/10"), (uint64_t{1} << 32) + 0x10);
  for (const char* bad : {"", "/", "0/", "/10", "x/10", "0/10 ", "0/1G", "100000000/0"}) {
    EXPECT_FALSE(ParseLsnText(bad).has_value()) << bad;
  }
}

TEST(FormatLsnText, InverseOfParse) {
  EXPECT_EQ(FormatLsnText(0x1A2B3C8u), "0/1A2B3C8");
  EXPECT_EQ(FormatLsnText((uint64_t{1} << 32) + 0x10), "1/10");
  for (uint64_t v : {uint64_t{0}, uint64_t{0xFFFFFFFFu}, UINT64_MAX, uint64_t{0x123456789ABCull}}) {
    EXPECT_EQ(*ParseLsnText(FormatLsnText(v)), v) << v;
  }
}

TEST(ParseWalMixText, SumsImagesAndCompression) {
  // pg_walinspect over an UPDATE and a CREATE INDEX just after a checkpoint (PostgreSQL 15,
  // wal_compression lz4): 954 images of 2 576 bytes on average, of pages of 5 610 bytes.
  std::optional<WalMix> m = ParseWalMixText("6701649 2457529 954 5352016 lz4");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->record_bytes, 6701649u);
  EXPECT_EQ(m->image_bytes, 2457529u);
  EXPECT_EQ(m->images, 954u);
  EXPECT_EQ(m->image_page_bytes, 5352016u);
  EXPECT_EQ(m->compression, "lz4");
  EXPECT_EQ(ParseWalMixText("0 0 0 0 off")->record_bytes, 0u);
  // Counts near 2^64 do not overflow the page-size check.
  EXPECT_TRUE(ParseWalMixText("1 2 18446744073709551615 18446744073709551615 zstd").has_value());
  for (const char* bad : {"", "12", "12 3", "1 2 3 4", "1 2 3 4 ", " 1 2 3 4 lz4", "1 2 3 4 lz4 x",
                          "-1 2 3 4 lz4", "1.5 2 3 4 lz4", "1  2 3 4 lz4", "1 2 3 4 LZ4",
                          "1 2 3 4 l'z", "1 2 1 32769 lz4", "1 2 0 1 lz4"}) {
    EXPECT_FALSE(ParseWalMixText(bad).has_value()) << bad;
  }
}

// pg_waldump --stats from a checkpoint's REDO point after an immediate stop (PostgreSQL 15.18,
// lz4): an UPDATE of every 7th row of a 100 000-row table, rows trimmed.
constexpr const char* kWaldumpStats =
    "WAL statistics between 0/245CD68 and 0/2906F88:\n"
    "Type                                           N      (%)          Record size      (%)     "
    "        FPI size      (%)        Combined size      (%)\n"
    "----                                           -      ---          -----------      ---     "
    "        --------      ---        -------------      ---\n"
    "XLOG                                           1 (  0.00)                  114 (  0.00)     "
    "               0 (  0.00)                  114 (  0.00)\n"
    "Transaction                                    1 (  0.00)                 1093 (  0.03)     "
    "               0 (  0.00)                 1093 (  0.02)\n"
    "Heap                                       28570 ( 99.99)              3340369 ( 99.96)     "
    "         1435373 (100.00)              4775742 ( 99.97)\n"
    "                                        --------                      --------              "
    "        --------                      --------\n"
    "Total                                      28574                       3341696 [69.95%]     "
    "         1435373 [30.05%]              4777069 [100%]\n"
    "pg_waldump: error: error in WAL record at 0/2906B40: invalid record length at 0/2906F88: "
    "wanted 24, got 0\n";

TEST(ParseWaldumpStats, RangeAndTotals) {
  std::optional<CrashWindowMix> m = ParseWaldumpStats(kWaldumpStats);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->start_lsn, 0x245CD68u);
  EXPECT_EQ(m->end_lsn, 0x2906F88u);
  EXPECT_EQ(m->record_bytes, 3341696u);
  EXPECT_EQ(m->fpi_bytes, 1435373u);
  EXPECT_EQ(m->fpi_count, 0u);  // counted apart (CountWaldumpImages)
  EXPECT_EQ(m->xact_records, 1u);
  const std::string good = kWaldumpStats;
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  for (const std::string& bad :
       {std::string(), replaced("WAL statistics between", "WAL between"),
        replaced("0/2906F88:", "0/2906F88"), replaced("and 0/2906F88", "and 0/1000000"),
        replaced("\nTotal", "\nTotals"), replaced("4777069 [100%]", "4777070 [100%]"),
        replaced("1435373 [30.05%]", "x [30.05%]"), replaced(" [100%]", ""),
        replaced("Transaction                                    1 (", "Transaction x (")}) {
    EXPECT_FALSE(ParseWaldumpStats(bad).has_value()) << bad;
  }
}

TEST(CountWaldumpImages, AppliedImagesAndDistinctBlocks) {
  // pg_waldump --fullpage lines (PostgreSQL 15.18): the UPDATE's second block has no image, a
  // block imaged twice counts once among the blocks, an image kept only for
  // wal_consistency_checking is not applied.
  const std::string text =
      "rmgr: Heap        len (rec/tot):     61/   902, tx:        724, lsn: 0/0245CE60, prev "
      "0/0245CDE8, desc: LOCK off 7: xid 724: flags 0x00 LOCK_ONLY EXCL_LOCK , blkref #0: rel "
      "1663/5/16384 blk 0 FPW\n"
      "rmgr: Heap        len (rec/tot):     75/   264, tx:        724, lsn: 0/0245D1E8, prev "
      "0/0245CE60, desc: UPDATE off 7 xmax 724 flags 0x00 ; new off 9 xmax 0, blkref #0: rel "
      "1663/5/16384 blk 1724 FPW, blkref #1: rel 1663/5/16384 blk 0\n"
      "rmgr: Heap2       len (rec/tot):     59/  8247, tx:          0, lsn: 0/0245E000, prev "
      "0/0245D1E8, desc: VISIBLE cutoff xid 0 flags 0x01, blkref #0: rel 1663/5/16384 fork vm "
      "blk 0 FPW, blkref #1: rel 1663/5/16384 blk 0 FPW\n"
      "rmgr: Btree       len (rec/tot):     64/  8256, tx:        725, lsn: 0/02460000, prev "
      "0/0245E000, desc: INSERT_LEAF off 2, blkref #0: rel 1663/5/16387 blk 1 FPW for WAL "
      "verification\n"
      "pg_waldump: error: error in WAL record at 0/2906B40: invalid record length at 0/2906F88: "
      "wanted 24, got 0\n";
  CrashWindowMix m;
  CountWaldumpImages(text, &m);
  EXPECT_EQ(m.fpi_count, 4u);  // blk 0, blk 1724, vm blk 0, blk 0 again
  EXPECT_EQ(m.fpi_pages, 3u);
  CountWaldumpImages("", &m);
  EXPECT_EQ(m.fpi_count, 0u);
  EXPECT_EQ(m.fpi_pages, 0u);
}

TEST(ParseU64Text, WholeTextOnly) {
  EXPECT_EQ(*ParseU64Text("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "-1", "12a", " 1", "18446744073709551616"}) {
    EXPECT_FALSE(ParseU64Text(bad).has_value()) << bad;
  }
}

TEST(EvictFromPageCache, VisitsEveryFileRecursively) {
  char tmpl[] = "/tmp/waltune evict XXXXXX";  // a space in the path on purpose
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::filesystem::create_directories(dir + "/a/b");
  for (const char* f : {"/x", "/a/y", "/a/b/z"}) std::ofstream(dir + f) << "data";
  auto n = EvictFromPageCache(dir);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 3u);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  EXPECT_FALSE(EvictFromPageCache(dir).ok());  // gone: an error, not 0 files silently
}

TEST(AdaptScenarioToRun, UpdateWorkloadSetsTheShapeAndSaysSo) {
  RunConditions run;
  run.workload = VerifyWorkload::kTpcb;
  run.working_set_bytes = 256ull << 20;
  run.payload_bytes = 100;
  run.native_flush_p50_us = 100;
  run.native_flush_p99_us = 200;
  Scenario s;
  AdaptScenarioToRun(run, &s);
  EXPECT_EQ(s.workload.rows_per_txn, 4);
  EXPECT_EQ(s.workload.statements_per_txn, 7);
  EXPECT_EQ(s.workload.txn_write_bytes, 340u);
  EXPECT_EQ(s.workload.random_page_fraction, 0.25);
  EXPECT_EQ(s.workload.working_set_bytes, 256ull << 20);
  bool said = false;
  for (const Assumption& a : s.assumptions) {
    said = said || (a.field == "constraints.statements_per_txn" && a.value == "7");
  }
  EXPECT_TRUE(said);
  // insert keeps the append shape with one statement per transaction.
  run.workload = VerifyWorkload::kInsert;
  Scenario i;
  AdaptScenarioToRun(run, &i);
  EXPECT_EQ(i.workload.statements_per_txn, 1);
  EXPECT_EQ(i.workload.random_page_fraction, 0);
}

TEST(ReportToJson, WorstCaseFieldsPerCrash) {
  VerifyReport r;
  r.engine = "postgresql";
  r.workload = "update";
  r.working_set_bytes = 64ull << 20;
  r.plan.predicted_recovery_time_s = 10;
  Workload w;
  w.rows_per_txn = 2;
  w.statements_per_txn = 4;
  r.plan.predicted_workload = w;
  CrashResult c;
  c.recovery_time_s = 8;
  c.redo_bytes = 400000000;
  c.redo_s = 7.5;
  CrashResult::WorstCase wc;
  wc.checkpoint_cycles = 3;
  wc.distance_bytes = 380000000;
  wc.expected_peak_bytes = 400000000;
  wc.fraction_of_peak = 0.95;
  wc.fraction_wanted = 0.9;
  wc.reached = true;
  wc.cold_cache = true;
  wc.replay_bytes_per_s = 400000000 / 7.5;
  wc.recovery_to_estimate = 0.8;
  wc.expected_at_distance_s = 10;
  wc.recovery_to_expected_at_distance = 0.8;
  CrashWindowMix mix;
  mix.start_lsn = 0x1000000;
  mix.end_lsn = 0x1000000 + 400000000;
  mix.record_bytes = 300000000;
  mix.fpi_bytes = 100000000;
  mix.fpi_count = 40000;
  mix.fpi_pages = 30000;
  mix.xact_records = 500000;
  mix.source = "pg_waldump";
  wc.window = mix;
  c.worst_case = wc;
  r.crashes.push_back(c);
  CrashResult unread = c;
  unread.worst_case->window.reset();
  unread.worst_case->window_error = "pg_waldump: exit 2";
  r.crashes.push_back(unread);
  auto j = ReportToJson(r);
  const auto& window = j["crashes"][0]["worst_case"]["window"];
  EXPECT_EQ(window["record_bytes"], 300000000u);
  EXPECT_EQ(window["fpi_bytes"], 100000000u);
  EXPECT_EQ(window["fpi_count"], 40000u);
  EXPECT_EQ(window["fpi_pages"], 30000u);
  EXPECT_EQ(window["xact_records"], 500000u);
  EXPECT_EQ(window["end_lsn"].get<uint64_t>() - window["start_lsn"].get<uint64_t>(), 400000000u);
  EXPECT_TRUE(j["crashes"][1]["worst_case"]["window"].is_null());
  EXPECT_EQ(j["crashes"][1]["worst_case"]["window_error"], "pg_waldump: exit 2");
  const std::string text = ReportToText(r);
  EXPECT_NE(text.find("crash 1: the window left to replay: 300.0 MB of records, 100.0 MB of "
                      "40000 images (30000 distinct blocks, 2500 bytes each)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("crash 2: the window left to replay was not read: pg_waldump: exit 2"),
            std::string::npos)
      << text;
  EXPECT_EQ(j["workload"]["name"], "update");
  EXPECT_EQ(j["workload"]["working_set_bytes"], 64ull << 20);
  EXPECT_EQ(j["workload"]["predicted_for"]["statements_per_txn"], 4);
  const auto& jw = j["crashes"][0]["worst_case"];
  EXPECT_EQ(jw["checkpoint_cycles"], 3);
  EXPECT_EQ(jw["wal_replayed_bytes"], 400000000u);
  EXPECT_EQ(jw["replay_bytes_per_s"], 53333333.0);
  EXPECT_EQ(jw["recovery_to_estimate"], 0.8);
  EXPECT_EQ(jw["expected_at_distance_s"], 10.0);
  EXPECT_EQ(jw["recovery_to_expected_at_distance"], 0.8);
  EXPECT_EQ(jw["cold_cache"], true);
  EXPECT_NE(ReportToText(r).find("worst case"), std::string::npos);
  auto cal = UpdateCalibration(nullptr, r);
  EXPECT_EQ(cal["engines"]["postgresql"]["replay_cold_start"], true);
  EXPECT_EQ(cal["engines"]["postgresql"]["replay_workload"], "update");
}

TEST(JudgeClaims, WorstCaseAddsTheBandVerdict) {
  ClaimInputs in;
  in.durability = Durability::kStrict;
  in.predicted_recovery_time_s = 10;
  in.crashes = 2;
  in.worst_case = true;
  auto band = [&in]() -> std::optional<Verdict> {
    for (const Verdict& v : JudgeClaims(in)) {
      if (v.claim.rfind("worst-case recovery within 0.6-1.0x", 0) == 0) return v;
    }
    return std::nullopt;
  };
  in.recovery_times_s = in.peak_recovery_times_s = {6.5, 9.8};  // 0.65x and 0.98x
  ASSERT_TRUE(band().has_value());
  EXPECT_TRUE(band()->holds);
  in.recovery_times_s = in.peak_recovery_times_s = {6.5, 10.4};  // over the estimate
  EXPECT_FALSE(band()->holds);
  in.recovery_times_s = in.peak_recovery_times_s = {5.0, 9.0};  // 0.5x: too pessimistic
  EXPECT_FALSE(band()->holds);
  // A crash a checkpoint beat to the peak (0.05x) is left out of the band, and said so.
  in.recovery_times_s = {0.5, 6.5, 9.8};
  in.peak_recovery_times_s = {6.5, 9.8};
  EXPECT_TRUE(band()->holds);
  EXPECT_NE(band()->detail.find("1 crash(es) not at the peak left out"), std::string::npos);
  // No crash at the peak: nothing proves the band.
  in.peak_recovery_times_s.clear();
  EXPECT_FALSE(band()->holds);
  EXPECT_NE(band()->detail.find("no crash reached the peak"), std::string::npos);
  in.worst_case = false;
  EXPECT_FALSE(band().has_value());
}

// InnoDB: the band is on the expected peak (2 s here), the bound (10 s) stays the ceiling of the
// recovery-time verdict; the load must have run within 25% of the rate the peak is for.
TEST(JudgeClaims, WorstCaseBandUsesTheExpectedPeakAtItsRate) {
  ClaimInputs in;
  in.durability = Durability::kStrict;
  in.predicted_recovery_time_s = 10;
  in.expected_peak_recovery_time_s = 2;
  in.required_tps = 500;
  in.measured_tps = 490;
  in.crashes = 1;
  in.worst_case = true;
  auto find = [&in](const std::string& claim_prefix) -> std::optional<Verdict> {
    for (const Verdict& v : JudgeClaims(in)) {
      if (v.claim.rfind(claim_prefix, 0) == 0) return v;
    }
    return std::nullopt;
  };
  auto verdict = [&find](bool band) {
    return find(band ? "worst-case recovery within 0.6-1.0x"
                     : "recovery time within the predicted worst case");
  };
  in.recovery_times_s = in.peak_recovery_times_s = {1.6};  // 0.8x the expected peak
  ASSERT_TRUE(verdict(true).has_value());
  EXPECT_TRUE(verdict(true)->holds);
  EXPECT_DOUBLE_EQ(*verdict(true)->predicted, 2);
  EXPECT_NE(verdict(true)->detail.find("measured / expected peak from 0.80 to 0.80"),
            std::string::npos);
  in.recovery_times_s = in.peak_recovery_times_s = {0.9};  // 0.45x: the peak is pessimistic
  EXPECT_FALSE(verdict(true)->holds);
  in.recovery_times_s = in.peak_recovery_times_s = {2.4};  // above the peak, under the bound
  EXPECT_FALSE(verdict(true)->holds);
  ASSERT_TRUE(verdict(false).has_value());
  EXPECT_TRUE(verdict(false)->holds);
  EXPECT_DOUBLE_EQ(*verdict(false)->predicted, 10);
  in.recovery_times_s = in.peak_recovery_times_s = {1.6};
  in.measured_tps = 1826;  // an unpaced load: the peak at 500 tps is not what it tests
  EXPECT_FALSE(verdict(true)->holds);
  EXPECT_NE(verdict(true)->detail.find("the expected peak is for 500 tps and the load ran at "
                                       "1826 tps"),
            std::string::npos);
  // Without an expected peak the band is on the estimate, as for PostgreSQL.
  in.expected_peak_recovery_time_s.reset();
  in.recovery_times_s = in.peak_recovery_times_s = {8.0};
  EXPECT_TRUE(verdict(true)->holds);
  EXPECT_NE(verdict(true)->detail.find("measured / estimate from 0.80"), std::string::npos);
}

// --crash-copy: with --worst-case only, into an existing empty directory; each refusal names
// the option, and nothing is written.
TEST(RunVerify, RejectsACrashCopyDirItCouldNotFillSafely) {
  char tmpl[] = "/tmp/waltune-copytest-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  VerifyPlan plan;
  VerifyOptions o;
  o.crash_copy_dir = dir;
  auto r = RunVerify(o, plan);  // no --worst-case
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "--crash-copy");
  EXPECT_NE(r.status().message().find("--worst-case"), std::string::npos);
  o.worst_case = true;
  o.crash_copy_dir = dir + "/missing";
  r = RunVerify(o, plan);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "--crash-copy");
  EXPECT_NE(r.status().message().find("not a directory"), std::string::npos);
  { std::ofstream(dir + "/crash1") << "kept"; }
  o.crash_copy_dir = dir;
  r = RunVerify(o, plan);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "--crash-copy");
  EXPECT_NE(r.status().message().find("not empty"), std::string::npos);
  std::ifstream kept(dir + "/crash1");
  std::string text;
  kept >> text;
  EXPECT_EQ(text, "kept");
  std::filesystem::remove_all(dir);
}

TEST(RunVerify, RejectsBadWorstCaseAndWorkloadOptions) {
  VerifyPlan plan;
  VerifyOptions o;
  o.worst_case = true;
  o.worst_case_fraction = 1.5;
  auto r = RunVerify(o, plan);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "--worst-case-fraction");
  o.worst_case_fraction = 0.9;
  o.power_loss = true;
  r = RunVerify(o, plan);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "--worst-case");
  VerifyOptions u;
  u.workload = VerifyWorkload::kUpdate;
  u.working_set_bytes = 1000;
  r = RunVerify(u, plan);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "--working-set");
  for (double rate : {-1.0, 2e6, std::nan("")}) {
    VerifyOptions paced;
    paced.rate_tps = rate;
    r = RunVerify(paced, plan);
    ASSERT_FALSE(r.ok()) << rate;
    EXPECT_EQ(r.status().field(), "--rate");
  }
}

// The history row's payload, as TxnSql writes it. Hand-checked for a 64 MiB working set of
// 100-byte payloads: 67108864 / 148 = 453 438 rows; their ids have (9 x 1 + 90 x 2 + 900 x 3 +
// 9 000 x 4 + 90 000 x 5 + 353 439 x 6) / 453 438 = 5.7549 digits. tpcb with 4 clients: 4
// branches (1 digit), 40 tellers ((9 + 31 x 2) / 40 = 1.775), delta in [-5000, 5000]:
// (1 + 10 000 x 3.7786 + 5 000 signs) / 10 001 = 4.2783 characters (3.7786 = (9 + 180 + 2 700 +
// 4 001 x 4) / 5 000), and 3 colons: 15.808. With the 12-byte key and InnoDB's ~20 bytes of
// record overhead: 37.8 and 47.8 bytes a row, where ~38 and ~48.5 were measured as stored.
TEST(MeanHistoryPayloadBytes, HandChecked) {
  const uint64_t ws = 64ull * 1024 * 1024;
  EXPECT_NEAR(MeanHistoryPayloadBytes(LayoutFor(VerifyWorkload::kUpdate, ws, 100, 4)), 5.7549,
              1e-4);
  EXPECT_NEAR(MeanHistoryPayloadBytes(LayoutFor(VerifyWorkload::kTpcb, ws, 100, 4)), 15.808, 1e-3);
  EXPECT_EQ(MeanHistoryPayloadBytes(LayoutFor(VerifyWorkload::kInsert, ws, 100, 4)), 0);
}

}  // namespace
}  // namespace waltune::verify
