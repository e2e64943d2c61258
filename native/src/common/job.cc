#include "common/job.h"

#include <cstring>

namespace tf {

void JobControl::progress(uint64_t done, uint64_t total, const char* stage) const {
  if (!on_progress_) return;
  std::lock_guard<std::mutex> lock(mu_);
  bool same_stage = any_ && last_stage_ && stage && std::strcmp(last_stage_, stage) == 0;
  if (same_stage && done < last_done_) return;  // a slower thread's older snapshot
  any_ = true;
  last_stage_ = stage;
  last_done_ = done;
  on_progress_(done, total, stage);
}

}  // namespace tf
