#include "workloads.h"

#include <algorithm>

#include "waltune/units.h"

namespace waltune::verify {

namespace {

std::string Table(SqlDialect d, const char* name) {
  // MariaDB sessions connect without a default database; the tables live in `waltune`.
  return d == SqlDialect::kMariaDB ? std::string("waltune.") + name : std::string(name);
}

std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    if (c == '\\') out += '\\';  // MariaDB treats backslash as an escape in string literals
    out += c;
  }
  return out + "'";
}

const char* TextType(SqlDialect d) { return d == SqlDialect::kMariaDB ? "varchar(4000)" : "text"; }
const char* IntType(SqlDialect d) { return d == SqlDialect::kSQLite ? "INTEGER" : "bigint"; }
const char* TableSuffix(SqlDialect d) { return d == SqlDialect::kMariaDB ? " ENGINE=InnoDB" : ""; }

// A string of `n` 'x' characters built by the engine, and the integers 1..n as a row source.
std::string Filler(SqlDialect d, uint64_t n) {
  const std::string count = std::to_string(n);
  if (d == SqlDialect::kSQLite) return "substr(hex(zeroblob(" + count + ")), 1, " + count + ")";
  return std::string(d == SqlDialect::kMariaDB ? "REPEAT" : "repeat") + "('x', " + count + ")";
}

// INSERT INTO table SELECT <select of x> FROM 1..n (x = the running integer).
std::string InsertSeries(SqlDialect d, const std::string& table, const std::string& select,
                         uint64_t n) {
  const std::string count = std::to_string(n);
  switch (d) {
    case SqlDialect::kPostgreSQL:
      return "INSERT INTO " + table + " SELECT " + select + " FROM generate_series(1, " + count +
             ") AS s(x)";
    case SqlDialect::kMariaDB:
      // The SEQUENCE engine (built into MariaDB since 10.1) provides seq_1_to_N tables.
      return "INSERT INTO " + table + " SELECT " + select + " FROM (SELECT seq AS x FROM " +
             "waltune.seq_1_to_" + count + ") AS s";
    case SqlDialect::kSQLite:
      return "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < " + count +
             ") INSERT INTO " + table + " SELECT " + select + " FROM s";
  }
  return "";
}

std::string CreateTable(SqlDialect d, const std::string& table, const std::string& columns) {
  return "CREATE TABLE " + table + " (" + columns + ")" + TableSuffix(d);
}

}  // namespace

WorkloadLayout LayoutFor(VerifyWorkload workload, uint64_t working_set_bytes,
                         uint64_t payload_bytes, int clients) {
  WorkloadLayout l;
  l.workload = workload;
  l.payload_bytes = payload_bytes;
  if (workload == VerifyWorkload::kInsert) return l;
  l.rows = std::max<uint64_t>(1000, working_set_bytes / (payload_bytes + kRowOverheadBytes));
  if (workload == VerifyWorkload::kTpcb) {
    l.branches = static_cast<uint64_t>(std::max(1, clients));
    l.tellers = 10 * l.branches;
  }
  return l;
}

