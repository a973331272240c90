// GET /status without sockets: the page, its script and style sheet are served from the bytes
// compiled into the binary, with strict headers, without a token even when tokens are configured,
// and without any token value in them.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "api/routes.hpp"
#include "api/status_page/status_page_assets.hpp"

namespace {
using namespace patchbay;

constexpr const char* api_token = "tok-status-page-9931";

kit::http_request request(const std::string& method, const std::string& path) {
  kit::http_request r;
  r.method = method;
  r.target = r.path = path;
  return r;
}

std::string header(const kit::http_response& r, std::string_view name) {
  return std::string(kit::find_header(r.headers, name));
}

std::string read_source(const std::string& name) {
  std::ifstream in(std::string(PB_STATUS_PAGE_DIR) + "/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct StatusPage : ::testing::Test {
  plugin::status_board reg;
  api::api_context ctx{reg, {api_token, "second-token-1234"}, std::chrono::steady_clock::now()};
  kit::http_response get(const std::string& path) {
    return api::handle_api_request(ctx, request("GET", path));
  }
};

void expect_strict_headers(const kit::http_response& r) {
  const std::string csp = header(r, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;  // no inline script or eval
  EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(r, "Cache-Control"), "no-store");
}

TEST_F(StatusPage, PageIsServedWithoutTokenWithStrictHeadersAndNoSecret) {
  auto r = get("/status");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  expect_strict_headers(r);
  EXPECT_NE(r.body.find("<table id=\"channels\">"), std::string::npos);
  EXPECT_NE(r.body.find("src=\"status/status.js\""), std::string::npos);
  EXPECT_EQ(r.body.find(api_token), std::string::npos);
  EXPECT_EQ(r.body.find("second-token"), std::string::npos);
  // The same request is refused on the API (tokens are configured): the page is the exception.
  EXPECT_EQ(get("/v1/channels").status, 401u);
  // HEAD answers like GET (the server drops the body).
  EXPECT_EQ(api::handle_api_request(ctx, request("HEAD", "/status")).status, 200u);
}

TEST_F(StatusPage, ScriptAndStyleSheetAreServedWithTheirTypes) {
  auto js = get("/status/status.js");
  EXPECT_EQ(js.status, 200u);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  expect_strict_headers(js);
  EXPECT_NE(js.body.find("v1/channels"), std::string::npos);
  EXPECT_EQ(js.body.find(api_token), std::string::npos);
  auto css = get("/status/status.css");
  EXPECT_EQ(css.status, 200u);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  expect_strict_headers(css);
}

TEST_F(StatusPage, EmbeddedBytesAreTheSourceFiles) {
  ASSERT_EQ(api::status_page_assets().size(), 3u);
  const std::pair<const char*, const char*> files[] = {{"status.html", "/status"},
                                                       {"status.js", "/status/status.js"},
                                                       {"status.css", "/status/status.css"}};
  for (const auto& [name, url] : files) {
    const std::string source = read_source(name);
    ASSERT_FALSE(source.empty()) << name;
    EXPECT_EQ(get(url).body, source) << name;
  }
}

TEST_F(StatusPage, ScriptNeverInsertsMarkupOrPutsTheTokenInAUrl) {
  const std::string js = get("/status/status.js").body;
  for (const char* sink :
       {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"})
    EXPECT_EQ(js.find(sink), std::string::npos) << sink;
  EXPECT_NE(js.find("sessionStorage"), std::string::npos);
  EXPECT_NE(js.find("Authorization"), std::string::npos);  // the token travels in the header
  EXPECT_EQ(js.find("?token"), std::string::npos);
  EXPECT_EQ(js.find("localStorage"), std::string::npos);
}

TEST_F(StatusPage, OtherMethodsAndFilesAreRefused) {
  auto post = api::handle_api_request(ctx, request("POST", "/status"));
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(header(post, "Allow"), "GET, HEAD");
  EXPECT_EQ(get("/status/nope.js").status, 404u);
  EXPECT_EQ(get("/status/../v1/channels").status, 404u);
  EXPECT_EQ(get("/status/status.js/x").status, 404u);
  auto slash = get("/status/");
  EXPECT_EQ(slash.status, 308u);
  EXPECT_EQ(header(slash, "Location"), "../status");
  // Not the page's prefix: routed on (here: no such route).
  EXPECT_EQ(get("/statusx").status, 404u);
  EXPECT_EQ(get("/statusx").content_type, "application/json");
}

}  // namespace
