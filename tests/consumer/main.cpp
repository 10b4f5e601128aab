// A program built against pgwrap the way users build it: it only has to
// compile, link and run (connecting is not needed to prove the packaging).
// Given a conninfo (argv[1]), it also runs one query on that server.
#include <iostream>
#include <pgwrap/pgwrap.hpp>

int main(int argc, char** argv) {
  if (argc > 1) {
    pgwrap::database server(argv[1]);
    if (server.scalar<int>("SELECT %s::int + 1", 41) != 42) return 1;
    std::cout << "server answered 42\n";
  }
  pgwrap::database db("host=/nonexistent/pgwrap-consumer port=1");
  pgwrap::listener listener("host=/nonexistent/pgwrap-consumer port=1");
  if (!listener.channels().empty()) return 1;
  try {
    db.execute("SELECT %s", 1);
  } catch (const pgwrap::connection_error&) {
    std::cout << "pgwrap " << pgwrap::version << " consumer ok\n";
    return 0;
  }
  return 1;
}
