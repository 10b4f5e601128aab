// Concurrency stress test: threads run mixed operations through one
// pgwrap::pool (transfers between accounts in transactions, reads, ledger
// and event inserts, failed transactions, dirtied sessions), then the
// invariants are checked against what each thread knows it did:
//   - the sum of balances never changes (also checked by every read);
//   - each account's balance is its start plus what the committed transfers moved;
//   - the ledger holds exactly the committed transfers, the events table
//     exactly the committed inserts: nothing lost, nothing duplicated;
//   - no user ever sees the previous user's session state.
// Deadlocks are avoided by locking the two accounts in id order; any
// deadlock or serialization failure that happens anyway is counted and the
// transfer retried.
//
// usage: pool_stress [--threads N] [--ops N] [--pool N] [--accounts N]
// The server: PGWRAP_TEST_DSN, else libpq's PG* variables. Exit status 0
// when every invariant holds, 1 when one does not, 77 when no server is set.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;

struct config {
  int threads = 8;
  int ops = 10'000;  // per thread
  std::size_t pool_size = 4;
  int accounts = 100;
  std::int64_t initial_balance = 1'000;
};

// What one thread knows it committed, and what went wrong.
struct thread_log {
  std::map<int, std::tuple<int, int, std::int64_t>> transfers;  // seq -> (from, to, amount)
  std::vector<int> events;                                      // seqs of committed event inserts
  int declined = 0;                                             // not enough money: rolled back on purpose
  int retried = 0;                                              // deadlock / serialization failure, run again
  int failed_on_purpose = 0;
  int reads = 0;
  int discarded = 0;
  std::vector<std::string> violations;
};

std::atomic<int> failures_reported{0};

void violation(thread_log& log, std::string what) {
  if (failures_reported++ < 20) std::cerr << "VIOLATION: " << what << "\n";
  log.violations.push_back(std::move(what));
}

std::string with_search_path(const std::string& dsn, const std::string& schema) {
  if (dsn.find("://") != std::string::npos) {
    return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema +
           "&application_name=pgwrap_stress";
  }
  return dsn + " options=-csearch_path=" + schema + " application_name=pgwrap_stress";
}

void transfer(pgwrap::pool& pool, const config& cfg, int thread, int seq, std::mt19937& rng, thread_log& log) {
  std::uniform_int_distribution<int> account(1, cfg.accounts);
  std::uniform_int_distribution<int> amount_of(1, 200);
  const int from = account(rng);
  int to = account(rng);
  if (to == from) to = from % cfg.accounts + 1;
  const std::int64_t amount = amount_of(rng);
  for (int attempt = 0;; ++attempt) {
    pgwrap::pooled_connection c = pool.acquire(120s);
    try {
      pgwrap::transaction tx(*c);
      // Both rows locked in id order: two transfers never wait for each other in a circle.
      const auto rows = c->query<int, std::int64_t>(
          "SELECT id, balance FROM accounts WHERE id IN (%s, %s) ORDER BY id FOR UPDATE", from, to);
      if (rows.size() != 2) {
        violation(log, "transfer: " + std::to_string(rows.size()) + " accounts found, expected 2");
        return;
      }
      const std::int64_t from_balance = std::get<0>(rows[0]) == from ? std::get<1>(rows[0]) : std::get<1>(rows[1]);
      if (from_balance < amount) {
        tx.rollback();
        ++log.declined;
        return;
      }
      c->execute("UPDATE accounts SET balance = balance - %s WHERE id = %s", amount, from);
      c->execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", amount, to);
      c->execute("INSERT INTO ledger (thread, seq, from_id, to_id, amount) VALUES (%s, %s, %s, %s, %s)", thread, seq,
                 from, to, amount);
      tx.commit();
      log.transfers.emplace(seq, std::make_tuple(from, to, amount));
      return;
    } catch (const pgwrap::transaction_rollback&) {  // deadlock or serialization failure: nothing was committed
      ++log.retried;
      if (attempt >= 20) {
        violation(log, "transfer: still failing after 20 retries");
        return;
      }
    }
  }
}

void read_totals(pgwrap::pool& pool, const config& cfg, std::mt19937& rng, thread_log& log) {
  pgwrap::pooled_connection c = pool.acquire(120s);
  if (c->autocommit() || c->in_transaction() || c->statement_timeout() != 0ms) {
    violation(log, "a connection came out of the pool with the previous user's settings or transaction");
  }
  // One statement, one snapshot: the total is exact even while transfers run.
  const auto [sum, count, dirty] = c->queryone<std::int64_t, std::int64_t, std::optional<std::string>>(
                                        "SELECT sum(balance)::bigint, count(*), "
                                        "current_setting('pgwrap.stress_dirty', true) FROM accounts")
                                       .value();
  ++log.reads;
  if (sum != cfg.initial_balance * cfg.accounts) {
    violation(log, "read: the sum of balances is " + std::to_string(sum));
  }
  if (count != cfg.accounts) violation(log, "read: " + std::to_string(count) + " accounts");
  if (dirty && !dirty->empty()) violation(log, "read: a session setting of a previous user leaked: " + *dirty);
  if (rng() % 2 == 0) c->commit();  // else the transaction is left open: the pool rolls it back
}

