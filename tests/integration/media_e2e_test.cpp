// Inbound attachments end to end: the real `patchbay` binary with the "media" test plugin (ABI
// 1.3 fetch_attachment) and an http agent served by this test. The agent receives the
// attachment list with absolute URLs on the host; fetching them with the API token returns the
// platform's exact bytes (from the plugin, once, then from the cache); without the token 401; an
// unknown id 404, an expired one 404; a slow platform 504; an oversize file 413; a plugin that
// cannot fetch the kind 501; a message without text and attachments gets the host's answer and
// never reaches the agent.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../abi/plugins/media_bytes.hpp"
#include "host_fixture.hpp"
#include "open_access.hpp"
#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace {
using namespace std::chrono_literals;
namespace json = boost::json;
using pbtest::host_fixture;
using pbtest::token;

using zoo::media_bytes;

// An http agent: records each turn request and answers it with one content message.
struct agent_server {
  static patchbay::kit::http_server_options options() {
    patchbay::kit::http_server_options o;
    o.listen = "127.0.0.1:0";
    return o;
  }
  patchbay::kit::io_runtime rt{1};
  std::mutex mu;
  std::vector<json::object> turns;
  patchbay::kit::http_server server{
      rt, options(), [this](std::shared_ptr<patchbay::kit::http_exchange> ex) {
        json::object req = json::parse(ex->request().body).as_object();
        {
          std::lock_guard lk(mu);
          turns.push_back(req);
        }
        json::object answer{{"turn", req.at("turn")}, {"content", "seen"}, {"done", true}};
        ex->respond({200, "application/x-ndjson", {}, json::serialize(answer) + "\n"});
      }};
  agent_server() { server.start(); }
  std::string yaml() const {
    return "  probe: { type: http, url: \"http://" + server.local_endpoint() + "/turn\" }\n";
  }
  // The request of the n-th turn (waits up to ~10 s); an empty object if it never came.
  json::object turn(std::size_t n) {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard lk(mu);
        if (turns.size() > n) return turns[n];
      }
      std::this_thread::sleep_for(10ms);
    }
    return {};
  }
  std::size_t count() {
    std::lock_guard lk(mu);
    return turns.size();
  }
};

const char* channel_yaml = "  - id: media-ch\n    plugin: media\n    agent: probe\n" PB_OPEN_ACCESS
                           "    config: { slow_ms: 2500 }\n";

void emit(host_fixture& h, const std::string& event, const std::string& attach,
          const std::string& text) {
  auto r = h.post("/hooks/media-ch/emit?attach=" + attach, text, false, {{"X-Event", event}});
  ASSERT_EQ(r.status, 202U) << r.body << h.logs();
}

patchbay::kit::http_client_response fetch(const std::string& url, const std::string& bearer) {
  patchbay::kit::http_client_request req;
  req.url = url;
  req.total_timeout = 20s;
  if (!bearer.empty()) req.headers.emplace_back("Authorization", "Bearer " + bearer);
  std::string err;
  patchbay::kit::http_client_response resp;
  patchbay::kit::http_fetch_blocking(req, err, resp);
  EXPECT_EQ(err, "") << url;
  return resp;
}

