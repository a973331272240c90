// The media service's unit-test world: a manual scheduler whose time is also the wall clock, a
// queue standing in for the strand, a temporary cache directory and a plugin stand-in that records
// each download and completes it when told (writing the bytes it is given).
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "media/media_service.hpp"
#include "router_fakes.hpp"

namespace media_test {
namespace fs = std::filesystem;
using namespace patchbay;

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

struct world {
  static constexpr int64_t epoch_ms = 1'800'000'000'000;
  router_fakes::manual_scheduler sched;
  std::deque<std::function<void()>> strand;
  fs::path dir;
  config::media_config cfg;
  struct call {
    media::fetch_call req;
    media::fetch_done done;
  };
  std::vector<call> calls;
  media::fetch_start start_answer = media::fetch_start::started;
  std::shared_ptr<media::service> svc;

  world() {
    dir = fs::temp_directory_path() /
          ("pb-media-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
           std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::remove_all(dir);
    cfg.cache_dir = (dir / "cache").string();
    cfg.max_bytes = 1000;
    cfg.cache_max_bytes = 2500;
    cfg.cache_ttl = std::chrono::seconds(60);
    cfg.url_ttl = std::chrono::seconds(30);
    cfg.fetch_timeout = std::chrono::milliseconds(5000);
  }
  ~world() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  int64_t now() const { return epoch_ms + sched.now; }

  void make(const std::string& secret = std::string(64, 'a')) {
    media::service_env env;
    env.sched = &sched;
    env.post = [this](std::function<void()> fn) { strand.push_back(std::move(fn)); };
    env.now_unix_ms = [this] { return now(); };
    env.fetch = [this](const media::fetch_call& c, media::fetch_done d) {
      if (start_answer == media::fetch_start::started) calls.push_back({c, std::move(d)});
      return start_answer;
    };
    svc = std::make_shared<media::service>(cfg, secret, std::move(env));
    ASSERT_EQ(svc->open(), "");
  }
  void drain() {
    while (!strand.empty()) {
      auto fn = std::move(strand.front());
      strand.pop_front();
      fn();
    }
  }
  void advance(int64_t ms) {
    sched.advance(ms);
    drain();
  }
  // An attachment of turn `turn` registered now.
  std::string mint(const std::string& turn, uint64_t size = 0, const std::string& name = "a.png") {
    messages::attachment a;
    a.kind = "image";
    a.id = "key-" + turn;
    a.name = name;
    a.mime_type = "image/png";
    a.size = size;
    return svc->mint(turn, 0, media::source{"ch", "conv", "msg-" + turn, "ctx", a}, now());
  }
  // GET: the answers land in `out`.
  void get(const std::string& id, std::vector<media::reply>& out) {
    svc->get(id, [&out](media::reply r) { out.push_back(std::move(r)); });
    drain();
  }
  // The plugin finishes download `i`: writes `bytes` (unless failing) and completes.
  void complete(std::size_t i, const std::string& bytes, int32_t code = PB_OK,
                const std::string& mime = "image/png") {
    if (code == PB_OK) write_file(calls[i].req.dest_path, bytes);
    messages::op_result r;
    r.code = code;
    r.message = code == PB_OK ? "" : "failed";
    r.mime_type = mime;
    calls[i].done(r);
    drain();
  }
};

}  // namespace media_test
