// The NyxID plugin .so driven through its C ABI by the test host (tests/support/
// plugin_driver.hpp) against the fake NyxID: callbacks answered 202 only once the host's
// durability answer came (503 when refused), what the plugin hands the host per message
// (conversation = platform chat id, kind, capabilities, opaque reply context), a spent token
// never used again, edit classes, and proxy sends (230002 → one retry with the fallback id,
// structural rejections carrying their code).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "fake_nyxid_process.hpp"
#include "kit_test_support.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"
#include "plugin_driver.hpp"

namespace {

namespace kit = patchbay::kit;
namespace json = boost::json;
using pbfake::fake_process;
using pbfake::wait_for;
using pbnyx::fake_nyxid;
using namespace std::chrono_literals;

std::string str(const json::value& v, const char* k) { return fake_process::str(v, k); }
int64_t num(const json::value& v, const char* k) { return fake_process::num(v, k); }

// A loopback HTTP server standing in for the host's /hooks/<id>: each request is handed to the
// instance's `http` entry, and answered whenever the plugin responds (asynchronously).
struct hook_bridge {
  kit::io_runtime rt{1};
  std::unique_ptr<kit::http_server> server;
  explicit hook_bridge(pbdrv::instance& in) {
    kit::http_server_options o;
    o.listen = "127.0.0.1:0";
    server =
        std::make_unique<kit::http_server>(rt, o, [&in](std::shared_ptr<kit::http_exchange> x) {
          const kit::http_request& r = x->request();
          std::vector<pb_http_header> hs;
          for (const auto& [n, v] : r.headers) hs.push_back({pbdrv::view(n), pbdrv::view(v)});
          pb_http_request req{};
          req.struct_size = sizeof req;
          req.method = pbdrv::view(r.method);
          static const std::string empty;
          req.subpath = pbdrv::view(empty);
          req.query = pbdrv::view(r.query);
          req.headers = hs.data();
          req.header_count = static_cast<uint32_t>(hs.size());
          req.body = pbdrv::view(r.body);
          req.remote_address = pbdrv::view(r.remote_address);
          auto* ud = new std::shared_ptr<kit::http_exchange>(x);
          in.d->vtable->http(
              in.inst, &req,
              [](void* p, const pb_http_response* resp) {
                std::unique_ptr<std::shared_ptr<kit::http_exchange>> ex(
                    static_cast<std::shared_ptr<kit::http_exchange>*>(p));
                kit::http_response out;
                out.status = resp->status;
                out.body = pbdrv::text(resp->body);
                (*ex)->respond(std::move(out));
              },
              ud);
        });
    server->start();
  }
  ~hook_bridge() {
    std::promise<void> stopped;
    server->stop(0ms, [&] { stopped.set_value(); });
    stopped.get_future().wait_for(5s);
    rt.stop();
  }
  std::string url() const { return "http://" + server->local_endpoint() + "/hooks/nx"; }
};

std::string config(const fake_nyxid& f, const std::string& extra = {}) {
  return R"({"base_url":")" + f.base_url + "\"" + (extra.empty() ? "" : "," + extra) + "}";
}

struct rig {
  fake_nyxid fake;
  pbdrv::instance in;
  hook_bridge bridge{in};
  // `extra(fake)`: more config keys (they may need the fake's key).
  explicit rig(std::function<std::string(const fake_nyxid&)> extra = {})
      : in(PB_NYXID_PLUGIN, "nx", config(fake, extra ? extra(fake) : std::string())) {
    EXPECT_EQ(in.create_rc, PB_OK) << in.create_error;
    EXPECT_TRUE(wait_for([&] {
      for (auto s : in.host.states())
        if (s == PB_STATE_CONNECTED) return true;
      return false;
    })) << in.host.all_logs();
  }
  json::object inject(json::object f) { return fake.inject(bridge.url(), std::move(f)); }
};