std::size_t occurrences(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST(MediaE2E, TheAgentGetsUrlsServingTheExactBytes) {
  agent_server agent;
  host_fixture h(channel_yaml, agent.yaml(),
                 "  media: { max_bytes: 100000, fetch_timeout_ms: 1000 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  emit(h, "ev-1", "img-1,doc-1", "look at these");
  json::object turn = agent.turn(0);
  ASSERT_TRUE(turn.contains("attachments")) << json::serialize(turn) << h.logs();
  EXPECT_EQ(turn.at("text").as_string(), "look at these");
  const auto& atts = turn.at("attachments").as_array();
  ASSERT_EQ(atts.size(), 2U);
  const auto& img = atts[0].as_object();
  const auto& doc = atts[1].as_object();
  EXPECT_EQ(img.at("kind").as_string(), "image");
  EXPECT_EQ(img.at("name").as_string(), "cat.png");
  EXPECT_EQ(img.at("mime_type").as_string(), "image/png");
  EXPECT_EQ(img.at("size").to_number<uint64_t>(), 70000U);
  EXPECT_EQ(doc.at("kind").as_string(), "file");
  const std::string img_url(img.at("url").as_string());
  const std::string doc_url(doc.at("url").as_string());
  ASSERT_EQ(img_url.rfind(h.base + "/v1/media/", 0), 0U) << img_url;

  EXPECT_EQ(fetch(img_url, "").status, 401U);  // the API token is required
  EXPECT_EQ(fetch(img_url, "wrong").status, 401U);
  auto r = fetch(img_url, token);
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_TRUE(r.body == media_bytes("img-1", 70000)) << "size " << r.body.size();
  EXPECT_EQ(r.header("Content-Type"), "image/png");
  EXPECT_EQ(r.header("Content-Length"), "70000");
  EXPECT_EQ(r.header("Content-Disposition"), "attachment; filename=\"cat.png\"");
  r = fetch(img_url, token);  // again: from the cache
  EXPECT_TRUE(r.body == media_bytes("img-1", 70000));
  auto d = fetch(doc_url, token);
  ASSERT_EQ(d.status, 200U) << d.body;
  EXPECT_TRUE(d.body == media_bytes("doc-1", 5000));
  EXPECT_EQ(d.header("Content-Type"), "application/pdf");
  EXPECT_NE(d.header("Content-Disposition").find("filename*=UTF-8''%E6%8A%A5%E5%91%8A%201.pdf"),
            std::string::npos)
      << d.header("Content-Disposition");
  const std::string logs = h.logs();
  EXPECT_EQ(occurrences(logs, "fetch img-1 -> ok"), 1U) << logs;  // the plugin fetched once
  const std::string metrics = h.get("/metrics").body;
  EXPECT_NE(metrics.find("patchbay_media_cache_files 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("patchbay_media_fetched_bytes_total 75000"), std::string::npos);
  EXPECT_NE(metrics.find("patchbay_media_requests_total 3"), std::string::npos);
  EXPECT_EQ(fetch(h.base + "/v1/media/" + std::string(32, '0'), token).status, 404U);
  EXPECT_EQ(fetch(h.base + "/v1/media/nonsense", token).status, 404U);

  // A platform slower than fetch_timeout_ms: 504; an oversize file: 413; gone: 404; a kind the
  // plugin cannot download: 501.
  emit(h, "ev-2", "slow-1,big-1,gone-1,nofetch-1", "more");
  turn = agent.turn(1);
  ASSERT_TRUE(turn.contains("attachments")) << h.logs();
  const auto& more = turn.at("attachments").as_array();
  ASSERT_EQ(more.size(), 4U);
  auto status_of = [&](std::size_t i) {
    return fetch(std::string(more[i].as_object().at("url").as_string()), token).status;
  };
  EXPECT_EQ(status_of(0), 504U);
  EXPECT_EQ(status_of(1), 413U);
  EXPECT_EQ(status_of(2), 404U);
  EXPECT_EQ(status_of(3), 501U);
  // The late download was discarded, a new request downloads again (and waits again).
  h.wait_for_log("fetch slow-1 -> ok (slow)");

  // No text, no attachment: the host answers, the agent never sees it.
  emit(h, "ev-3", "", "  ");
  std::string answered = h.wait_for_log("text=I can't read this kind of message yet.");
  EXPECT_NE(answered.find("media: send chat-1 text=I can't read this kind of message yet."),
            std::string::npos)
      << answered;
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(agent.count(), 2U);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(MediaE2E, AnExpiredUrlAnswers404) {
  agent_server agent;
  host_fixture h(channel_yaml, agent.yaml(), "  media: { url_ttl_s: 1 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  emit(h, "ev-1", "doc-1", "");
  json::object turn = agent.turn(0);
  ASSERT_TRUE(turn.contains("attachments")) << h.logs();
  const std::string url(turn.at("attachments").as_array()[0].as_object().at("url").as_string());
  std::this_thread::sleep_for(1200ms);  // url_ttl_s from the turn's start
  EXPECT_EQ(fetch(url, token).status, 404U);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

}  // namespace