void insert_event(pgwrap::pool& pool, int thread, int seq, std::mt19937& rng, thread_log& log) {
  pgwrap::pooled_connection c = pool.acquire(120s);
  const bool autocommit = rng() % 2 == 0;
  if (autocommit) {
    c->set_autocommit(true);                        // the pool sets it back
    c->execute("SET pgwrap.stress_dirty = 'yes'");  // and resets the session
  }
  c->execute("INSERT INTO events (thread, seq) VALUES (%s, %s)", thread, seq);
  if (!autocommit) c->commit();
  log.events.push_back(seq);
}

void misuse(pgwrap::pool& pool, int thread, int seq, std::mt19937& rng, thread_log& log) {
  pgwrap::pooled_connection c = pool.acquire(120s);
  switch (rng() % 3) {
    case 0:  // a failed transaction handed back as it is
      c->execute("INSERT INTO events (thread, seq) VALUES (%s, %s)", thread, -seq - 1);
      try {
        c->execute("INSERT INTO events (thread, seq) VALUES (%s, %s)", thread, -seq - 1);
        violation(log, "misuse: a duplicate key was accepted");
      } catch (const pgwrap::unique_violation&) {
        ++log.failed_on_purpose;
      }
      break;
    case 1:  // temporary state the next user must not see
      c->execute("CREATE TEMP TABLE IF NOT EXISTS scratch (id int)");
      // Session-level: a lock that outlived its user's reset would show as taken here one day.
      if (!c->scalar<bool>("SELECT pg_try_advisory_lock(%s)", thread)) {
        violation(log, "misuse: an advisory lock of an earlier user was still held");
      }
      c->commit();
      break;
    default:  // a connection thrown away instead of returned
      c->execute("SELECT 1");
      c.discard();
      ++log.discarded;
      break;
  }
}

void run_thread(pgwrap::pool& pool, const config& cfg, int thread, thread_log& log) {
  std::mt19937 rng(static_cast<std::mt19937::result_type>(1234 + thread));
  std::uniform_int_distribution<int> kind(0, 99);
  for (int seq = 0; seq < cfg.ops; ++seq) {
    try {
      const int k = kind(rng);
      if (k < 40) {
        transfer(pool, cfg, thread, seq, rng, log);
      } else if (k < 70) {
        read_totals(pool, cfg, rng, log);
      } else if (k < 95) {
        insert_event(pool, thread, seq, rng, log);
      } else {
        misuse(pool, thread, seq, rng, log);
      }
    } catch (const std::exception& e) {
      violation(log, "thread " + std::to_string(thread) + " op " + std::to_string(seq) + ": " + e.what());
    }
  }
}

int check(pgwrap::database& db, const config& cfg, const std::vector<thread_log>& logs) {
  int bad = 0;
  auto fail = [&](const std::string& what) {
    std::cerr << "INVARIANT: " << what << "\n";
    ++bad;
  };
  std::vector<std::int64_t> expected(static_cast<std::size_t>(cfg.accounts) + 1, cfg.initial_balance);
  std::size_t transfers = 0;
  std::size_t events = 0;
  for (std::size_t t = 0; t < logs.size(); ++t) {
    const thread_log& log = logs[t];
    for (const auto& violation_text : log.violations) fail("thread " + std::to_string(t) + ": " + violation_text);
    transfers += log.transfers.size();
    events += log.events.size();
    for (const auto& [seq, move] : log.transfers) {
      const auto& [from, to, amount] = move;
      expected[static_cast<std::size_t>(from)] -= amount;
      expected[static_cast<std::size_t>(to)] += amount;
    }
    // The ledger rows of this thread are exactly its committed transfers.
    const auto ledger = db.query<int, int, int, std::int64_t>(
        "SELECT seq, from_id, to_id, amount FROM ledger WHERE thread = %s ORDER BY seq", static_cast<int>(t));
    if (ledger.size() != log.transfers.size()) {
      fail("thread " + std::to_string(t) + ": " + std::to_string(ledger.size()) + " ledger rows, " +
           std::to_string(log.transfers.size()) + " committed transfers");
    } else {
      auto it = log.transfers.begin();
      for (const auto& [seq, from, to, amount] : ledger) {
        if (seq != it->first || std::make_tuple(from, to, amount) != it->second) {
          fail("thread " + std::to_string(t) + ": ledger row for seq " + std::to_string(seq) + " differs");
          break;
        }
        ++it;
      }
    }
    const auto stored =
        db.query<int>("SELECT seq FROM events WHERE thread = %s AND seq >= 0 ORDER BY seq", static_cast<int>(t));
    std::vector<int> seqs;
    for (const auto& [seq] : stored) seqs.push_back(seq);
    if (seqs != log.events) {
      fail("thread " + std::to_string(t) + ": " + std::to_string(seqs.size()) + " event rows, " +
           std::to_string(log.events.size()) + " committed inserts, or not the same ones");
    }
  }
  if (db.scalar<std::int64_t>("SELECT count(*) FROM events WHERE seq < 0") != 0) {
    fail("rows of failed transactions were committed");
  }
  const auto total = db.scalar<std::int64_t>("SELECT sum(balance)::bigint FROM accounts");
  if (total != cfg.initial_balance * cfg.accounts) fail("the sum of balances is " + std::to_string(total));
  for (const auto& [id, balance] : db.query<int, std::int64_t>("SELECT id, balance FROM accounts ORDER BY id")) {
    if (balance != expected[static_cast<std::size_t>(id)]) {
      fail("account " + std::to_string(id) + " holds " + std::to_string(balance) + ", expected " +
           std::to_string(expected[static_cast<std::size_t>(id)]));
    }
  }
  std::cout << "committed transfers " << transfers << ", events " << events << "\n";
  return bad;
}