TEST(NyxidDriver, AcceptedOnlyAfterTheHostMadeItDurable) {
  rig r;
  r.in.host.hold_inbound = true;
  auto pending = std::async(std::launch::async, [&] {
    return r.inject({{"platform", "lark"},
                     {"chat_type", "group"},
                     {"text", "durable?"},
                     {"chat_id", "oc_group_1"},
                     {"route_type", "private"}});
  });
  ASSERT_TRUE(wait_for([&] { return r.in.host.inbound_count() == 1; })) << r.in.host.all_logs();
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);  // no 202 yet
  r.in.host.answer_inbound(0, PB_INBOUND_ACCEPTED);
  auto a = pending.get();
  EXPECT_EQ(num(a, "callback_status"), 202);
  EXPECT_NE(str(a, "callback_body").find("accepted"), std::string::npos);

  auto m = r.in.host.inbound_at(0);
  EXPECT_EQ(m.event_id, str(a, "message_id"));
  EXPECT_EQ(m.message_id, str(a, "message_id"));
  EXPECT_EQ(m.conversation_id, "oc_group_1");  // the chat, not the route
  EXPECT_EQ(m.kind, PB_CONVERSATION_GROUP);    // from raw_platform_data, not the "private" route
  EXPECT_EQ(m.text, "durable?");
  ASSERT_TRUE(m.has_capabilities);
  EXPECT_EQ(m.capabilities.can_edit, PB_YES);
  EXPECT_EQ(m.capabilities.max_message_size, 30000u);
  EXPECT_EQ(m.capabilities.reply_token, PB_REPLY_TOKEN_SINGLE_USE);
  // The reply context is opaque to the host but carries what /reply needs.
  EXPECT_NE(m.reply_context.find(str(a, "reply_token")), std::string::npos);
  EXPECT_EQ(r.in.host.all_logs().find(str(a, "reply_token")), std::string::npos);
}

TEST(NyxidDriver, RefusedByTheHostAnswers503) {
  rig r;
  r.in.host.hold_inbound = true;
  auto pending = std::async(std::launch::async, [&] {
    return r.inject({{"platform", "telegram"}, {"chat_type", "dm"}, {"text", "refuse me"}});
  });
  ASSERT_TRUE(wait_for([&] { return r.in.host.inbound_count() == 1; }));
  auto m = r.in.host.inbound_at(0);
  EXPECT_EQ(m.kind, PB_CONVERSATION_DIRECT);
  EXPECT_EQ(m.capabilities.can_edit, PB_NO);
  EXPECT_EQ(m.capabilities.max_message_size, 4096u);
  EXPECT_EQ(m.capabilities.message_size_unit, PB_UNIT_UTF16);
  r.in.host.answer_inbound(0, PB_INBOUND_REFUSED);
  EXPECT_EQ(num(pending.get(), "callback_status"), 503);
}

// Blank text reaches the host as a message with empty text (the host answers it); a card_action
// (a button click) is ignored.
TEST(NyxidDriver, BlankTextIsAMessageWithoutTextAndCardActionsAreIgnored) {
  rig r;
  auto a = r.inject({{"platform", "lark"}, {"chat_type", "dm"}, {"text", "   "}});
  EXPECT_EQ(num(a, "callback_status"), 202);
  EXPECT_NE(str(a, "callback_body").find("accepted"), std::string::npos);
  ASSERT_EQ(r.in.host.inbound_count(), 1u);
  EXPECT_EQ(r.in.host.inbound_at(0).text, "");
  auto c = r.inject({{"platform", "lark"},
                     {"chat_type", "dm"},
                     {"card", json::object{{"tag", "button"}, {"value", json::object{}}}}});
  EXPECT_EQ(num(c, "callback_status"), 202);
  EXPECT_NE(str(c, "callback_body").find("ignored"), std::string::npos);
  EXPECT_EQ(r.in.host.inbound_count(), 1u);
}

