#include "binding/async_job.h"

#include <atomic>
#include <cstring>
#include <memory>

#include "binding/util.h"

namespace tf {
namespace bind {
namespace {

struct Snapshot {
  double done = 0;
  double total = 0;
  char stage[48] = {0};
};

class Job : public Napi::AsyncProgressWorker<Snapshot> {
 public:
  Job(Napi::Env env, AsyncSpec spec, std::shared_ptr<std::atomic<bool>> cancel)
      : Napi::AsyncProgressWorker<Snapshot>(env, spec.name),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(spec.work)),
        done_(std::move(spec.done)),
        cancel_(std::move(cancel)) {
    for (auto& v : spec.keep_alive)
      if (v.IsObject()) keep_.push_back(Napi::Persistent(v.As<Napi::Object>()));
    if (!spec.on_progress.IsEmpty() && spec.on_progress.IsFunction())
      on_progress_ = Napi::Persistent(spec.on_progress.As<Napi::Function>());
  }

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute(const ExecutionProgress& progress) override {
    try {
      JobControl ctl([&progress](uint64_t done, uint64_t total, const char* stage) {
        Snapshot s;
        s.done = static_cast<double>(done);
        s.total = static_cast<double>(total);
        std::strncpy(s.stage, stage ? stage : "", sizeof(s.stage) - 1);
        progress.Send(&s, 1);
      });
      ctl.set_cancel_source(cancel_.get());
      ctl.check();  // cancelled while queued behind other jobs
      work_(ctl);
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  void OnProgress(const Snapshot* data, size_t count) override {
    if (!data || !count || on_progress_.IsEmpty() || settled_) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Object p = Napi::Object::New(env);
    p.Set("done", data[count - 1].done);
    p.Set("total", data[count - 1].total);
    p.Set("stage", data[count - 1].stage);
    try {
      on_progress_.Call({p});
    } catch (const Napi::Error&) {
      // A throwing progress listener must not kill the job; the facade's listener never throws.
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    settled_ = true;
    if (error_) {
      deferred_.Reject(js_error(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(done_ ? done_(env) : env.Undefined());
    } catch (...) {
      deferred_.Reject(js_error(env, std::current_exception()).Value());
    }
  }

  void OnError(const Napi::Error& e) override {
    settled_ = true;
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void(JobControl&)> work_;
  std::function<Napi::Value(Napi::Env)> done_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::vector<Napi::ObjectReference> keep_;
  Napi::FunctionReference on_progress_;
  std::exception_ptr error_;
  bool settled_ = false;
};

}  // namespace

Napi::Object run_async(Napi::Env env, AsyncSpec spec) {
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto* job = new Job(env, std::move(spec), cancel);  // AsyncWorker deletes itself when done
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", job->promise());
  handle.Set("cancel", Napi::Function::New(
                           env,
                           [cancel](const Napi::CallbackInfo& info) -> Napi::Value {
                             cancel->store(true, std::memory_order_relaxed);
                             return info.Env().Undefined();
                           },
                           "cancel"));
  job->Queue();
  return handle;
}

}  // namespace bind
}  // namespace tf