int parse_int(const char* text, const char* option) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v <= 0 || v > 10'000'000) {
    std::cerr << "pool_stress: " << option << " wants a positive number, got '" << text << "'\n";
    std::exit(2);
  }
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "usage: pool_stress [--threads N] [--ops N] [--pool N] [--accounts N]\n";
      return 2;
    }
    const char* value = argv[++i];
    if (arg == "--threads") {
      cfg.threads = parse_int(value, "--threads");
    } else if (arg == "--ops") {
      cfg.ops = parse_int(value, "--ops");
    } else if (arg == "--pool") {
      cfg.pool_size = static_cast<std::size_t>(parse_int(value, "--pool"));
    } else if (arg == "--accounts") {
      cfg.accounts = std::max(2, parse_int(value, "--accounts"));
    } else {
      std::cerr << "pool_stress: unknown option " << arg << "\n";
      return 2;
    }
  }
  const char* dsn_env = std::getenv("PGWRAP_TEST_DSN");
  if (dsn_env == nullptr && std::getenv("PGHOST") == nullptr && std::getenv("DATABASE_URL") == nullptr) {
    std::cerr << "pool_stress: no test server (set PGWRAP_TEST_DSN or run ./dev test); skipped\n";
    return 77;
  }
  const std::string dsn = dsn_env ? dsn_env : "";
  const std::string schema = "pgwrap_stress_" + std::to_string(::getpid());

  pgwrap::database admin(dsn);
  admin.set_autocommit(true);
  admin.execute(pgwrap::runtime_sql("CREATE SCHEMA " + schema));
  int bad = 0;
  try {
    pgwrap::database setup(with_search_path(dsn, schema));
    setup.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0))");
    setup.execute(
        "CREATE TABLE ledger (thread int, seq int, from_id int NOT NULL, to_id int NOT NULL, "
        "amount bigint NOT NULL, PRIMARY KEY (thread, seq))");
    setup.execute("CREATE TABLE events (thread int, seq int, PRIMARY KEY (thread, seq))");
    setup.execute("INSERT INTO accounts SELECT g, %s FROM generate_series(1, %s) g", cfg.initial_balance, cfg.accounts);
    setup.commit();

    pgwrap::pool_options options;
    options.max_size = cfg.pool_size;
    options.wait_timeout = 120s;
    pgwrap::pool pool(with_search_path(dsn, schema), options);

    std::cout << "pool_stress: " << cfg.threads << " threads x " << cfg.ops << " operations, pool of " << cfg.pool_size
              << ", " << cfg.accounts << " accounts\n";
    const auto start = std::chrono::steady_clock::now();
    std::vector<thread_log> logs(static_cast<std::size_t>(cfg.threads));
    std::vector<std::thread> threads;
    for (int t = 0; t < cfg.threads; ++t) {
      threads.emplace_back(run_thread, std::ref(pool), std::cref(cfg), t, std::ref(logs[static_cast<std::size_t>(t)]));
    }
    for (std::thread& t : threads) t.join();
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const pgwrap::pool_stats stats = pool.stats();
    if (stats.size > cfg.pool_size || stats.in_use != 0) {
      std::cerr << "INVARIANT: pool stats after the run: size " << stats.size << ", in use " << stats.in_use << "\n";
      ++bad;
    }
    bad += check(setup, cfg, logs);
    setup.commit();
    int declined = 0, retried = 0, reads = 0, failed = 0, discarded = 0;
    for (const thread_log& log : logs) {
      declined += log.declined;
      retried += log.retried;
      reads += log.reads;
      failed += log.failed_on_purpose;
      discarded += log.discarded;
    }
    std::cout << "declined transfers " << declined << ", retried (deadlock/serialization) " << retried << ", reads "
              << reads << ", failed on purpose " << failed << ", discarded " << discarded << "; " << seconds << " s\n";
  } catch (const std::exception& e) {
    std::cerr << "pool_stress: " << e.what() << "\n";
    ++bad;
  }
  admin.execute(pgwrap::runtime_sql("DROP SCHEMA " + schema + " CASCADE"));
  std::cout << (bad == 0 ? "pool_stress: every invariant holds\n" : "pool_stress: FAILED\n");
  return bad == 0 ? 0 : 1;
}
