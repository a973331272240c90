#include "api/proactive_send.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include "patchbay/common/log_subject.hpp"

#include <cstdio>
#include <random>

#include "access/gate.hpp"
#include "media/outbound_materializer.hpp"
#include "media/outbound_source.hpp"
#include "messages/messages.hpp"
#include "patchbay/common/backoff.hpp"
#include "patchbay/common/log_subject.hpp"
#include "plugin/channel_instance.hpp"
#include "render/capabilities.hpp"
#include "render/chunker.hpp"
#include "state/store.hpp"
#include "turns/thread_response.hpp"

namespace patchbay::api {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr int max_attempts_per_part = 3;
constexpr std::size_t max_attachments = 10;
constexpr std::size_t max_fallbacks = 8;
constexpr std::size_t max_text_bytes = proactive_max_text_bytes;
constexpr std::chrono::milliseconds max_retry_wait = 10s;

kit::http_response reply(unsigned status, const json::object& body) {
  kit::http_response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

kit::http_response error_reply(unsigned status, std::string_view code, std::string_view message) {
  return reply(status, {{"error", {{"code", code}, {"message", message}}}});
}

unsigned http_status_for(int32_t code) {
  switch (code) {
    case PB_ERR_RATE_LIMITED:
      return 429;
    case PB_ERR_INVALID_INPUT:
      return 422;
    case PB_ERR_NOT_FOUND:
      return 404;
    case PB_ERR_RETRYABLE:
      return 503;
    default:
      return 502;  // the platform refused: a bad gateway from the caller's view
  }
}

bool read_route(const json::value& v, api::route& r, std::string& error, const std::string& what) {
  if (!v.is_object()) {
    error = what + " must be an object {channel, conversation, thread?}";
    return false;
  }
  for (const auto& [k, val] : v.get_object()) {
    if (!val.is_string()) {
      error = what + "." + std::string(k) + " must be a string";
      return false;
    }
    std::string s(val.get_string());
    if (k == "channel")
      r.channel = std::move(s);
    else if (k == "conversation")
      r.conversation = std::move(s);
    else if (k == "thread")
      r.thread = std::move(s);
    else {
      error = what + ": unknown field `" + std::string(k) + "`";
      return false;
    }
  }
  if (r.channel.empty() || r.conversation.empty()) {
    error = what + " needs `channel` and `conversation`";
    return false;
  }
  return true;
}

std::string random_id() {
  std::random_device rd;
  char buf[20];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

// One proactive send: parts in order with retries, then (after a structural failure) the notice.
struct send_job : std::enable_shared_from_this<send_job> {
  send_job(kit::io_runtime& rt, plugin::instance_directory& dir, state::store& store)
      : rt(rt),
        dir(dir),
        store(store),
        strand(rt.make_strand()),
        timer(rt, strand),
        retry({500ms, 2.0, max_retry_wait, 0.2}) {}

  kit::io_runtime& rt;
  plugin::instance_directory& dir;
  state::store& store;
  kit::strand strand;
  kit::timer timer;
  common::backoff retry;
  proactive_request req;
  std::shared_ptr<kit::http_exchange> ex;
  std::shared_ptr<plugin::channel_instance> channel;
  std::string id = random_id();
  media::outbound_materializer* media = nullptr;
  render::effective_caps caps;
  std::vector<messages::outbound_attachment> files;  // spooled; deleted with the job
  std::vector<messages::outbound_message> parts;     // text parts, then each file and its caption
  std::size_t next = 0;
  int attempts = 0;
  json::array message_ids;
  // failure notice
  std::vector<api::route> plan;
  std::size_t plan_next = 0;
  std::string notice;

  ~send_job() {
    for (const auto& f : files)
      if (!f.path.empty()) std::remove(f.path.c_str());
  }

  void begin() {
    channel = dir.find(req.target.channel);
    if (!channel)
      return ex->respond(
          error_reply(404, "unknown_channel", "no running channel '" + req.target.channel + "'"));
    caps = render::narrow(channel->module().caps, std::nullopt);
    if (!req.attachments.empty() && (media == nullptr || !caps.can_attachments ||
                                     !plugin::can_send_attachments(channel->module())))
      return ex->respond(
          error_reply(422, "cannot_send_files",
                      media::cannot_send_notice(media::display_name(req.attachments[0]))));
    materialize_next();
  }

  // Every file is spooled before anything is sent: a refused file refuses the whole request.
  void materialize_next() {
    if (files.size() == req.attachments.size()) return plan_parts();
    const auto& spec = req.attachments[files.size()];
    media->materialize(
        spec, caps.max_attachment_size, [self = shared_from_this()](media::materialized m) {
          self->strand.post(
              [self, m = std::move(m)]() mutable { self->materialized(std::move(m)); });
        });
  }

  void materialized(media::materialized m) {
    std::string name = media::display_name(req.attachments[files.size()]);
    if (!m.file)
      return ex->respond(error_reply(m.too_large ? 413 : 422,
                                     m.too_large ? "attachment_too_large" : "attachment_refused",
                                     media::failed_notice(name, m.reason)));
    files.push_back(std::move(*m.file));
    materialize_next();
  }

  void plan_parts() {
    if (!req.text.empty()) {
      auto chunks =
          render::chunk_text(req.text, render::chunk_options{caps.limit, caps.unit, true});
      if (!chunks.ok())
        return ex->respond(error_reply(422, "cannot_split",
                                       "the text cannot be split for this "
                                       "channel: " +
                                           chunks.error));
      for (auto& p : chunks.parts) add_item(std::move(p), nullptr);
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
      add_item({}, &files[i]);
      if (req.attachments[i].caption.empty()) continue;
      auto chunks = render::chunk_text(req.attachments[i].caption,
                                       render::chunk_options{caps.limit, caps.unit, true});
      for (auto& p : chunks.parts) add_item(std::move(p), nullptr);
    }
    send_part();
  }

  void add_item(std::string text, const messages::outbound_attachment* file) {
    messages::outbound_message m;
    m.conversation_id = req.target.conversation;
    m.thread_id = req.target.thread;
    m.text = std::move(text);
    m.turn_id = "send-" + id + "-p" + std::to_string(parts.size() + 1);
    if (file != nullptr) m.attachment = *file;
    parts.push_back(std::move(m));
  }

  void send_part() {
    ++attempts;
    channel->send(parts[next], [self = shared_from_this()](const messages::op_result& r) {
      self->strand.post([self, r] { self->part_done(r); });
    });
  }

  void part_done(const messages::op_result& r) {
    bool transient_failure = (r.code == PB_ERR_RETRYABLE || r.code == PB_ERR_RATE_LIMITED) &&
                             attempts < max_attempts_per_part;
    if (parts[next].attachment && !transient_failure) {  // the plugin is done with the file
      std::remove(parts[next].attachment->path.c_str());
      for (auto& f : files)
        if (f.path == parts[next].attachment->path) f.path.clear();
    }
    if (r.ok()) {
      message_ids.emplace_back(r.message_id);
      attempts = 0;
      retry.reset();
      if (++next < parts.size()) return send_part();
      spdlog::info("{}send {}: delivered to {} in {} part(s)",
                   common::log_tag({.channel = req.target.channel}), id, req.target.conversation,
                   parts.size());
      return ex->respond(reply(200, {{"delivered", true},
                                     {"id", id},
                                     {"channel", req.target.channel},
                                     {"parts", parts.size()},
                                     {"message_ids", message_ids}}));
    }
    bool transient = r.code == PB_ERR_RETRYABLE || r.code == PB_ERR_RATE_LIMITED;
    if (transient && attempts < max_attempts_per_part) {
      auto wait = std::max(retry.next(), std::chrono::milliseconds(r.retry_after_ms));
      wait = std::min(wait, max_retry_wait);
      spdlog::warn("{}send {}: part {}/{} failed ({}: {}); retry {} in {} ms",
                   common::log_tag({.channel = req.target.channel}), id, next + 1, parts.size(),
                   messages::error_class_name(r.code), r.message, attempts, wait.count());
      timer.after(wait, [self = shared_from_this()](bool cancelled) {
        if (!cancelled) self->send_part();
      });
      return;
    }
    spdlog::error("{}send {}: part {}/{} to {} failed: {}: {}",
                  common::log_tag({.channel = req.target.channel}), id, next + 1, parts.size(),
                  req.target.conversation, messages::error_class_name(r.code), r.message);
    bool notify = api::structural_failure(r.code);
    json::object body{
        {"error", {{"code", messages::error_class_name(r.code)}, {"message", r.message}}},
        {"id", id},
        {"parts_sent", next},
        {"message_ids", message_ids},
        {"failure_notice", notify ? "attempting" : "none"}};
    auto resp = reply(http_status_for(r.code), body);
    if (r.code == PB_ERR_RATE_LIMITED && r.retry_after_ms > 0)
      resp.headers.emplace_back("Retry-After", std::to_string((r.retry_after_ms + 999) / 1000));
    ex->respond(std::move(resp));  // the caller hears the primary's own error first
    ex.reset();
    if (!notify) return;
    plan = api::plan_failure_notice(req.target, last_route(store, req.user), req.fallbacks);
    notice = api::failure_notice_text(req.job, r.message);
    next_notice();
  }

  void next_notice() {
    while (plan_next < plan.size()) {
      const auto& route = plan[plan_next++];
      auto ch = dir.find(route.channel);
      if (!ch) {
        spdlog::warn("{}send {}: failure notice skipped: channel not running",
                     common::log_tag({.channel = route.channel}), id);
        continue;
      }
      messages::outbound_message m;
      m.conversation_id = route.conversation;
      m.thread_id = route.thread;
      m.text = notice;
      m.turn_id = "send-" + id + "-notice-" + std::to_string(plan_next);
      ch->send(std::move(m), [self = shared_from_this(), route](const messages::op_result& r) {
        self->strand.post([self, route, r] {
          if (r.ok()) {
            spdlog::info("{}send {}: failure notice delivered to {}",
                         common::log_tag({.channel = route.channel}), self->id, route.conversation);
            return;
          }
          spdlog::warn("{}send {}: failure notice to {} failed ({}: {}); trying the next route",
                       common::log_tag({.channel = route.channel}), self->id, route.conversation,
                       messages::error_class_name(r.code), r.message);
          self->next_notice();
        });
      });
      return;
    }
    spdlog::error("send {}: the failure notice reached no route ({} tried)", id, plan.size());
  }
};

}  // namespace

std::optional<proactive_request> parse_proactive_request(std::string_view body,
                                                         std::string& error) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    error = "body must be a JSON object: {\"channel\", \"conversation\", \"text\", ...}";
    return std::nullopt;
  }
  proactive_request req;
  json::object target;
  for (const auto& [k, val] : v.get_object()) {
    if (k == "channel" || k == "conversation" || k == "thread") {
      target[k] = val;
    } else if (k == "text" || k == "user" || k == "job") {
      if (!val.is_string()) {
        error = "`" + std::string(k) + "` must be a string";
        return std::nullopt;
      }
      (k == "text" ? req.text : k == "user" ? req.user : req.job) = val.get_string();
    } else if (k == "attachments") {
      if (!val.is_array() || val.get_array().size() > max_attachments) {
        error = "`attachments` must be an array of at most 10 files";
        return std::nullopt;
      }
      for (const auto& a : val.get_array()) {
        messages::attachment_spec spec;
        if (!turns::parse_attachment_spec(
                a, spec, error, "attachments[" + std::to_string(req.attachments.size()) + "]"))
          return std::nullopt;
        req.attachments.push_back(std::move(spec));
      }
    } else if (k == "fallbacks") {
      if (!val.is_array() || val.get_array().size() > max_fallbacks) {
        error = "`fallbacks` must be an array of at most 8 routes";
        return std::nullopt;
      }
      for (const auto& f : val.get_array()) {
        api::route r;
        if (!read_route(f, r, error, "fallbacks[" + std::to_string(req.fallbacks.size()) + "]"))
          return std::nullopt;
        req.fallbacks.push_back(std::move(r));
      }
    } else {
      error = "unknown field `" + std::string(k) +
              "` (expected channel, conversation, thread, text, attachments, user, job, fallbacks)";
      return std::nullopt;
    }
  }
  if (!read_route(target, req.target, error, "the target")) return std::nullopt;
  if (req.text.empty() && req.attachments.empty())
    error = "`text` is required and must not be empty (unless `attachments` are given)";
  else if (req.text.size() > max_text_bytes)
    error = "`text` exceeds 4 MiB";
  if (!error.empty()) return std::nullopt;
  return req;
}

