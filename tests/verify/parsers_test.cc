// Redo amounts from engine logs and from a SQLite WAL file.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "sessions.h"
#include "targets.h"

namespace waltune::verify {
namespace {

TEST(ParsePostgresRedo, ReadsStartAndDoneLsnAndElapsed) {
  const std::string log =
      "LOG:  database system was interrupted; last known up at 2026-11-26 02:21:45 GMT\n"
      "LOG:  database system was not properly shut down; automatic recovery in progress\n"
      "LOG:  redo starts at 0/1A2B3C8\n"
      "LOG:  invalid record length at 0/1C00000: wanted 24, got 0\n"
      "LOG:  redo done at 1/00000010 system usage: CPU: user: 0.01 s, system: 0.00 s, "
      "elapsed: 0.25 s\n";
  RecoveryInfo info;
  ParsePostgresRedo(log, &info);
  ASSERT_TRUE(info.redo_bytes.has_value());
  EXPECT_EQ(*info.redo_bytes, (uint64_t{1} << 32) + 0x10 - 0x1A2B3C8);
  ASSERT_TRUE(info.redo_s.has_value());
  EXPECT_EQ(*info.redo_s, 0.25);
}

// The restart of a worst-case run on PostgreSQL 15 (2026-12-02, 10 s target, `update`), as
// logged with verify's log_line_prefix '%m [%p] '; the interrupted-at time of the checkpoint
// line and the lines of other processes are in between.
TEST(ParsePostgresRecoveryPhases, ReadsWhereTheRestartsTimeWent) {
  const std::string log =
      "2026-12-02 15:49:30.170 UTC [7708] LOG:  starting PostgreSQL 15.18 (Debian) on x86_64\n"
      "2026-12-02 15:49:30.177 UTC [7716] LOG:  database system was interrupted; last known up "
      "at 2026-12-02 15:48:22 UTC\n"
      "2026-12-02 15:49:30.477 UTC [7716] LOG:  redo starts at 0/1A0008E0\n"
      "2026-12-02 15:49:39.556 UTC [7716] LOG:  redo done at 0/24432CE8 system usage: CPU: user: "
      "2.83 s, system: 2.59 s, elapsed: 9.08 s\n"
      "2026-12-02 15:49:39.580 UTC [7714] LOG:  checkpoint starting: end-of-recovery immediate "
      "wait\n"
      "2026-12-02 15:49:41.760 UTC [7714] LOG:  checkpoint complete: wrote 15550 buffers "
      "(94.9%); 0 WAL file(s) added, 0 removed, 10 recycled; write=1.883 s, sync=0.218 s, "
      "total=2.177 s; sync files=13, longest=0.073 s, average=0.017 s; distance=168137 kB, "
      "estimate=168137 kB\n"
      "2026-12-02 15:49:41.902 UTC [7708] LOG:  database system is ready to accept connections\n";
  RecoveryInfo info;
  ParsePostgresRedo(log, &info);
  const RecoveryPhases& p = info.phases;
  ASSERT_TRUE(p.before_redo_s && p.redo_cpu_s && p.after_redo_s && p.end_checkpoint_s);
  EXPECT_NEAR(*p.before_redo_s, 0.307, 1e-6);  // 30.477 - 30.170
  EXPECT_NEAR(*p.redo_cpu_s, 5.42, 1e-9);
  EXPECT_NEAR(*p.after_redo_s, 2.346, 1e-6);  // 41.902 - 39.556
  EXPECT_EQ(*p.end_checkpoint_s, 2.177);
  EXPECT_EQ(*p.end_checkpoint_write_s, 1.883);
  EXPECT_EQ(*p.end_checkpoint_buffers, 15550u);
  EXPECT_EQ(*info.redo_s, 9.08);
}

// Across midnight, and lines without a timestamp (another log_line_prefix) are skipped; a log
// without the lines leaves every phase unknown.
TEST(ParsePostgresRecoveryPhases, CrossesMidnightAndSkipsWhatItCannotRead) {
  RecoveryPhases p;
  ParsePostgresRecoveryPhases(
      "2026-12-31 23:59:59.900 UTC [1] LOG:  database system was interrupted\n"
      "LOG:  a line without a timestamp\n"
      "2027-01-01 00:00:00.400 UTC [1] LOG:  redo starts at 0/10\n",
      &p);
  ASSERT_TRUE(p.before_redo_s.has_value());
  EXPECT_NEAR(*p.before_redo_s, 0.5, 1e-6);
  EXPECT_FALSE(p.redo_cpu_s.has_value());
  EXPECT_FALSE(p.after_redo_s.has_value());

  RecoveryPhases none;
  ParsePostgresRecoveryPhases("LOG:  redo starts at 0/10\nLOG:  redo done at 0/20\n", &none);
  EXPECT_FALSE(none.before_redo_s || none.redo_cpu_s || none.after_redo_s || none.end_checkpoint_s);
  // A malformed number leaves that phase unknown, not zero.
  RecoveryPhases bad;
  ParsePostgresRecoveryPhases(
      "2026-12-02 15:49:39.556 UTC [1] LOG:  redo done at 0/20 system usage: CPU: user: "
      "x s, system: 2.59 s, elapsed: 9.08 s\n",
      &bad);
  EXPECT_FALSE(bad.redo_cpu_s.has_value());
}

TEST(ParsePostgresRedo, NoRedoNeeded) {
  RecoveryInfo info;
  ParsePostgresRedo("LOG:  redo is not required\n", &info);
  EXPECT_EQ(*info.redo_bytes, 0u);
}

TEST(ParsePostgresRedo, CleanStartLeavesItUnknown) {
  RecoveryInfo info;
  ParsePostgresRedo("LOG:  database system is ready to accept connections\n", &info);
  EXPECT_FALSE(info.redo_bytes.has_value());
  EXPECT_FALSE(info.redo_s.has_value());
}

TEST(ParseMariadbRedo, CheckpointToEndOfLog) {
  const std::string log =
      "2026-11-26  2:24:36 0 [Note] InnoDB: log sequence number 44894; transaction id 14\n"
      "2026-11-26  2:24:39 0 [Note] InnoDB: Starting crash recovery from checkpoint LSN=44910\n"
      "2026-11-26  2:24:39 0 [Note] InnoDB: End of log at LSN=6850104\n"
      "2026-11-26  2:24:40 0 [Note] InnoDB: To recover: 354 pages\n"
      "2026-11-26  2:24:40 0 [Note] InnoDB: log sequence number 6850104; transaction id 48548\n";
  RecoveryInfo info;
  ParseMariadbRedo(log, &info);
  EXPECT_EQ(*info.redo_bytes, 6850104u - 44910u);
}

TEST(ParseMariadbRedo, OlderVersionsReportOnlyTheFinalLsn) {
  const std::string log =
      "InnoDB: Starting crash recovery from checkpoint LSN=1000\n"
      "InnoDB: log sequence number 5000; transaction id 9\n";
  RecoveryInfo info;
  ParseMariadbRedo(log, &info);
  EXPECT_EQ(*info.redo_bytes, 4000u);
}

void Put32(std::string* s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s->push_back(static_cast<char>((v >> shift) & 0xff));
}

TEST(SqliteValidWalBytes, CountsFramesWithTheHeadersSalts) {
  char dir[] = "/tmp/waltune-waltest-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/db-wal";
  const uint32_t page = 1024;
  std::string wal;
  Put32(&wal, 0x377f0682);
  Put32(&wal, 3007000);
  Put32(&wal, page);
  Put32(&wal, 0);
  Put32(&wal, 0x11111111);  // salt-1
  Put32(&wal, 0x22222222);  // salt-2
  Put32(&wal, 0);
  Put32(&wal, 0);
  auto frame = [&](uint32_t s1, uint32_t s2) {
    Put32(&wal, 1);
    Put32(&wal, 0);
    Put32(&wal, s1);
    Put32(&wal, s2);
    Put32(&wal, 0);
    Put32(&wal, 0);
    wal.append(page, 'x');
  };
  frame(0x11111111, 0x22222222);
  frame(0x11111111, 0x22222222);
  frame(0x11111111, 0x22222222);
  frame(0x99999999, 0x22222222);  // left over from before the last checkpoint reset
  std::ofstream(path, std::ios::binary) << wal;
  EXPECT_EQ(SqliteValidWalBytes(path), 3u * (page + 24));
  EXPECT_EQ(SqliteValidWalBytes(std::string(dir) + "/missing-wal"), 0u);
  unlink(path.c_str());
  rmdir(dir);
}

// Malformed engine output never throws and never invents numbers: the redo stays unknown.
TEST(ParsePostgresLsn, ChecksBothHalves) {
  EXPECT_EQ(ParsePostgresLsn("0/1A2B3C8"), 0x1A2B3C8u);
  EXPECT_EQ(ParsePostgresLsn("1/0"), 1ull << 32);
  EXPECT_EQ(ParsePostgresLsn("FFFFFFFF/FFFFFFFF"), ~0ull);
  for (const char* bad : {"", "/", "0/", "/5", "1A2B", "100000000/0", "0/100000000", "0/1G", "-1/0",
                          "0/1 2", "99999999999999999999/0", "0x1/0"}) {
    EXPECT_FALSE(ParsePostgresLsn(bad).has_value()) << bad;
  }
}

TEST(ParsePostgresRedo, MalformedNumbersLeaveTheRedoUnknown) {
  RecoveryInfo info;
  // An LSN half wider than 32 bits.
  ParsePostgresRedo(
      "LOG:  redo starts at 0/1A2B3C8\nLOG:  redo done at 123456789ABCDEF01/1C00000 system "
      "usage: elapsed: 0.03 s\n",
      &info);
  EXPECT_FALSE(info.redo_bytes.has_value());
  EXPECT_FALSE(info.redo_s.has_value());
  // An elapsed time that is not a number ("0..3") is left unknown, the bytes are kept.
  RecoveryInfo dots;
  ParsePostgresRedo(
      "LOG:  redo starts at 0/100\nLOG:  redo done at 0/200 system usage: elapsed: 0..3 s\n",
      &dots);
  EXPECT_EQ(dots.redo_bytes, 0x100u);
  EXPECT_FALSE(dots.redo_s.has_value());
  // A huge elapsed time that overflows a double.
  RecoveryInfo huge;
  ParsePostgresRedo("LOG:  redo starts at 0/100\nLOG:  redo done at 0/200 elapsed: " +
                        std::string(400, '9') + " s\n",
                    &huge);
  EXPECT_FALSE(huge.redo_s.has_value());
}

// std::regex recurses once per character a repetition consumes: a 200,000-character line of
// the log (or run of digits) must leave the redo unknown, not overflow the stack.
TEST(ParseEngineRedo, LongLinesAndRunsAreNotReadAndDoNotCrash) {
  const std::string line(200000, 'x'), digits(200000, '7');
  RecoveryInfo pg;
  ParsePostgresRedo(
      "LOG:  redo starts at 0/100\nLOG:  redo done at 0/200 " + line + " elapsed: 0.5 s\n", &pg);
  EXPECT_EQ(pg.redo_bytes, 0x100u);
  EXPECT_FALSE(pg.redo_s.has_value());
  RecoveryInfo pg_digits;
  ParsePostgresRedo("LOG:  redo starts at 0/" + digits + "\nLOG:  redo done at 0/200\n",
                    &pg_digits);
  EXPECT_FALSE(pg_digits.redo_bytes.has_value());
  RecoveryInfo maria;
  ParseMariadbRedo("InnoDB: Starting crash recovery from checkpoint LSN=" + digits + "\n", &maria);
  EXPECT_FALSE(maria.redo_bytes.has_value());
}

TEST(ParseMariadbRedo, NumbersBeyond64BitsLeaveTheRedoUnknown) {
  RecoveryInfo info;
  ParseMariadbRedo(
      "InnoDB: Starting crash recovery from checkpoint LSN=99999999999999999999999\n"
      "InnoDB: End of log at LSN=99999999999999999999999\n",
      &info);
  EXPECT_FALSE(info.redo_bytes.has_value());
  RecoveryInfo end_too_big;
  ParseMariadbRedo(
      "InnoDB: Starting crash recovery from checkpoint LSN=100\n"
      "InnoDB: End of log at LSN=18446744073709551616\n",
      &end_too_big);
  EXPECT_FALSE(end_too_big.redo_bytes.has_value());
  RecoveryInfo truncated;
  ParseMariadbRedo("InnoDB: Starting crash recovery from checkpoint LSN=", &truncated);
  EXPECT_FALSE(truncated.redo_bytes.has_value());
}

// The log beside a damaged database: errors from before the crash, then the restart's end.
TEST(RecoveryLogTail, ErrorsBeforeTheCrashThenTheRestart) {
  const std::string before =
      "2026-12-03  7:56:07 0 [Note] InnoDB: Buffer pool(s) load completed\n"
      "2026-12-03  7:57:01 0 [ERROR] InnoDB: Crash recovery is broken due to insufficient "
      "innodb_log_file_size; last checkpoint LSN=1, current LSN=2\n"
      "2026-12-03  7:57:02 0 [Warning] something else\n";
  const std::string restart = "InnoDB: Starting crash recovery from checkpoint LSN=1\n";
  EXPECT_EQ(RecoveryLogTail(before, restart),
            "errors logged before the crash:\n"
            "2026-12-03  7:57:01 0 [ERROR] InnoDB: Crash recovery is broken due to insufficient "
            "innodb_log_file_size; last checkpoint LSN=1, current LSN=2\n"
            "the restart:\n"
            "InnoDB: Starting crash recovery from checkpoint LSN=1\n");
  // No errors: only the restart. PostgreSQL's "PANIC:" and "ERROR:" count; the last lines win.
  EXPECT_EQ(RecoveryLogTail("LOG:  checkpoint starting\n", restart), restart);
  const std::string pg = "a ERROR:  one\nb PANIC:  two\nc ERROR:  three\n";
  EXPECT_EQ(RecoveryLogTail(pg, "r\n", 2),
            "errors logged before the crash:\nb PANIC:  two\nc ERROR:  three\nthe restart:\nr\n");
  // A long restart log keeps its end, within kRecoveryLogTailBytes in all.
  const std::string long_restart = std::string(10000, 'x') + "ready\n";
  const std::string tail = RecoveryLogTail(before, long_restart);
  EXPECT_EQ(tail.size(), kRecoveryLogTailBytes);
  EXPECT_EQ(tail.substr(tail.size() - 6), "ready\n");
  EXPECT_EQ(tail.rfind("errors logged before the crash:\n", 0), 0u);
}

}  // namespace
}  // namespace waltune::verify
