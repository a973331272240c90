#include "api/media_route.hpp"

#include "api/auth.hpp"
#include "plugin/channel_instance.hpp"

namespace patchbay::api {
namespace {

kit::http_response to_http(media::reply r) {
  kit::http_response h;
  h.status = r.status;
  h.content_type = std::move(r.content_type);
  h.headers = std::move(r.headers);
  h.body = std::move(r.body);
  h.body_file = std::move(r.body_file);
  return h;
}

bool valid_id(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

void handle_media(api_context& ctx, const std::shared_ptr<kit::http_exchange>& ex) {
  const auto& req = ex->request();
  if (auto refused = refuse_without_token(ctx, req)) return ex->respond(std::move(*refused));
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = to_http(media::error_reply(405, "method_not_allowed", "use GET"));
    r.headers.emplace_back("Allow", "GET, HEAD");
    return ex->respond(std::move(r));
  }
  const std::string id = req.path.substr(std::string_view("/v1/media/").size());
  if (!valid_id(id))
    return ex->respond(
        to_http(media::error_reply(404, "not_found", "unknown or expired media id")));
  ctx.media->get(id, [ex](media::reply r) { ex->respond(to_http(std::move(r))); });
}

std::function<media::fetch_start(const media::fetch_call&, media::fetch_done)> media_fetcher(
    plugin::instance_directory& channels) {
  return [&channels](const media::fetch_call& call, media::fetch_done done) {
    auto inst = channels.find(call.src.channel_id);
    if (!inst) return media::fetch_start::not_running;
    if (!inst->can_fetch()) return media::fetch_start::unsupported;
    const auto& a = call.src.attachment;
    inst->fetch_attachment(
        plugin::channel_instance::fetch_request{call.src.conversation_id, call.src.message_id,
                                                call.src.reply_context, a.kind, a.id, a.url,
                                                call.dest_path, call.max_bytes},
        [done = std::move(done)](const messages::op_result& r) { done(r); });
    return media::fetch_start::started;
  };
}

void write_media_metrics(metrics::text_writer& w, const media::media_counts& c) {
  using metrics::metric_type;
  auto n = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  w.family("patchbay_media_requests_total",
           "GET /v1/media answers with the file (from the cache or a fresh download).",
           metric_type::counter);
  w.sample("patchbay_media_requests_total", {}, n(c.served));
  w.family("patchbay_media_fetches_total",
           "Attachment downloads through a plugin, by outcome (started, failed, timeout, "
           "too_large).",
           metric_type::counter);
  w.sample("patchbay_media_fetches_total", {{"outcome", "started"}}, n(c.fetches));
  w.sample("patchbay_media_fetches_total", {{"outcome", "failed"}}, n(c.fetch_failed));
  w.sample("patchbay_media_fetches_total", {{"outcome", "timeout"}}, n(c.fetch_timeouts));
  w.sample("patchbay_media_fetches_total", {{"outcome", "too_large"}}, n(c.too_large));
  w.family("patchbay_media_fetched_bytes_total", "Bytes of attachments downloaded into the cache.",
           metric_type::counter);
  w.sample("patchbay_media_fetched_bytes_total", {}, n(c.fetched_bytes));
  w.family("patchbay_media_cache_bytes", "Bytes of attachments in the on-disk cache.",
           metric_type::gauge);
  w.sample("patchbay_media_cache_bytes", {}, n(c.cache_bytes));
  w.family("patchbay_media_cache_files", "Attachments in the on-disk cache.", metric_type::gauge);
  w.sample("patchbay_media_cache_files", {}, n(c.cache_files));
}

}  // namespace patchbay::api