void remember_route(state::store& store, const std::string& user, const api::route& r) {
  if (user.empty() || user.size() > 256) return;
  json::object o{{"channel", r.channel}, {"conversation", r.conversation}, {"thread", r.thread}};
  store.kv_set("routes", "last:" + user, json::serialize(o), [user](const std::string& err) {
    if (!err.empty()) spdlog::warn("cannot remember the last route of a user: {}", err);
  });
}

std::optional<api::route> last_route(state::store& store, const std::string& user) {
  if (user.empty()) return std::nullopt;
  auto v = store.kv_get("routes", "last:" + user);
  if (!v) return std::nullopt;
  json::error_code ec;
  auto j = json::parse(*v, ec);
  api::route r;
  std::string err;
  if (ec || !read_route(j, r, err, "route")) return std::nullopt;
  return r;
}

void start_proactive_send(kit::io_runtime& rt, plugin::instance_directory& channels,
                          state::store& store, proactive_request req,
                          std::shared_ptr<kit::http_exchange> ex,
                          media::outbound_materializer* media) {
  auto job = std::make_shared<send_job>(rt, channels, store);
  job->media = media;
  job->req = std::move(req);
  job->ex = std::move(ex);
  job->strand.post([job] { job->begin(); });
}

std::optional<kit::http_response> refuse_by_access(const access::gate* gate,
                                                   const proactive_request& req) {
  if (gate == nullptr || gate->admits_send(req.target.channel, req.target.conversation, req.user))
    return std::nullopt;
  spdlog::debug("{}send refused by the access rules",
                common::log_tag({.channel = req.target.channel}));
  kit::http_response r;
  r.status = 403;
  r.body = json::serialize(json::object{
      {"error",
       {{"code", "access_denied"},
        {"message", "the channel's access rules do not allow sending to this conversation"}}}});
  return r;
}

}  // namespace patchbay::api