TEST(NyxidDriver, ASpentTokenIsNeverUsedAgain) {
  rig r;
  auto a = r.inject({{"platform", "lark"}, {"chat_type", "dm"}, {"text", "hi"}});
  ASSERT_EQ(num(a, "callback_status"), 202);
  auto m = r.in.host.inbound_at(0);
  auto send = [&](const std::string& text) {
    std::promise<pbdrv::op_outcome> p;
    pb_outbound_message o{};
    o.struct_size = sizeof o;
    o.conversation_id = pbdrv::view(m.conversation_id);
    o.reply_to_message_id = pbdrv::view(m.message_id);
    o.reply_context = pbdrv::view(m.reply_context);
    o.text = pbdrv::view(text);
    static const std::string turn = "t1";
    o.turn_id = pbdrv::view(turn);
    r.in.d->vtable->send(r.in.inst, &o, &pbdrv::instance::op_done, &p);
    return pbdrv::instance::wait(p);
  };
  auto first = send("placeholder");
  ASSERT_EQ(first.code, PB_OK) << first.message;
  EXPECT_EQ(first.id.rfind("om_", 0), 0u) << first.id;  // the platform id: what edits need
  // Edit with the spent token (no api key configured): allowed by NyxID.
  std::promise<pbdrv::op_outcome> ep;
  pb_edit_request e{};
  e.struct_size = sizeof e;
  e.message_id = pbdrv::view(first.id);
  e.reply_context = pbdrv::view(m.reply_context);
  static const std::string edited = "placeholder, edited";
  e.text = pbdrv::view(edited);
  r.in.d->vtable->edit(r.in.inst, &e, &pbdrv::instance::op_done, &ep);
  auto ed = pbdrv::instance::wait(ep);
  EXPECT_EQ(ed.code, PB_OK) << ed.message;
  // A second send with the same context: refused without a request (token_used).
  auto second = send("again");
  EXPECT_EQ(second.code, PB_ERR_TOKEN_USED) << second.message;
  EXPECT_EQ(r.fake.requests("reply").size(), 1u);
  ASSERT_EQ(r.fake.sent().size(), 1u);
  EXPECT_EQ(str(r.fake.sent()[0], "text"), edited);
}

TEST(NyxidDriver, EditOnTelegramIsUnsupported) {
  rig r;
  auto a = r.inject({{"platform", "telegram"}, {"chat_type", "dm"}, {"text", "hi"}});
  ASSERT_EQ(num(a, "callback_status"), 202);
  auto m = r.in.host.inbound_at(0);
  std::promise<pbdrv::op_outcome> p;
  pb_outbound_message o{};
  o.struct_size = sizeof o;
  o.conversation_id = pbdrv::view(m.conversation_id);
  o.reply_context = pbdrv::view(m.reply_context);
  static const std::string text = "final";
  o.text = pbdrv::view(text);
  r.in.d->vtable->send(r.in.inst, &o, &pbdrv::instance::op_done, &p);
  auto sent = pbdrv::instance::wait(p);
  ASSERT_EQ(sent.code, PB_OK) << sent.message;
  std::promise<pbdrv::op_outcome> ep;
  pb_edit_request e{};
  e.struct_size = sizeof e;
  e.message_id = pbdrv::view(sent.id);
  e.reply_context = pbdrv::view(m.reply_context);
  e.text = pbdrv::view(text);
  r.in.d->vtable->edit(r.in.inst, &e, &pbdrv::instance::op_done, &ep);
  auto ed = pbdrv::instance::wait(ep);
  EXPECT_EQ(ed.code, PB_ERR_UNSUPPORTED) << ed.message;
  EXPECT_NE(ed.message.find("501"), std::string::npos) << ed.message;
}

// Key rotation: a callback signed with a kid the plugin has not seen waits for one JWKS refetch
// and is then accepted; another unknown kid within the pace is refused without a fetch.
TEST(NyxidDriver, RotatedKeyIsFetchedOnceThenAccepted) {
  rig r([](const fake_nyxid&) { return std::string(R"("jwks_refetch_interval_ms":1000)"); });
  const size_t fetches = r.fake.requests("jwks").size();
  ASSERT_GE(fetches, 1u);
  std::this_thread::sleep_for(1100ms);  // past the refetch pace of the start-up fetch
  r.fake.call("POST", "/_fake/rotate_keys", {{"keep_old", false}, {"alg", "ES256"}});
  auto a = r.inject({{"platform", "lark"}, {"chat_type", "dm"}, {"text", "new key"}});
  EXPECT_EQ(num(a, "callback_status"), 202) << json::serialize(a) << r.in.host.all_logs();
  EXPECT_EQ(r.in.host.inbound_count(), 1u);
  EXPECT_EQ(r.fake.requests("jwks").size(), fetches + 1);
  auto forged = r.inject(
      {{"platform", "lark"}, {"chat_type", "dm"}, {"text", "x"}, {"forge", "unknown_kid"}});
  EXPECT_EQ(num(forged, "callback_status"), 401);
  EXPECT_EQ(r.fake.requests("jwks").size(), fetches + 1);  // paced: no second fetch
  EXPECT_EQ(r.in.host.inbound_count(), 1u);
}

