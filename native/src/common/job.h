// Cancellation and progress for long kernels. A kernel takes `const JobControl* ctl`
// (nullptr = run to the end, report nothing), polls ctl->check() between chunks of
// ~1 ms of work and reports snapshots with ctl->progress(); both are safe from any thread.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

#include "common/error.h"

namespace tf {

class JobControl {
 public:
  using ProgressFn = std::function<void(uint64_t done, uint64_t total, const char* stage)>;

  JobControl() = default;
  explicit JobControl(ProgressFn fn) : on_progress_(std::move(fn)) {}
  JobControl(const JobControl&) = delete;
  JobControl& operator=(const JobControl&) = delete;

  void cancel() { cancel_.store(true, std::memory_order_relaxed); }
  bool cancelled() const {
    return cancel_.load(std::memory_order_relaxed) ||
           (external_ && external_->load(std::memory_order_relaxed));
  }
  // Throws tf::Cancelled when cancel() was called (from any thread).
  void check() const {
    if (cancelled()) throw Cancelled();
  }
  // Snapshots may come from several worker threads: only forward ones that move forward, so
  // the JS side sees done/total in order within a stage.
  void progress(uint64_t done, uint64_t total, const char* stage) const;
  // Also obey a flag owned elsewhere (the binding's shared atomic set by AbortSignal).
  void set_cancel_source(const std::atomic<bool>* flag) { external_ = flag; }

 private:
  std::atomic<bool> cancel_{false};
  const std::atomic<bool>* external_ = nullptr;
  ProgressFn on_progress_;
  mutable std::mutex mu_;
  mutable const char* last_stage_ = nullptr;
  mutable uint64_t last_done_ = 0;
  mutable bool any_ = false;
};

// Helpers that accept a null control.
inline void check(const JobControl* ctl) {
  if (ctl) ctl->check();
}
inline void report(const JobControl* ctl, uint64_t done, uint64_t total, const char* stage) {
  if (ctl) ctl->progress(done, total, stage);
}

}  // namespace tf
