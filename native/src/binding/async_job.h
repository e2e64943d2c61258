// Long kernels off the JS thread: an AsyncProgressWorker that runs `work(ctl)` on the libuv
// pool, forwards progress snapshots (coalesced: the latest wins) to a JS callback, and
// settles a Promise. The JS side gets {promise, cancel()}; cancel() sets an atomic flag that
// the kernel polls through ctl.check() and the promise rejects with err.code = 'CANCELLED'.
//
//   tf::bind::AsyncSpec spec;
//   spec.name = "sparsegpt";
//   spec.keep_alive = {info[0], info[1]};             // typed arrays the work touches
//   spec.on_progress = opts.Get("onProgress");         // function or undefined
//   spec.work = [=](tf::JobControl& ctl) { solve(w, h, n, &ctl); };   // worker thread
//   spec.done = [=](Napi::Env env) { return Napi::Number::New(env, loss); };  // JS thread
//   return tf::bind::run_async(info.Env(), std::move(spec));
#pragma once
#include <napi.h>

#include <functional>
#include <vector>

#include "common/job.h"

namespace tf {
namespace bind {

struct AsyncSpec {
  const char* name = "twinforge_job";
  // Values referenced until the job settles (GC must not free buffers the worker writes).
  std::vector<Napi::Value> keep_alive;
  // JS function called as onProgress({done, total, stage}) on the JS thread; undefined = none.
  Napi::Value on_progress;
  // Runs on a worker thread. Must not touch Napi values. Throw to reject.
  std::function<void(JobControl& ctl)> work;
  // Runs on the JS thread after `work` succeeded; null resolves undefined. Throw to reject.
  std::function<Napi::Value(Napi::Env env)> done;
};

// Queues the job; returns {promise, cancel}.
Napi::Object run_async(Napi::Env env, AsyncSpec spec);

}  // namespace bind
}  // namespace tf
