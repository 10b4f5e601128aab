#pragma once
// A thread for the jobs an event loop must not run: libpq 15's PQcancel
// opens a connection to the server and waits for it.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace pgwrap::detail {

class cancel_worker {
 public:
  cancel_worker() = default;
  /// Waits for the job running now (a cancel takes one round trip), drops the rest.
  ~cancel_worker();
  cancel_worker(const cancel_worker&) = delete;
  cancel_worker& operator=(const cancel_worker&) = delete;

  /// Runs `job` on the worker thread, started on first use; jobs run in order.
  void run(std::function<void()> job);

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pgwrap::detail
