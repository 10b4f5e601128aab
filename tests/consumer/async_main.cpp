// The coroutine face built the way users build it: it only has to compile,
// link and run an event loop (no server: connecting is refused at once).
#include <pgwrap/asio.hpp>
#include <pgwrap/pgwrap.hpp>

#if PGWRAP_ASIO_BOOST
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#else
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#endif

#include <exception>
#include <iostream>

namespace net = pgwrap::net;

int main() {
  net::io_context io;
  pgwrap::async_database db(io.get_executor(), "host=/nonexistent/pgwrap-consumer port=1");
  if (db.is_connected()) return 1;  // lazy: nothing connects before the first call
  bool refused = false;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        try {
          co_await db.connect();
        } catch (const pgwrap::connection_error&) {
          refused = true;
        }
      },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  io.run();
  if (!refused || db.is_connected()) return 1;
  std::cout << "pgwrap " << pgwrap::version << " async consumer ok\n";
  return 0;
}
