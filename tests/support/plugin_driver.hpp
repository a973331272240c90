// Drives a real plugin .so directly through its C ABI with a minimal host (for the plugin tests):
// what the real host cannot be told to do on command — hold an inbound message's durability
// answer, refuse it, count every status — and what it does not exercise yet (typing, many
// instances of one plugin). Every host callback is delivered by one worker thread, never inside
// the plugin's call, as the real host does.
//
//   pbdrv::instance in(PB_FEISHU_PLUGIN, "fs", config_json);   // create + start
//   in.host.hold_inbound = true;        // durability answers wait for in.host.release(...)
//   auto r = in.send(msg);              // blocking, with a generous deadline
//   // destructor: stop (3 s deadline) + drain + destroy
#pragma once

#include <dlfcn.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "patchbay/pb_plugin.h"

namespace pbdrv {
using namespace std::chrono_literals;

inline std::string text(pb_str s) { return s.size ? std::string(s.data, s.size) : std::string(); }
inline pb_str view(const std::string& s) { return pb_str{s.data(), s.size()}; }

// An inbound message's attachment (ABI minor 3), as the host kept it.
struct attachment_record {
  std::string kind, id, name, mime_type, url;
  uint64_t size = 0;
};

// What the host kept of one emitted inbound message.
struct inbound_record {
  std::string event_id, conversation_id, thread_id, message_id, sender_id, sender_name, text,
      reply_context;
  int32_t kind = 0;
  std::vector<std::string> mentions;  // user ids; "*self" appended for is_bot_self mentions
  std::vector<attachment_record> attachments;
  std::string raw_json;
  bool has_capabilities = false;
  pb_capabilities capabilities{};
  pb_inbound_done_fn done = nullptr;
  void* ud = nullptr;
  bool answered = false;
};

struct mini_host {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> work;
  bool quit = false;
  bool busy = false;
  std::map<std::string, std::string> kv;
  std::vector<std::string> logs;
  std::vector<pb_status> statuses;  // reason cleared (not owned); see reasons
  std::vector<std::string> reasons;
  std::vector<pb_liveness> liveness;  // every report_liveness (ABI minor 2), in order
  std::vector<inbound_record> inbound;
  // false: every inbound message is answered at once: ACCEPTED (DUPLICATE for an event id seen
  // before), or `refuse_code` REFUSED while refuse_inbound is set. true: answers wait for
  // answer_inbound(). Set these under `mu` once the instance runs.
  bool hold_inbound = false;
  bool refuse_inbound = false;
  int32_t refuse_code = PB_ERR_RETRYABLE;
  std::map<std::string, int> seen_events;
  std::thread worker{[this] { run(); }};

  ~mini_host() {
    {
      std::lock_guard lock(mu);
      quit = true;
      // Answer what is still held (the plugin owes nothing to a destroyed host, but the C
      // callbacks own heap state that only the answer frees).
      for (auto& r : inbound)
        if (!r.answered && r.done) {
          r.answered = true;
          work.push_back([d = r.done, ud = r.ud] { d(ud, PB_INBOUND_REFUSED, nullptr); });
        }
    }
    cv.notify_all();
    worker.join();
  }
  void run() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return quit || !work.empty(); });
        if (work.empty()) return;
        fn = std::move(work.front());
        work.pop_front();
        busy = true;
      }
      fn();
      {
        std::lock_guard lock(mu);
        busy = false;
      }
      cv.notify_all();
    }
  }
  // Waits until no callback is queued or running.
  void drain() {
    std::unique_lock lock(mu);
    cv.wait_for(lock, 10s, [&] { return work.empty() && !busy; });
  }
  void later(std::function<void()> fn) {
    {
      std::lock_guard lock(mu);
      work.push_back(std::move(fn));
    }
    cv.notify_all();
  }
  // Answers the held inbound message `index` (0-based, emit order).
  void answer_inbound(size_t index, pb_inbound_disposition d, int32_t code = PB_ERR_RETRYABLE) {
    std::lock_guard lock(mu);
    auto& r = inbound.at(index);
    if (r.answered) return;
    r.answered = true;
    work.push_back([done = r.done, ud = r.ud, d, code] {
      static const char why[] = "refused by the test host";
      pb_error e{sizeof(pb_error), code, 0, pb_str{why, sizeof why - 1}};
      done(ud, d, d == PB_INBOUND_REFUSED ? &e : nullptr);
    });
    cv.notify_all();
  }
  size_t inbound_count() {
    std::lock_guard lock(mu);
    return inbound.size();
  }
  inbound_record inbound_at(size_t i) {
    std::lock_guard lock(mu);
    return inbound.at(i);
  }
  bool has_state(int32_t state) {
    std::lock_guard lock(mu);
    for (const auto& s : statuses)
      if (s.state == state) return true;
    return false;
  }
  // The liveness proofs of `kind` reported so far (0: any kind).
  size_t liveness_count(int32_t kind = 0) {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (const auto& p : liveness) n += kind == 0 || p.kind == kind ? 1 : 0;
    return n;
  }
  std::vector<int32_t> states() {
    std::lock_guard lock(mu);
    std::vector<int32_t> out;
    for (const auto& s : statuses) out.push_back(s.state);
    return out;
  }
  std::string all_logs() {
    std::lock_guard lock(mu);
    std::string s;
    for (const auto& l : logs) s += l + "\n";
    for (const auto& r : reasons) s += "status: " + r + "\n";
    return s;
  }
};

