#include "plugin/channel_instance.hpp"

#include <spdlog/spdlog.h>

#include "patchbay/common/log_subject.hpp"

#include <vector>

namespace patchbay::plugin {
namespace {

constexpr size_t max_key_bytes = 256;
constexpr size_t max_value_bytes = size_t{64} * 1024;
constexpr size_t max_inbound_text = 1 << 20;
constexpr size_t max_log_line = 4096;

struct system_clock_impl final : clock_source {
  int64_t now_unix_ms() override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  int64_t monotonic_ms() override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
};

// Operations in flight across all instances, keyed by an id that travels as the plugin-side
// user_data. A plugin that completes an id twice (or a stale one) is detected, not obeyed.
std::mutex registry_mu;
std::map<uint64_t, std::weak_ptr<channel_instance>> op_registry;
std::atomic<uint64_t> next_op_id{1};

std::string error_text(int32_t rc, const pb_error_buf& eb) {
  std::string s = messages::error_class_name(rc);
  if (eb.message_size > 0)
    s += ": " + std::string(eb.message, std::min<uint64_t>(eb.message_size, eb.message_capacity));
  return s;
}

std::string copy(pb_str s) { return std::string(to_view(s)); }

spdlog::level::level_enum to_spd(int32_t level) {
  switch (level) {
    case PB_LOG_TRACE:
      return spdlog::level::trace;
    case PB_LOG_DEBUG:
      return spdlog::level::debug;
    case PB_LOG_WARN:
      return spdlog::level::warn;
    case PB_LOG_ERROR:
      return spdlog::level::err;
    default:
      return spdlog::level::info;
  }
}

}  // namespace

clock_source& system_clock_source() {
  static system_clock_impl c;
  return c;
}

std::shared_ptr<channel_instance> channel_instance::make(
    kit::io_runtime& rt, std::shared_ptr<const plugin_module> module, std::string id,
    std::string config_json, state::store& store, instance_events events, clock_source& clock) {
  return std::shared_ptr<channel_instance>(
      new channel_instance(rt, std::move(module), std::move(id), std::move(config_json), store,
                           std::move(events), clock));
}

channel_instance::channel_instance(kit::io_runtime& rt, std::shared_ptr<const plugin_module> module,
                                   std::string id, std::string config_json, state::store& store,
                                   instance_events events, clock_source& clock)
    : rt_(rt),
      strand_(rt.make_strand()),
      module_(std::move(module)),
      id_(std::move(id)),
      config_json_(std::move(config_json)),
      store_(store),
      events_(std::move(events)),
      clock_(clock) {}

channel_instance::~channel_instance() {
  // The host keeps instances until after shutdown; an instance still holding a plugin instance
  // here was never shut down. Destroy it so the plugin can release its resources.
  if (inst_ != nullptr && module_->vt.destroy != nullptr) module_->vt.destroy(inst_);
}

// ---- lifecycle -------------------------------------------------------------------------------

void channel_instance::start(std::function<void(const std::string&)> done) {
  strand_.post([self = shared_from_this(), done = std::move(done)] {
    if (self->phase_ != phase::idle) {
      done("channel " + self->id_ + " was already started");
      return;
    }
    char buf[1024];
    pb_error_buf eb{sizeof eb, 0, 0, buf, sizeof buf, 0};
    pb_create_args args{sizeof args, &self->host_handle_, to_pb(self->id_),
                        to_pb(self->config_json_)};
    pb_instance* inst = nullptr;
    int32_t rc = self->module_->vt.create(&args, &inst, &eb);
    // The config may hold secrets: it is no longer needed once the plugin has it.
    self->config_json_.assign(self->config_json_.size(), '\0');
    self->config_json_.clear();
    if (rc != PB_OK || inst == nullptr) {
      if (rc == PB_OK) rc = PB_ERR_INTERNAL;
      self->phase_ = phase::destroyed;
      self->accepting_ = false;
      done("create failed: " + error_text(rc, eb));
      return;
    }
    self->inst_ = inst;
    eb.message_size = 0;
    rc = self->module_->vt.start(inst, &eb);
    if (rc != PB_OK) {
      std::string why = "start failed: " + error_text(rc, eb);
      self->phase_ = phase::stopping;
      self->shutdown_done_ = [done, why] { done(why); };
      self->owe();  // balance: wait for owed callbacks, then destroy
      self->paid();
      return;
    }
    self->phase_ = phase::running;
    done("");
  });
}

void channel_instance::shutdown(std::chrono::milliseconds deadline, std::function<void()> done) {
  strand_.post([self = shared_from_this(), deadline, done = std::move(done)]() mutable {
    if (self->phase_ == phase::idle || self->phase_ == phase::destroyed) {
      self->phase_ = phase::destroyed;
      self->accepting_ = false;
      done();
      return;
    }
    auto prev = std::move(self->shutdown_done_);
    self->shutdown_done_ = [prev = std::move(prev), done = std::move(done)] {
      if (prev) prev();
      done();
    };
    if (self->phase_ == phase::stopping) return;  // already on its way
    self->phase_ = phase::stopping;
    uint64_t gen = ++self->stop_generation_;
    self->stop_timer_ = std::make_unique<kit::timer>(self->rt_, self->strand_);
    self->stop_timer_->after(deadline, [w = std::weak_ptr(self), gen, deadline](bool cancelled) {
      auto s = w.lock();
      if (!s || cancelled) return;
      spdlog::warn("{}plugin {} did not finish stop within {} ms; destroying it anyway",
                   common::log_tag({.channel = s->id_}), s->module_->name, deadline.count());
      s->finish_stop(gen);
    });
    self->module_->vt.stop(self->inst_, static_cast<uint32_t>(deadline.count()),
                           &channel_instance::stop_trampoline, self.get());
  });
}

void channel_instance::stop_trampoline(void* ud) {
  auto* self = static_cast<channel_instance*>(ud);
  // The host keeps the instance alive (shared_ptr in the app) until after destroy.
  self->strand_.post([w = self->weak_from_this()] {
    if (auto s = w.lock()) s->finish_stop(s->stop_generation_);
  });
}

void channel_instance::finish_stop(uint64_t generation) {
  if (phase_ != phase::stopping || generation != stop_generation_ || !stop_timer_) return;
  stop_timer_.reset();  // cancels the deadline
  owe();
  paid();  // destroy once every callback owed to the plugin has run
}

void channel_instance::owe() {
  std::lock_guard lk(mu_);
  ++owed_;
}

void channel_instance::paid() {
  std::function<void()> fn;
  {
    std::lock_guard lk(mu_);
    if (--owed_ == 0 && phase_ == phase::stopping) {
      fn = [w = weak_from_this()] {
        if (auto s = w.lock()) s->destroy_now();
      };
    }
  }
  if (fn) strand_.post(std::move(fn));
}

void channel_instance::destroy_now() {
  if (phase_ != phase::stopping) return;
  {
    std::lock_guard lk(mu_);
    if (owed_ != 0) return;  // a later paid() comes back here
  }
  phase_ = phase::destroyed;
  fail_open_http();  // the stopped plugin's open requests: 503 (before destroy drops them)
  if (inst_ != nullptr) module_->vt.destroy(inst_);
  inst_ = nullptr;
  accepting_ = false;
  // Operations the plugin never completed are answered here: the host's callers always hear back.
  std::map<uint64_t, pending_op> orphans;
  {
    std::lock_guard lk(mu_);
    orphans.swap(ops_);
  }
  for (auto& [op_id, op] : orphans) {
    {
      std::lock_guard lk(registry_mu);
      op_registry.erase(op_id);
    }
    spdlog::error("{}plugin {} never completed {} (op {}); failing it",
                  common::log_tag({.channel = id_}), module_->name, op.what, op_id);
    messages::op_result r{PB_ERR_INTERNAL, "channel stopped before the operation completed", 0, {}};
    if (events_.op_outcome) events_.op_outcome(op.what, r);
    op.done(r);
  }
  if (auto fn = std::move(shutdown_done_)) fn();
}

// ---- outbound ---------------------------------------------------------------------------------

template <class Fn>
void channel_instance::start_op(const char* what, op_done done, Fn&& call) {
  if (phase_ != phase::running) {
    messages::op_result r{PB_ERR_RETRYABLE, "channel " + id_ + " is not running", 0, {}};
    if (events_.op_outcome) events_.op_outcome(what, r);
    done(r);
    return;
  }
  uint64_t op_id;
  {
    std::lock_guard lk(mu_);
    op_id = next_op_id.fetch_add(1);
    ops_.emplace(op_id, pending_op{std::move(done), what, clock_.monotonic_ms()});
  }
  {
    std::lock_guard lk(registry_mu);
    op_registry[op_id] = weak_from_this();
  }
  // The op id travels as the C ABI's opaque user data; it is never dereferenced.
  call(reinterpret_cast<void*>(  // NOLINT(performance-no-int-to-ptr): an id, not an address
      static_cast<uintptr_t>(op_id)));
}

void channel_instance::op_trampoline(void* ud, const pb_op_result* r) {
  uint64_t op_id = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(ud));
  std::shared_ptr<channel_instance> self;
  {
    std::lock_guard lk(registry_mu);
    auto it = op_registry.find(op_id);
    if (it != op_registry.end()) {
      self = it->second.lock();
      op_registry.erase(it);
    }
  }
  if (!self) {
    spdlog::error("a plugin completed operation {} that is unknown or already completed; ignored",
                  op_id);
    return;
  }
  messages::op_result res;
  pb_op_result rr;
  if (!read_sized(r, PB_SIZE_THROUGH(pb_op_result, message_id), rr)) {
    res.code = PB_ERR_INTERNAL;
    res.message = "plugin completed with a malformed result";
  } else {
    pb_error e;
    if (rr.error != nullptr && read_sized(rr.error, PB_SIZE_THROUGH(pb_error, message), e)) {
      res.code = e.code == PB_OK ? PB_ERR_INTERNAL : e.code;
      res.retry_after_ms = e.retry_after_ms;
      if (valid_view(e.message)) res.message = copy(e.message);
    } else if (rr.error != nullptr) {
      res.code = PB_ERR_INTERNAL;
      res.message = "plugin reported a malformed error";
    }
    if (valid_view(rr.message_id)) res.message_id = copy(rr.message_id);
    if (rr.struct_size >= PB_SIZE_THROUGH(pb_op_result, mime_type) && valid_view(rr.mime_type))
      res.mime_type = copy(rr.mime_type);
  }
  self->complete_op(op_id, std::move(res));
}