std::string with_proxy(const fake_nyxid& f) {
  return R"("proxy_api_key":")" + f.api_key() + R"(","proxy_slug":")" + f.slug() + "\"";
}

TEST(NyxidDriver, ProxyBotNotInChatRetriesOnceWithTheFallbackId) {
  rig r(with_proxy);
  r.fake.fault({{"kind", "proxy"},
                {"preset", "bot_not_in_chat"},
                {"receive_id_type", "chat_id"},
                {"count", -1}});
  auto ok = r.in.send("oc_chat|on_union", "weekly report", {}, "send-1-p1");
  EXPECT_EQ(ok.code, PB_OK) << ok.message;
  EXPECT_EQ(ok.id.rfind("om_", 0), 0u) << ok.id;
  auto recs = r.fake.proxy_sent();
  ASSERT_EQ(recs.size(), 2u) << json::serialize(recs);
  EXPECT_EQ(str(recs[0], "receive_id_type"), "chat_id");
  EXPECT_EQ(num(recs[0], "code"), 230002);
  EXPECT_EQ(str(recs[1], "receive_id_type"), "union_id");
  EXPECT_EQ(str(recs[1], "receive_id"), "on_union");
  EXPECT_EQ(str(recs[1], "text"), "weekly report");
  EXPECT_EQ(str(recs[1], "credential"), "api_key");
  // Without a fallback id there is nothing to retry with: rejected, the code in the message.
  auto no_fb = r.in.send("oc_chat", "weekly report", {}, "send-2-p1");
  EXPECT_EQ(no_fb.code, PB_ERR_REJECTED);
  EXPECT_NE(no_fb.message.find("230002"), std::string::npos) << no_fb.message;
  EXPECT_EQ(r.fake.proxy_sent().size(), 3u);
}

TEST(NyxidDriver, ProxyStructuralRejectionsCarryTheirCode) {
  rig r(with_proxy);
  r.fake.fault({{"kind", "proxy"}, {"preset", "cross_tenant"}, {"count", 1}});
  auto cross = r.in.send("ou_someone", "x", {}, "send-3-p1");
  EXPECT_EQ(cross.code, PB_ERR_REJECTED);
  EXPECT_NE(cross.message.find("99992364"), std::string::npos) << cross.message;
  r.fake.fault({{"kind", "proxy"}, {"preset", "scope_forbidden"}, {"count", 1}});
  auto scope = r.in.send("oc_chat", "x", {}, "send-4-p1");
  EXPECT_EQ(scope.code, PB_ERR_REJECTED);
  EXPECT_NE(scope.message.find("api_key_scope_forbidden"), std::string::npos) << scope.message;
  EXPECT_EQ(r.in.host.all_logs().find(r.fake.api_key()), std::string::npos);
}

TEST(NyxidDriver, ProactiveSendWithoutProxyIsUnsupported) {
  rig r;
  auto out = r.in.send("oc_chat", "x");
  EXPECT_EQ(out.code, PB_ERR_UNSUPPORTED) << out.message;
  EXPECT_TRUE(r.fake.proxy_sent().empty());
}