inline mini_host* of(pb_host* h) { return reinterpret_cast<mini_host*>(h); }

inline int64_t since_epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

inline const pb_host_api* host_api() {
  static const pb_host_api api = [] {
    pb_host_api a{};
    a.struct_size = sizeof a;
    a.log = [](pb_host* h, int32_t, pb_str t) {
      std::lock_guard lock(of(h)->mu);
      of(h)->logs.push_back(text(t));
    };
    a.emit_inbound = [](pb_host* h, const pb_inbound_message* m, pb_inbound_done_fn done,
                        void* ud) {
      mini_host& mh = *of(h);
      inbound_record r;
      r.event_id = text(m->event_id);
      r.conversation_id = text(m->conversation_id);
      r.thread_id = text(m->thread_id);
      r.message_id = text(m->message_id);
      r.sender_id = text(m->sender_id);
      r.sender_name = text(m->sender_name);
      r.text = text(m->text);
      r.reply_context = text(m->reply_context);
      r.kind = m->conversation_kind;
      for (uint32_t i = 0; i < m->mention_count; ++i) {
        r.mentions.push_back(text(m->mentions[i]->user_id));
        if (m->mentions[i]->is_bot_self == PB_YES) r.mentions.push_back("*self");
      }
      for (uint32_t i = 0; i < m->attachment_count; ++i) {
        const pb_attachment& att = *m->attachments[i];
        r.attachments.push_back({text(att.kind), text(att.id), text(att.name), text(att.mime_type),
                                 text(att.url), att.size});
      }
      r.raw_json = text(m->raw_json);
      if (m->capabilities) {
        r.has_capabilities = true;
        r.capabilities = *m->capabilities;
      }
      r.done = done;
      r.ud = ud;
      std::lock_guard lock(mh.mu);
      const bool dup = mh.seen_events[r.event_id]++ > 0;
      if (!mh.hold_inbound) {
        r.answered = true;
        const bool refuse = mh.refuse_inbound;
        const int32_t code = mh.refuse_code;
        if (refuse) --mh.seen_events[r.event_id];  // not stored: a re-push is new again
        mh.work.push_back([done, ud, dup, refuse, code] {
          static const char why[] = "refused by the test host";
          pb_error e{sizeof(pb_error), code, 0, pb_str{why, sizeof why - 1}};
          if (refuse)
            done(ud, PB_INBOUND_REFUSED, &e);
          else
            done(ud, dup ? PB_INBOUND_DUPLICATE : PB_INBOUND_ACCEPTED, nullptr);
        });
        mh.cv.notify_all();
      }
      mh.inbound.push_back(std::move(r));
    };
    a.report_status = [](pb_host* h, const pb_status* st) {
      std::lock_guard lock(of(h)->mu);
      pb_status copy = *st;
      copy.reason = {};
      of(h)->statuses.push_back(copy);
      of(h)->reasons.push_back(text(st->reason));
    };
    a.report_liveness = [](pb_host* h, const pb_liveness* p) {
      std::lock_guard lock(of(h)->mu);
      of(h)->liveness.push_back(*p);
    };
    a.kv_get = [](pb_host* h, pb_str key, pb_kv_value_fn fn, void* ud) -> int32_t {
      std::string v;
      {
        std::lock_guard lock(of(h)->mu);
        auto it = of(h)->kv.find(text(key));
        if (it == of(h)->kv.end()) return 0;
        v = it->second;
      }
      fn(ud, view(v));
      return 1;
    };
    a.kv_set = [](pb_host* h, pb_str key, pb_str value, pb_kv_done_fn done, void* ud) {
      {
        std::lock_guard lock(of(h)->mu);
        of(h)->kv[text(key)] = text(value);
      }
      if (done) of(h)->later([done, ud] { done(ud, nullptr); });
    };
    a.kv_delete = [](pb_host* h, pb_str key, pb_kv_done_fn done, void* ud) {
      {
        std::lock_guard lock(of(h)->mu);
        of(h)->kv.erase(text(key));
      }
      if (done) of(h)->later([done, ud] { done(ud, nullptr); });
    };
    a.now_unix_ms = [](pb_host*) -> int64_t {
      return since_epoch_ms(std::chrono::system_clock::now());
    };
    a.monotonic_ms = [](pb_host*) -> int64_t {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
    return a;
  }();
  return &api;
}

// Loads `path` once per process (never unloaded, as the host does).
inline const pb_plugin_descriptor* load_plugin(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, const pb_plugin_descriptor*> loaded;
  std::lock_guard lock(mu);
  if (auto it = loaded.find(path); it != loaded.end()) return it->second;
  const pb_plugin_descriptor* desc = nullptr;
  if (void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    auto entry = reinterpret_cast<pb_entry_fn>(::dlsym(lib, PB_ENTRY_SYMBOL));
    static pb_host_info info{sizeof(pb_host_info), PB_ABI_MAJOR, PB_ABI_MINOR, "test", host_api()};
    desc = entry ? entry(&info) : nullptr;
  }
  loaded[path] = desc;
  return desc;
}

struct op_outcome {
  int32_t code = -1;  // -1: no answer within the deadline
  std::string message, id;
  int64_t retry_after_ms = 0;
  std::string mime_type;  // fetch_attachment's success
};

struct http_outcome {
  uint32_t status = 0;  // 0: no answer within the deadline
  std::string body, content_type;
};

// One plugin instance on its own mini host: created and started by the constructor, stopped and
// destroyed by the destructor.
struct instance {
  const pb_plugin_descriptor* d;
  mini_host host;
  pb_instance* inst = nullptr;
  int32_t create_rc = -1;
  int32_t start_rc = -1;
  std::string create_error;

  instance(const std::string& plugin_path, const std::string& id, const std::string& config,
           bool start = true)
      : d(load_plugin(plugin_path)) {
    if (d == nullptr) {
      ADD_FAILURE() << "cannot load " << plugin_path << ": " << ::dlerror();
      return;
    }
    char buf[512];
    pb_error_buf err{sizeof err, 0, 0, buf, sizeof buf, 0};
    pb_create_args args{sizeof args, reinterpret_cast<pb_host*>(&host), view(id), view(config)};
    create_rc = d->vtable->create(&args, &inst, &err);
    create_error.assign(buf, err.message_size);
    if (create_rc == PB_OK && start) start_rc = d->vtable->start(inst, &err);
  }
  ~instance() {
    if (create_rc != PB_OK) return;
    std::promise<void> stopped;
    d->vtable->stop(
        inst, 3000, [](void* p) { static_cast<std::promise<void>*>(p)->set_value(); }, &stopped);
    EXPECT_EQ(stopped.get_future().wait_for(10s), std::future_status::ready);
    host.drain();  // every callback the host owes the instance runs before destroy
    d->vtable->destroy(inst);
  }

  static void op_done(void* ud, const pb_op_result* r) {
    op_outcome o;
    o.code = r->error ? r->error->code : PB_OK;
    if (r->error) {
      o.message = text(r->error->message);
      o.retry_after_ms = r->error->retry_after_ms;
    }
    o.id = text(r->message_id);
    if (r->struct_size >= PB_SIZE_THROUGH(pb_op_result, mime_type))
      o.mime_type = text(r->mime_type);
    static_cast<std::promise<op_outcome>*>(ud)->set_value(o);
  }
  static op_outcome wait(std::promise<op_outcome>& p, std::chrono::seconds limit = 30s) {
    auto f = p.get_future();
    if (f.wait_for(limit) != std::future_status::ready) return {};
    return f.get();
  }

  // `conversation`, `text`, and optionally reply_to / turn id.
  op_outcome send(const std::string& conversation, const std::string& body,
                  const std::string& reply_to = {}, const std::string& turn = "t1") {
    std::promise<op_outcome> p;
    pb_outbound_message m{};
    m.struct_size = sizeof m;
    m.conversation_id = view(conversation);
    m.reply_to_message_id = view(reply_to);
    m.text = view(body);
    m.turn_id = view(turn);
    d->vtable->send(inst, &m, &op_done, &p);
    return wait(p);
  }
  // One attachment send (ABI minor 3): `a` as the host fills it (text empty).
  op_outcome send_attachment(const std::string& conversation, const pb_outbound_attachment& a,
                             const std::string& turn = "t1",
                             const std::string& reply_context = {}) {
    std::promise<op_outcome> p;
    pb_outbound_message m{};
    m.struct_size = sizeof m;
    m.conversation_id = view(conversation);
    m.reply_context = view(reply_context);
    m.turn_id = view(turn);
    m.attachment = &a;
    d->vtable->send(inst, &m, &op_done, &p);
    return wait(p);
  }
  // fetch_attachment (ABI minor 3) of an attachment the host recorded, into `dest_path`.
  op_outcome fetch(const attachment_record& a, const std::string& dest_path, uint64_t max_bytes,
                   const std::string& conversation = {}, const std::string& message_id = {}) {
    if (d->vtable->struct_size < PB_SIZE_THROUGH(pb_plugin_vtable, fetch_attachment) ||
        d->vtable->fetch_attachment == nullptr)
      return {PB_ERR_UNSUPPORTED, "no fetch_attachment", {}};
    std::promise<op_outcome> p;
    pb_fetch_request r{};
    r.struct_size = sizeof r;
    r.conversation_id = view(conversation);
    r.message_id = view(message_id);
    r.kind = view(a.kind);
    r.attachment_id = view(a.id);
    r.url = view(a.url);
    r.dest_path = view(dest_path);
    r.max_bytes = max_bytes;
    d->vtable->fetch_attachment(inst, &r, &op_done, &p);
    return wait(p);
  }
  op_outcome edit(const std::string& conversation, const std::string& message_id,
                  const std::string& body, const std::string& turn = "t1") {
    std::promise<op_outcome> p;
    pb_edit_request r{};
    r.struct_size = sizeof r;
    r.conversation_id = view(conversation);
    r.message_id = view(message_id);
    r.text = view(body);
    r.turn_id = view(turn);
    d->vtable->edit(inst, &r, &op_done, &p);
    return wait(p);
  }
  op_outcome typing(const std::string& conversation, const std::string& user = {}) {
    std::promise<op_outcome> p;
    pb_typing_request r{sizeof r, view(conversation), {}, {}, view(user)};
    d->vtable->typing(inst, &r, &op_done, &p);
    return wait(p);
  }
  // An inbound HTTP request (ABI minor 1), as the host hands /hooks/<id><subpath> to the plugin.
  http_outcome http(const std::string& method, const std::string& subpath,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    const std::string& body) {
    if (d->vtable->struct_size < PB_SIZE_THROUGH(pb_plugin_vtable, http) ||
        d->vtable->http == nullptr)
      return {404, "no http handler", ""};
    std::vector<pb_http_header> hs;
    for (const auto& [n, v] : headers) hs.push_back({view(n), view(v)});
    pb_http_request req{};
    req.struct_size = sizeof req;
    req.method = view(method);
    req.subpath = view(subpath);
    req.headers = hs.data();
    req.header_count = static_cast<uint32_t>(hs.size());
    req.body = view(body);
    static const std::string remote = "127.0.0.1:1";
    req.remote_address = view(remote);
    std::promise<http_outcome> p;
    d->vtable->http(
        inst, &req,
        [](void* ud, const pb_http_response* r) {
          static_cast<std::promise<http_outcome>*>(ud)->set_value(
              {r->status, text(r->body), text(r->content_type)});
        },
        &p);
    auto f = p.get_future();
    if (f.wait_for(30s) != std::future_status::ready) return {};
    return f.get();
  }
};

}  // namespace pbdrv