void channel_instance::complete_op(uint64_t op_id, messages::op_result r) {
  pending_op op;
  {
    std::lock_guard lk(mu_);
    auto it = ops_.find(op_id);
    if (it == ops_.end()) return;
    op = std::move(it->second);
    ops_.erase(it);
  }
  if (events_.op_outcome) events_.op_outcome(op.what, r);
  strand_.post([done = std::move(op.done), r = std::move(r)] { done(r); });
}

void channel_instance::send(messages::outbound_message msg, op_done done) {
  strand_.post([self = shared_from_this(), msg = std::move(msg), done = std::move(done)]() mutable {
    if (msg.attachment && !can_send_attachments(*self->module_)) {
      // Never handed to a plugin that would drop the file and send an empty text.
      messages::op_result r{PB_ERR_UNSUPPORTED, "this channel cannot send files", 0, {}};
      if (self->events_.op_outcome) self->events_.op_outcome("send", r);
      return done(r);
    }
    self->start_op("send", std::move(done), [&](void* ud) {
      pb_outbound_attachment att{};
      if (const auto& a = msg.attachment) {
        att = pb_outbound_attachment{sizeof att,          to_pb(a->kind), to_pb(a->name),
                                     to_pb(a->mime_type), to_pb(a->path), a->size,
                                     to_pb(a->md5_hex)};
      }
      pb_outbound_message m{sizeof m,
                            to_pb(msg.conversation_id),
                            to_pb(msg.thread_id),
                            to_pb(msg.reply_to_message_id),
                            to_pb(msg.reply_context),
                            to_pb(msg.text),
                            to_pb(msg.turn_id),
                            to_pb(msg.recipient_id),
                            msg.flags,
                            msg.attachment ? &att : nullptr};
      self->module_->vt.send(self->inst_, &m, &channel_instance::op_trampoline, ud);
    });
  });
}

