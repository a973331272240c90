#include "api/status_page/status_page.hpp"

#include <string>
#include <string_view>

#include "api/status_page/status_page_assets.hpp"

namespace patchbay::api {
namespace {

constexpr std::string_view page_path = "/status";

// The page loads only its own script and style sheet and talks only to this host; it may not be
// framed, and nothing is cached (the page is tiny; a stale script after an upgrade would confuse).
void add_strict_headers(kit::http_response& r) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; base-uri 'none'; form-action 'none'; "
                         "frame-ancestors 'none'; object-src 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
}

std::string_view content_type_of(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

const embedded_asset* find_asset(std::string_view name) {
  for (const auto& a : status_page_assets())
    if (a.name == name) return &a;
  return nullptr;
}

kit::http_response plain(unsigned status, std::string body) {
  kit::http_response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  add_strict_headers(r);
  return r;
}

}  // namespace

std::optional<kit::http_response> status_page_response(const kit::http_request& req) {
  std::string_view path = req.path;
  if (!path.starts_with(page_path)) return std::nullopt;
  std::string_view rest = path.substr(page_path.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;  // e.g. /statusx: not ours

  if (req.method != "GET" && req.method != "HEAD") {
    auto r = plain(405, "use GET\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (rest == "/") {  // the page's relative links only resolve from "/status"
    auto r = plain(308, "the status page is at /status\n");
    r.headers.emplace_back("Location", "../status");
    return r;
  }
  // "/status" is the page, "/status/<file>" one of its files.
  std::string_view name = rest.empty() ? std::string_view("status.html") : rest.substr(1);
  const embedded_asset* asset = find_asset(name);
  if (asset == nullptr || name.find('/') != std::string_view::npos)
    return plain(404, "no such file of the status page\n");

  kit::http_response r;
  r.content_type = std::string(content_type_of(asset->name));
  r.body = std::string(asset->bytes);
  add_strict_headers(r);
  return r;
}

}  // namespace patchbay::api
