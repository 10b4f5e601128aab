// slow_query_log: one line per operation slower than a threshold. It reads
// only what every event carries, which never includes a parameter's value.

#include <cstdio>
#include <string>
#include <utility>

#include "pgwrap/error.hpp"
#include "pgwrap/observer.hpp"

namespace pgwrap {

namespace {
std::string milliseconds(std::chrono::nanoseconds d) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f ms", std::chrono::duration<double, std::milli>(d).count());
  return buffer;
}

class slow_log final : public observer {
 public:
  slow_log(std::chrono::nanoseconds threshold, std::function<void(std::string_view)> sink)
      : threshold_(threshold), sink_(std::move(sink)) {}

  void on_end(const event& e) override {
    if (e.duration() < threshold_) return;
    std::string line = "pgwrap slow " + std::string(to_string(e.kind)) + ": " + milliseconds(e.duration());
    if (e.queued >= std::chrono::microseconds(50))
      line += " (queued " + milliseconds(e.queued) + ")";  // not a rounded 0.0
    if (!e.query_text.empty()) line += ": " + std::string(e.query_text);
    if (e.batch_size > 1) line += " [batch of " + std::to_string(e.batch_size) + "]";
    if (e.failed) {
      line += " failed: " + std::string(e.error_type);
      if (!e.sqlstate.empty()) line += " (SQLSTATE " + std::string(e.sqlstate) + ")";
    } else if (e.rows >= 0) {
      line += " rows=" + std::to_string(e.rows);
    }
    line += " db=" + std::string(e.database_name) + " server=" + std::string(e.server_address) + ":" +
            std::to_string(e.server_port) + " pid=" + std::to_string(e.backend_pid);
    sink_(line);
  }

 private:
  std::chrono::nanoseconds threshold_;
  std::function<void(std::string_view)> sink_;
};
}  // namespace

std::shared_ptr<observer> slow_query_log(std::chrono::nanoseconds threshold,
                                         std::function<void(std::string_view line)> sink) {
  if (!sink) throw usage_error("slow_query_log: the sink is empty");
  return std::make_shared<slow_log>(threshold, std::move(sink));
}

}  // namespace pgwrap