void channel_instance::edit(messages::edit_request req, op_done done) {
  strand_.post([self = shared_from_this(), req = std::move(req), done = std::move(done)]() mutable {
    self->start_op("edit", std::move(done), [&](void* ud) {
      pb_edit_request m{sizeof m,
                        to_pb(req.conversation_id),
                        to_pb(req.message_id),
                        to_pb(req.reply_context),
                        to_pb(req.text),
                        to_pb(req.turn_id),
                        req.flags};
      self->module_->vt.edit(self->inst_, &m, &channel_instance::op_trampoline, ud);
    });
  });
}

void channel_instance::typing(messages::typing_request req, op_done done) {
  strand_.post([self = shared_from_this(), req = std::move(req), done = std::move(done)]() mutable {
    self->start_op("typing", std::move(done), [&](void* ud) {
      pb_typing_request m{sizeof m,
                          to_pb(req.conversation_id),
                          to_pb(req.thread_id),
                          to_pb(req.reply_context),
                          to_pb(req.user_id),
                          req.action,
                          to_pb(req.message_id)};
      self->module_->vt.typing(self->inst_, &m, &channel_instance::op_trampoline, ud);
    });
  });
}

bool channel_instance::can_fetch() const {
  return module_->abi_minor >= 3 && module_->vt.fetch_attachment != nullptr;
}