TEST(NyxidDriver, ConfigErrorsRefuseCreateWithoutEchoingSecrets) {
  pbdrv::instance in(PB_NYXID_PLUGIN, "bad",
                     R"({"base_url":"https://x","api_key":"s3cr3t k","surprise":1})", false);
  EXPECT_EQ(in.create_rc, PB_ERR_INVALID_INPUT);
  EXPECT_NE(in.create_error.find("nyxid config"), std::string::npos) << in.create_error;
  EXPECT_EQ(in.create_error.find("s3cr3t"), std::string::npos);
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// NyxID attachments pass-through (docs/protocols/nyxid-relay.md §1.4, §2.2): the callback's
// content.attachments[] reach the host as pb_attachment (a media-only message included), their
// url is fetched without any credential into the host's file with the host's cap, and an
// attachment send is refused (the relay's /reply carries no file; can_attachments no).
TEST(NyxidDriver, AttachmentsReachTheHostAndTheirUrlIsFetchedWithoutCredentials) {
  std::string image(50'000, '\0');
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<char>(i * 7 + 3);
  std::atomic<int> auth_headers{0};
  kit_test::test_server media([&](std::shared_ptr<kit::http_exchange> x) {
    for (const auto& [n, v] : x->request().headers)
      if (n == "Authorization" || n == "authorization") ++auth_headers;
    kit::http_response out;
    if (x->request().path == "/media/img") {
      out.content_type = "image/png";
      out.body = image;
    } else {
      out.status = 404;
      out.body = "gone";
    }
    x->respond(std::move(out));
  });

  rig rg;
  auto& in = rg.in;
  auto a = rg.inject({{"platform", "lark"},
                      {"chat_type", "dm"},
                      {"content_type", "image"},
                      {"attachments", json::array{{{"content_type", "image"},
                                                   {"url", media.url("/media/img")},
                                                   {"image_key", "img_v3_1"},
                                                   {"mime_type", "image/png"},
                                                   {"size_bytes", image.size()}},
                                                  {{"content_type", "file"},
                                                   {"url", media.url("/media/gone")},
                                                   {"filename", "old.pdf"}}}}});
  EXPECT_EQ(num(a, "callback_status"), 202) << json::serialize(a);
  ASSERT_TRUE(wait_for([&] { return in.host.inbound_count() == 1; })) << in.host.all_logs();
  const auto rec = in.host.inbound_at(0);
  EXPECT_EQ(rec.text, "");
  ASSERT_EQ(rec.attachments.size(), 2u);
  EXPECT_EQ(rec.attachments[0].kind, "image");
  EXPECT_EQ(rec.attachments[0].id, "img_v3_1");
  EXPECT_EQ(rec.attachments[0].url, media.url("/media/img"));
  EXPECT_EQ(rec.attachments[0].size, image.size());
  EXPECT_EQ(rec.attachments[1].name, "old.pdf");

  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("nx-media-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto r = in.fetch(rec.attachments[0], (dir / "img").string(), 1 << 20);
  ASSERT_EQ(r.code, PB_OK) << r.message;
  EXPECT_EQ(read_all(dir / "img"), image);
  EXPECT_EQ(r.mime_type, "image/png");
  EXPECT_EQ(in.fetch(rec.attachments[0], (dir / "cap").string(), image.size() - 1).code,
            PB_ERR_INVALID_INPUT);
  EXPECT_EQ(in.fetch(rec.attachments[1], (dir / "gone").string(), 1 << 20).code, PB_ERR_NOT_FOUND);
  pbdrv::attachment_record keyed{"image", "img_only_key", "", "", "", 0};
  EXPECT_EQ(in.fetch(keyed, (dir / "k").string(), 1 << 20).code, PB_ERR_UNSUPPORTED);
  EXPECT_EQ(auth_headers.load(), 0);  // no credential went to the media URL
  fs::remove_all(dir);

  // No file goes back through the relay.
  const std::string path = "/nonexistent";
  pb_outbound_attachment att{};
  att.struct_size = sizeof att;
  const std::string kind = "file";
  att.kind = pbdrv::view(kind);
  att.path = pbdrv::view(path);
  EXPECT_EQ(in.send_attachment(rec.conversation_id, att, "t1", rec.reply_context).code,
            PB_ERR_UNSUPPORTED);
  ASSERT_NE(in.d->capabilities, nullptr);
  EXPECT_EQ(in.d->capabilities->can_attachments, PB_NO);
}

}  // namespace