std::vector<std::string> PrepareSql(const WorkloadLayout& l, SqlDialect d) {
  std::vector<std::string> sql;
  const std::string text = TextType(d), id = IntType(d);
  const std::string filler = Filler(d, l.payload_bytes);
  if (l.workload == VerifyWorkload::kUpdate) {
    const std::string t = Table(d, "waltune_rows");
    sql.push_back(
        CreateTable(d, t, "id " + id + " PRIMARY KEY, n " + id + " NOT NULL, payload " + text));
    sql.push_back(InsertSeries(d, t, "x, 0, " + filler, l.rows));
  } else if (l.workload == VerifyWorkload::kTpcb) {
    const std::string b = Table(d, "waltune_branches"), t = Table(d, "waltune_tellers"),
                      a = Table(d, "waltune_accounts");
    const std::string nb = std::to_string(l.branches);
    sql.push_back(CreateTable(
        d, b, "bid " + id + " PRIMARY KEY, bbalance " + id + " NOT NULL, filler " + text));
    sql.push_back(CreateTable(d, t,
                              "tid " + id + " PRIMARY KEY, bid " + id + " NOT NULL, tbalance " +
                                  id + " NOT NULL, filler " + text));
    sql.push_back(CreateTable(d, a,
                              "aid " + id + " PRIMARY KEY, bid " + id + " NOT NULL, abalance " +
                                  id + " NOT NULL, filler " + text));
    sql.push_back(InsertSeries(d, b, "x, 0, " + filler, l.branches));
    sql.push_back(InsertSeries(d, t, "x, (x - 1) % " + nb + " + 1, 0, " + filler, l.tellers));
    sql.push_back(InsertSeries(d, a, "x, (x - 1) % " + nb + " + 1, 0, " + filler, l.rows));
  } else {
    return sql;
  }
  if (d == SqlDialect::kPostgreSQL) {
    // Hint bits and the visibility map set now, not during the measured phase.
    sql.push_back("VACUUM ANALYZE");
    sql.push_back("CHECKPOINT");
  } else if (d == SqlDialect::kSQLite) {
    sql.push_back("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  return sql;
}

TxnDraw DrawTxn(const WorkloadLayout& l, std::mt19937_64* rng) {
  TxnDraw t;
  if (l.rows > 0) t.row = std::uniform_int_distribution<uint64_t>(1, l.rows)(*rng);
  if (l.tellers > 0) t.teller = std::uniform_int_distribution<uint64_t>(1, l.tellers)(*rng);
  if (l.branches > 0) t.branch = std::uniform_int_distribution<uint64_t>(1, l.branches)(*rng);
  t.delta = std::uniform_int_distribution<int64_t>(-kTpcbDeltaMax, kTpcbDeltaMax)(*rng);
  return t;
}

std::vector<std::string> TxnSql(const WorkloadLayout& l, SqlDialect d, int client, uint64_t seq,
                                const TxnDraw& draw, const std::string& payload) {
  const std::string load = Table(d, "waltune_load");
  const std::string key = std::to_string(client) + ", " + std::to_string(seq);
  const std::string begin = d == SqlDialect::kSQLite ? "BEGIN IMMEDIATE" : "BEGIN";
  const std::string row = std::to_string(draw.row);
  if (l.workload == VerifyWorkload::kUpdate) {
    return {
        begin,
        "UPDATE " + Table(d, "waltune_rows") + " SET n = n + 1, payload = " + Quote(payload) +
            " WHERE id = " + row,
        "INSERT INTO " + load + " (client_id, seq, payload) VALUES (" + key + ", '" + row + "')",
        "COMMIT"};
  }
  if (l.workload == VerifyWorkload::kTpcb) {
    const std::string delta = std::to_string(draw.delta), tid = std::to_string(draw.teller),
                      bid = std::to_string(draw.branch);
    const std::string a = Table(d, "waltune_accounts");
    return {begin,
            "UPDATE " + a + " SET abalance = abalance + " + delta + " WHERE aid = " + row,
            "SELECT abalance FROM " + a + " WHERE aid = " + row,
            "UPDATE " + Table(d, "waltune_tellers") + " SET tbalance = tbalance + " + delta +
                " WHERE tid = " + tid,
            "UPDATE " + Table(d, "waltune_branches") + " SET bbalance = bbalance + " + delta +
                " WHERE bid = " + bid,
            "INSERT INTO " + load + " (client_id, seq, payload) VALUES (" + key + ", '" + row +
                ":" + tid + ":" + bid + ":" + delta + "')",
            "COMMIT"};
  }
  return {"INSERT INTO " + load + " (client_id, seq, payload) VALUES (" + key + ", " +
          Quote(payload) + ")"};
}

WorkloadShape ShapeOf(VerifyWorkload workload, uint64_t payload_bytes, uint64_t working_set_bytes) {
  WorkloadShape s;
  s.row_bytes = payload_bytes;
  switch (workload) {
    case VerifyWorkload::kInsert:
      // Keys (client_id, seq) grow per client: every insert lands on a table or index tail.
      s.rows_per_txn = 1;
      s.statements_per_txn = 1;
      s.txn_write_bytes = payload_bytes;
      s.random_page_fraction = 0;
      s.working_set_bytes = 0;
      s.appended_row_bytes = payload_bytes;
      break;
    case VerifyWorkload::kUpdate:
      // One row updated on a random page, one history row appended.
      s.rows_per_txn = 2;
      s.statements_per_txn = 4;
      s.txn_write_bytes = payload_bytes + kHistoryRowBytes;
      s.random_page_fraction = 0.5;
      s.working_set_bytes = working_set_bytes;
      s.updated_bytes_per_row = payload_bytes + kIntegerColumnBytes;  // payload, n = n + 1
      break;
    case VerifyWorkload::kTpcb:
      // Account (random page), teller and branch (a few hot pages), history (append).
      s.rows_per_txn = 4;
      s.statements_per_txn = 7;
      s.txn_write_bytes = 3 * payload_bytes + kHistoryRowBytes;
      s.random_page_fraction = 0.25;
      s.working_set_bytes = working_set_bytes;
      s.hot_row_statement = 5;                        // UPDATE branches (TxnSql)
      s.updated_bytes_per_row = kIntegerColumnBytes;  // the balance; the filler stays
      break;
  }
  return s;
}

namespace {

// Mean number of decimal digits of an integer drawn uniformly from [1, n].
double MeanDigits(uint64_t n) {
  if (n == 0) return 0;
  double total = 0;
  for (uint64_t lo = 1, digits = 1; lo <= n; lo *= 10, ++digits) {
    const uint64_t hi = std::min(n, lo * 10 - 1);
    total += static_cast<double>((hi - lo + 1) * digits);
  }
  return total / static_cast<double>(n);
}

}  // namespace

double MeanHistoryPayloadBytes(const WorkloadLayout& l) {
  switch (l.workload) {
    case VerifyWorkload::kInsert:
      return 0;
    case VerifyWorkload::kUpdate:
      return MeanDigits(l.rows);
    case VerifyWorkload::kTpcb: {
      // delta: 0 is one character, the kTpcbDeltaMax negatives carry a sign.
      const double n = static_cast<double>(kTpcbDeltaMax);
      const double delta = (1 + 2 * n * MeanDigits(kTpcbDeltaMax) + n) / (2 * n + 1);
      return MeanDigits(l.rows) + MeanDigits(l.tellers) + MeanDigits(l.branches) + delta + 3;
    }
  }
  return 0;
}

}  // namespace waltune::verify

namespace waltune {

Result<VerifyWorkload> ParseVerifyWorkload(const std::string& text) {
  std::string t = NormalizeText(text);
  if (t == "tpc-b" || t == "tpcb-like") t = "tpcb";
  if (auto w = VerifyWorkloadNamed(t)) return *w;
  return Status::InvalidArgument(
      "--workload", "unknown workload '" + text + "' (" + VerifyWorkloadNameList() + ")");
}

}  // namespace waltune
