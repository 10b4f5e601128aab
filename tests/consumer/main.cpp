// A program built against pgwrap the way users build it: it only has to
// compile, link and run (connecting is not needed to prove the packaging).
#include <pgwrap/pgwrap.hpp>
#include <iostream>

int main() {
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
