// Per-call cost of pgwrap's formatting layer (%S / %W / %s), next to the same
// statement hand-written with $n for libpq. Two views:
//   *_client: only building the SQL text and parameters (no server);
//   *_round_trip: the whole UPDATE against the server, so the formatting cost
//   can be seen against the round trip it rides on.
// The round-trip benchmarks need a server (PGWRAP_TEST_DSN or PG* variables);
// ./dev bench provides one.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <pgwrap/pgwrap.hpp>
#include <stdexcept>
#include <string>

namespace {

const pgwrap::fields& set_fields() {
  static const pgwrap::fields f{{"name", "Al Bert"}, {"uid", 10}, {"score", 1.5}};
  return f;
}
const pgwrap::fields& where_fields() {
  static const pgwrap::fields f{{"id", 1}, {"kind", "user"}};
  return f;
}

void formatted_client(benchmark::State& state) {
  for (auto _ : state) {
    auto q = pgwrap::format_query("UPDATE bench_t SET %S WHERE %W", set_fields(), where_fields());
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(formatted_client);

void positional_client(benchmark::State& state) {
  const std::string name = "Al Bert";
  for (auto _ : state) {
    auto q = pgwrap::format_query("UPDATE bench_t SET name = %s, uid = %s, score = %s WHERE id = %s AND kind = %s",
                                  name, 10, 1.5, 1, "user");
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(positional_client);

// What a careful hand-written libpq call prepares: the text of each value.
void handwritten_client(benchmark::State& state) {
  const std::string name = "Al Bert";
  for (auto _ : state) {
    char uid[16];
    char score[32];
    char id[16];
    *std::to_chars(uid, uid + sizeof uid - 1, 10).ptr = '\0';
    *std::to_chars(score, score + sizeof score - 1, 1.5).ptr = '\0';
    *std::to_chars(id, id + sizeof id - 1, 1).ptr = '\0';
    const char* values[] = {name.c_str(), uid, score, id, "user"};
    benchmark::DoNotOptimize(values);
  }
}
BENCHMARK(handwritten_client);

std::string dsn() {
  const char* d = std::getenv("PGWRAP_TEST_DSN");
  return d ? d : "";
}

void setup_table(pgwrap::database& db) {
  db.set_autocommit(true);
  db.execute("DROP TABLE IF EXISTS bench_t");
  db.execute("CREATE TABLE bench_t (id int, kind text, name text, uid int, score float8)");
  db.execute("INSERT INTO bench_t VALUES (1, 'user', 'x', 0, 0)");
}

void formatted_round_trip(benchmark::State& state) {
  pgwrap::database db(dsn());
  setup_table(db);
  for (auto _ : state) {
    benchmark::DoNotOptimize(db.execute("UPDATE bench_t SET %S WHERE %W", set_fields(), where_fields()));
  }
}
BENCHMARK(formatted_round_trip)->Unit(benchmark::kMicrosecond);

void handwritten_round_trip(benchmark::State& state) {
  {
    pgwrap::database db(dsn());
    setup_table(db);
  }
  PGconn* conn = PQconnectdb(dsn().c_str());
  if (PQstatus(conn) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn));
  const std::string name = "Al Bert";
  const Oid types[] = {0, 23, 701, 23, 0};
  for (auto _ : state) {
    char uid[16];
    char score[32];
    char id[16];
    *std::to_chars(uid, uid + sizeof uid - 1, 10).ptr = '\0';
    *std::to_chars(score, score + sizeof score - 1, 1.5).ptr = '\0';
    *std::to_chars(id, id + sizeof id - 1, 1).ptr = '\0';
    const char* values[] = {name.c_str(), uid, score, id, "user"};
    PGresult* r = PQexecParams(conn,
                               "UPDATE bench_t SET \"name\" = $1, \"uid\" = $2, \"score\" = $3 "
                               "WHERE (\"id\" = $4 AND \"kind\" = $5)",
                               5, types, values, nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) throw std::runtime_error(PQresultErrorMessage(r));
    PQclear(r);
  }
  PQfinish(conn);
}
BENCHMARK(handwritten_round_trip)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