void channel_instance::fetch_attachment(fetch_request req, op_done done) {
  if (!can_fetch()) {
    messages::op_result r{PB_ERR_UNSUPPORTED, "the plugin cannot fetch attachments", 0, {}, {}};
    return done(r);
  }
  strand_.post([self = shared_from_this(), req = std::move(req), done = std::move(done)]() mutable {
    self->start_op("fetch", std::move(done), [&](void* ud) {
      pb_fetch_request m{sizeof m,
                         to_pb(req.conversation_id),
                         to_pb(req.message_id),
                         to_pb(req.reply_context),
                         to_pb(req.kind),
                         to_pb(req.attachment_id),
                         to_pb(req.url),
                         to_pb(req.dest_path),
                         req.max_bytes};
      self->module_->vt.fetch_attachment(self->inst_, &m, &channel_instance::op_trampoline, ud);
    });
  });
}

// ---- host services ----------------------------------------------------------------------------

void channel_instance::log(int32_t level, std::string_view text) {
  if (!accepting_) return;
  if (text.size() > max_log_line) text = text.substr(0, max_log_line);
  spdlog::log(to_spd(level), "{}{}: {}", common::log_tag({.channel = id_}), module_->name, text);
}

void channel_instance::report_status(const pb_status& st) {
  if (!accepting_) return;
  if (events_.status) events_.status(st);
}

int32_t channel_instance::kv_get(std::string_view key, pb_kv_value_fn on_value, void* ud) {
  if (!accepting_ || key.empty() || key.size() > max_key_bytes) return -1;
  auto v = store_.kv_get(id_, std::string(key));
  if (!v) return 0;
  on_value(ud, to_pb(*v));
  return 1;
}

void channel_instance::kv_write(std::string_view key, std::optional<std::string_view> value,
                                pb_kv_done_fn done, void* ud) {
  owing(done != nullptr, [&] { write_kv(key, value, done, ud); });
}

void channel_instance::refuse_kv_write(pb_kv_done_fn done, void* ud, std::string_view why) {
  owing(done != nullptr, [&] { answer_kv(done, ud, PB_ERR_INVALID_INPUT, std::string(why)); });
}

void channel_instance::write_kv(std::string_view key, std::optional<std::string_view> value,
                                pb_kv_done_fn done, void* ud) {
  if (!accepting_) return answer_kv(done, ud, PB_ERR_RETRYABLE, "instance is destroyed");
  if (key.empty() || key.size() > max_key_bytes)
    return answer_kv(done, ud, PB_ERR_RETRYABLE, "key must be 1-256 bytes");
  if (value && value->size() > max_value_bytes)
    return answer_kv(done, ud, PB_ERR_RETRYABLE, "value exceeds 64 KiB");
  auto cb = [self = shared_from_this(), done, ud](const std::string& err) {
    if (err.rfind("lease lost", 0) == 0 && self->events_.lease_lost) self->events_.lease_lost(err);
    self->answer_kv(done, ud, PB_ERR_RETRYABLE, err);
  };
  if (fence_) {
    std::optional<std::string> v;
    if (value) v.emplace(*value);
    store_.kv_write_fenced(id_, std::string(key), std::move(v), *fence_, cb);
    return;
  }
  if (value)
    store_.kv_set(id_, std::string(key), std::string(*value), cb);
  else
    store_.kv_delete(id_, std::string(key), cb);
}

// `err` empty = durable. Without a callback a failure is only logged.
void channel_instance::answer_kv(pb_kv_done_fn done, void* ud, int32_t code, std::string err) {
  if (done == nullptr) {
    if (!err.empty())
      spdlog::warn("{}instance store write failed: {}", common::log_tag({.channel = id_}), err);
    return;
  }
  strand_.post([self = shared_from_this(), done, ud, code, err = std::move(err)] {
    if (self->accepting_) {
      pb_error e{sizeof(pb_error), code, 0, to_pb(err)};
      done(ud, err.empty() ? nullptr : &e);
    }
    self->paid();
  });
}

void channel_instance::report_liveness(const pb_liveness& proof) {
  if (!accepting_) return;
  if (events_.liveness) events_.liveness(proof);
}

in_flight_ops channel_instance::in_flight() {
  in_flight_ops out;
  const int64_t now = clock_.monotonic_ms();
  std::lock_guard lk(mu_);
  out.count = ops_.size();
  for (const auto& [op_id, op] : ops_)
    out.oldest_age_ms = std::max(out.oldest_age_ms, now - op.started_ms);
  return out;
}

int64_t channel_instance::now_unix_ms() { return clock_.now_unix_ms(); }
int64_t channel_instance::monotonic_ms() { return clock_.monotonic_ms(); }

}  // namespace patchbay::plugin
