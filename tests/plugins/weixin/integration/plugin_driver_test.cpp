// The Weixin plugin .so driven directly through its C ABI by a minimal host (this file), against
// the fake iLink server: what the real host does not exercise yet (typing: getconfig ticket +
// sendtyping, cached per user), config refusals through the ABI (no token in the text), and
// several instances sharing the plugin's runtime through stop and destroy.
#include <dlfcn.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "fake_ilink_process.hpp"
#include "patchbay/pb_plugin.h"

namespace {
using namespace wxtest;

// A tiny host: every callback is delivered by one worker thread (never inside the plugin's call).
struct mini_host {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> work;
  bool quit = false;
  bool busy = false;
  std::thread worker{[this] { run(); }};
  std::map<std::string, std::string> kv;
  std::vector<std::string> logs;
  std::vector<int32_t> states;
  int inbound = 0;

  ~mini_host() {
    {
      std::lock_guard lock(mu);
      quit = true;
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
  std::string all_logs() {
    std::lock_guard lock(mu);
    std::string s;
    for (const auto& l : logs) s += l + "\n";
    return s;
  }
};

mini_host* of(pb_host* h) { return reinterpret_cast<mini_host*>(h); }
std::string text(pb_str s) { return s.size ? std::string(s.data, s.size) : std::string(); }

const pb_host_api* host_api() {
  static const pb_host_api api = [] {
    pb_host_api a{};
    a.struct_size = sizeof a;
    a.log = [](pb_host* h, int32_t, pb_str t) {
      std::lock_guard lock(of(h)->mu);
      of(h)->logs.push_back(text(t));
    };
    a.emit_inbound = [](pb_host* h, const pb_inbound_message*, pb_inbound_done_fn done, void* ud) {
      {
        std::lock_guard lock(of(h)->mu);
        ++of(h)->inbound;
      }
      of(h)->later([done, ud] { done(ud, PB_INBOUND_ACCEPTED, nullptr); });
    };
    a.report_status = [](pb_host* h, const pb_status* st) {
      std::lock_guard lock(of(h)->mu);
      of(h)->states.push_back(st->state);
    };
    a.kv_get = [](pb_host* h, pb_str key, pb_kv_value_fn fn, void* ud) -> int32_t {
      std::string v;
      {
        std::lock_guard lock(of(h)->mu);
        auto it = of(h)->kv.find(text(key));
        if (it == of(h)->kv.end()) return 0;
        v = it->second;
      }
      fn(ud, pb_str{v.data(), v.size()});
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
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
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

const pb_plugin_descriptor* load_plugin() {
  static const pb_plugin_descriptor* desc = [] {
    void* lib = ::dlopen(PB_WEIXIN_PLUGIN, RTLD_NOW | RTLD_LOCAL);  // never unloaded, as the host
    if (lib == nullptr) return static_cast<const pb_plugin_descriptor*>(nullptr);
    auto entry = reinterpret_cast<pb_entry_fn>(::dlsym(lib, PB_ENTRY_SYMBOL));
    static pb_host_info info{sizeof(pb_host_info), PB_ABI_MAJOR, PB_ABI_MINOR, "test", host_api()};
    return entry ? entry(&info) : nullptr;
  }();
  return desc;
}

struct op_outcome {
  int32_t code = -1;
  std::string message, id;
};

// One plugin instance on the mini host; stops and destroys itself.
struct instance {
  const pb_plugin_descriptor* d = load_plugin();
  mini_host host;
  pb_instance* inst = nullptr;
  int32_t create_rc = -1;
  std::string create_error;

  explicit instance(const std::string& config) {
    char buf[512];
    pb_error_buf err{sizeof err, 0, 0, buf, sizeof buf, 0};
    pb_create_args args{sizeof args, reinterpret_cast<pb_host*>(&host), pb_str{"wx", 2},
                        pb_str{config.data(), config.size()}};
    create_rc = d->vtable->create(&args, &inst, &err);
    create_error.assign(buf, err.message_size);
    if (create_rc == PB_OK) {
      EXPECT_EQ(d->vtable->start(inst, &err), PB_OK);
    }
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
  op_outcome typing(const std::string& user) {
    std::promise<op_outcome> p;
    pb_typing_request req{sizeof req, pb_str{user.data(), user.size()}, {}, {}, {}};
    d->vtable->typing(
        inst, &req,
        [](void* ud, const pb_op_result* r) {
          op_outcome o;
          o.code = r->error ? r->error->code : PB_OK;
          if (r->error) o.message = text(r->error->message);
          o.id = text(r->message_id);
          static_cast<std::promise<op_outcome>*>(ud)->set_value(o);
        },
        &p);
    auto f = p.get_future();
    if (f.wait_for(20s) != std::future_status::ready) return {};
    return f.get();
  }
};

std::string config_for(const fake_ilink& fake, const account& a, const std::string& extra = "") {
  return R"({"bot_token":")" + a.bot_token + R"(","base_url":")" + fake.base_url +
         R"(","account_id":")" + a.account_id + "\"" + extra + "}";
}

TEST(WeixinDriver, TypingFetchesATicketOnceAndSendsTyping) {
  ASSERT_NE(load_plugin(), nullptr);
  fake_ilink fake({"--hold-ms", "300"});
  instance in(config_for(fake, fake.accounts[0]));
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  fake.inject("kim@im.wechat", "hi");
  ASSERT_TRUE(fake_ilink::wait_for([&] {
    std::lock_guard lock(in.host.mu);
    return in.host.inbound == 1;
  }));
  auto first = in.typing("kim@im.wechat");
  EXPECT_EQ(first.code, PB_OK) << first.message << in.host.all_logs();
  auto second = in.typing("kim@im.wechat");
  EXPECT_EQ(second.code, PB_OK) << second.message;
  // One getconfig (the ticket is cached per user), two sendtyping, all accepted by the fake.
  auto configs = fake.requests_to("getconfig");
  auto typings = fake.requests_to("sendtyping");
  ASSERT_EQ(configs.size(), 1u);
  ASSERT_EQ(typings.size(), 2u);
  EXPECT_EQ(str(configs[0].at("body"), "ilink_user_id"), "kim@im.wechat");
  for (const auto& t : typings) {
    EXPECT_EQ(num(t, "errcode"), 0);
    EXPECT_EQ(num(t.at("body"), "status"), 1);
    EXPECT_FALSE(str(t.at("body"), "typing_ticket").empty());
  }
}

TEST(WeixinDriver, TypingCanBeSwitchedOff) {
  fake_ilink fake;
  instance in(config_for(fake, fake.accounts[0], R"(,"typing":false)"));
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  EXPECT_EQ(in.typing("kim@im.wechat").code, PB_ERR_UNSUPPORTED);
  EXPECT_TRUE(fake.requests_to("getconfig").empty());
}

TEST(WeixinDriver, BadConfigIsRefusedWithoutEchoingTheToken) {
  ASSERT_NE(load_plugin(), nullptr);
  instance in(R"({"bot_token":"very-secret-token-123","base_url":"ftp://nowhere"})");
  EXPECT_EQ(in.create_rc, PB_ERR_INVALID_INPUT);
  EXPECT_NE(in.create_error.find("base_url"), std::string::npos) << in.create_error;
  EXPECT_EQ(in.create_error.find("very-secret-token-123"), std::string::npos);
}

TEST(WeixinDriver, ManyInstancesShareTheRuntimeAndStopCleanly) {
  fake_ilink fake({"--accounts", "20"});
  ASSERT_EQ(fake.accounts.size(), 20u);
  {
    std::vector<std::unique_ptr<instance>> all;
    for (const auto& a : fake.accounts) {
      all.push_back(std::make_unique<instance>(config_for(fake, a)));
      ASSERT_EQ(all.back()->create_rc, PB_OK);
    }
    ASSERT_TRUE(fake_ilink::wait_for([&] {
      std::set<std::string> polling;
      for (const auto& r : fake.requests_to("getupdates")) polling.insert(str(r, "account"));
      return polling.size() == 20;
    }));
  }  // stop + destroy all (each stop cancels its parked poll and sends notifyStop)
  EXPECT_EQ(fake.requests_to("notifystop").size(), 20u);
  // A new instance after the last one was destroyed gets a fresh runtime.
  instance again(config_for(fake, fake.accounts[0]));
  ASSERT_EQ(again.create_rc, PB_OK);
  fake.inject("lee@im.wechat", "again", fake.accounts[0].account_id);
  EXPECT_TRUE(fake_ilink::wait_for([&] {
    std::lock_guard lock(again.host.mu);
    return again.host.inbound == 1;
  }));
}

}  // namespace
