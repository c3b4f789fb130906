// The update and tpcb workloads of verify: table layout, the SQL that creates and loads the
// prepared tables, and the statements of one transaction, per engine. Pure (no I/O), so the
// SQL is unit-tested; the sessions (sessions.cc) run it.
#ifndef WALTUNE_VERIFY_WORKLOADS_H_
#define WALTUNE_VERIFY_WORKLOADS_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "waltune/verify.h"

namespace waltune::verify {

enum class SqlDialect { kPostgreSQL, kMariaDB, kSQLite };

// Bytes a row of the prepared tables takes besides its payload (ids, balance, tuple or record
// header; PostgreSQL's heap tuple header is 23 bytes plus line pointer, InnoDB's record header
// and hidden columns are ~18 bytes): used only to size the table to --working-set.
constexpr uint64_t kRowOverheadBytes = 48;
// Bytes of the (client_id, seq, "aid:tid:bid:delta") history row of update and tpcb.
constexpr uint64_t kHistoryRowBytes = 40;
// Bytes of the history row's key as stored (client_id int: 4, seq bigint: 8; targets/*.cc).
constexpr uint64_t kHistoryKeyBytes = 12;
// Bytes of a bigint column (IntType): update's counter, tpcb's balances.
constexpr uint64_t kIntegerColumnBytes = 8;
// tpcb's balance change per transaction: uniform in [-kTpcbDeltaMax, kTpcbDeltaMax].
constexpr int64_t kTpcbDeltaMax = 5000;

struct WorkloadLayout {
  VerifyWorkload workload = VerifyWorkload::kInsert;
  uint64_t rows = 0;      // update: rows of waltune_rows; tpcb: accounts
  uint64_t tellers = 0;   // tpcb: 10 per branch (as TPC-B and pgbench)
  uint64_t branches = 0;  // tpcb: one per client, so branch rows do not serialise every client
  uint64_t payload_bytes = 0;
};

// rows = max(1000, working_set_bytes / (payload_bytes + kRowOverheadBytes)).
WorkloadLayout LayoutFor(VerifyWorkload workload, uint64_t working_set_bytes,
                         uint64_t payload_bytes, int clients);

// Statements that create and fill the prepared tables (after waltune_load exists), then make
// them durable where a statement can (PostgreSQL CHECKPOINT, SQLite wal_checkpoint(TRUNCATE);
// MariaDB has no checkpoint statement: the target flushes the buffer pool instead).
std::vector<std::string> PrepareSql(const WorkloadLayout& layout, SqlDialect dialect);

// Draws of one transaction (uniform, as pgbench's tpcb-like script).
struct TxnDraw {
  uint64_t row = 1;  // update: id; tpcb: aid
  uint64_t teller = 1;
  uint64_t branch = 1;
  int64_t delta = 0;  // tpcb: in [-5000, 5000]
};
TxnDraw DrawTxn(const WorkloadLayout& layout, std::mt19937_64* rng);

// The statements of one transaction of `client` with sequence number `seq`, BEGIN and COMMIT
// included (so their count is the round trips per transaction). The last one is the COMMIT
// whose success is the acknowledgement. `payload` is the update's new row payload.
std::vector<std::string> TxnSql(const WorkloadLayout& layout, SqlDialect dialect, int client,
                                uint64_t seq, const TxnDraw& draw, const std::string& payload);

// The workload's shape as the model sees it (docs/verify.md "Workloads"): rows written per
// transaction, statements (round trips) per transaction, bytes written, and the share of row
// writes that land on a random page of the working set.
struct WorkloadShape {
  int rows_per_txn = 1;
  int statements_per_txn = 1;
  uint64_t row_bytes = 100;
  uint64_t txn_write_bytes = 100;
  double random_page_fraction = 0;
  uint64_t working_set_bytes = 0;  // 0 for insert (the table only grows)
  // The statement (1-based) that updates a row of the smallest table (tpcb: branches, one row
  // per client, LayoutFor); 0 when there is none.
  int hot_row_statement = 0;
  // Rows appended per transaction (the load table's (client_id, seq) row) and their size.
  int appended_rows_per_txn = 1;
  uint64_t appended_row_bytes = kHistoryRowBytes;
  // Bytes each UPDATE changes per row (update: the payload and the counter; tpcb: a balance).
  uint64_t updated_bytes_per_row = 0;
};
WorkloadShape ShapeOf(VerifyWorkload workload, uint64_t payload_bytes, uint64_t working_set_bytes);

// Mean length of the history row's payload text (TxnSql): update writes the updated row's id,
// tpcb "aid:tid:bid:delta", with the ids uniform over the layout's rows, tellers and branches
// and delta uniform in [-5000, 5000]. 0 for insert (its rows carry the payload).
double MeanHistoryPayloadBytes(const WorkloadLayout& layout);

}  // namespace waltune::verify

#endif  // WALTUNE_VERIFY_WORKLOADS_H_
