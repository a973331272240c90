// TLS in the pooled http_fetch against the kit server over HTTPS (throw-away certificates):
// pooled TLS connections, session resumption on fresh connections, and the ca_file context read
// once and read again when the file changes.
#include "kit_test_support.hpp"
#include "ws_test_support.hpp"

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"
#include "patchbay/kit/test_cert.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <string>

namespace {

using namespace std::chrono_literals;
using namespace patchbay::kit;
using kit_test::fetch;
namespace fs = std::filesystem;

// An HTTPS kit server answering 200 "ok", counting the client addresses (TCP connections) seen.
struct tls_env {
  tls_env() : certs(make_test_certs(dir.path)), srv(handler(), options(certs)) {}
  static http_server_options options(const test_cert_files& c) {
    http_server_options o;
    o.tls_cert_file = c.cert_file;
    o.tls_key_file = c.key_file;
    return o;
  }
  http_handler handler() {
    return [this](std::shared_ptr<http_exchange> ex) {
      {
        std::lock_guard lock(mtx);
        peers.insert(ex->request().remote_address);
      }
      ex->respond(http_response{200, "text/plain", {}, "ok"});
    };
  }
  http_client_request request(bool reuse = true) const {
    http_client_request req;
    req.url = "https://" + srv.endpoint + "/t";
    req.ca_file = certs.ca_file;
    req.reuse_connection = reuse;
    req.total_timeout = 8s;
    return req;
  }
  std::size_t connections() {
    std::lock_guard lock(mtx);
    return peers.size();
  }
  ws_test::temp_dir dir;
  test_cert_files certs;
  std::mutex mtx;
  std::set<std::string> peers;
  kit_test::test_server srv;
};

TEST(KitHttpPoolTls, PooledTlsConnectionIsReused) {
  tls_env env;
  io_runtime rt(1);
  for (int i = 0; i < 10; ++i) {
    auto r = fetch(rt, env.request());
    ASSERT_EQ(r.error, "") << i;
    EXPECT_EQ(r.response.body, "ok");
  }
  EXPECT_EQ(env.connections(), 1u);
  EXPECT_EQ(http_pool_stats_of(rt).opened, 1u);
  EXPECT_EQ(http_pool_stats_of(rt).reused, 9u);
}

TEST(KitHttpPoolTls, AFreshConnectionResumesTheSession) {
  tls_env env;
  io_runtime rt(1);
  ASSERT_EQ(fetch(rt, env.request(false)).error, "");
  EXPECT_EQ(http_pool_stats_of(rt).tls_resumed, 0u);  // the first handshake is a full one
  for (int i = 0; i < 3; ++i) ASSERT_EQ(fetch(rt, env.request(false)).error, "");
  EXPECT_EQ(env.connections(), 4u);                   // four fresh connections...
  EXPECT_EQ(http_pool_stats_of(rt).tls_resumed, 3u);  // ...and the later three resumed
}

TEST(KitHttpPoolTls, TheCaFileIsReadOnceAndAgainWhenItChanges) {
  tls_env env;
  ws_test::temp_dir other;
  const auto other_ca = make_test_certs(other.path).ca_file;
  const std::string ca = env.dir.path + "/trust.pem";
  fs::copy_file(env.certs.ca_file, ca);
  io_runtime rt(1);
  auto req = env.request(false);  // fresh connections: each needs the trust configuration
  req.ca_file = ca;

  const auto loads0 = http_tls_ca_file_loads();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(fetch(rt, req).error, "");
  EXPECT_EQ(http_tls_ca_file_loads() - loads0, 1u);

  // Replaced by a CA that did not sign the server: the next connection is refused.
  const auto t0 = fs::last_write_time(ca);
  fs::copy_file(other_ca, ca, fs::copy_options::overwrite_existing);
  fs::last_write_time(ca, t0 + 2s);  // a different mtime even on a coarse clock
  auto r = fetch(rt, req);
  EXPECT_NE(r.error.find("certificate verify failed"), std::string::npos) << r.error;
  EXPECT_EQ(http_tls_ca_file_loads() - loads0, 2u);

  // And back: trusted again, read once more.
  fs::copy_file(env.certs.ca_file, ca, fs::copy_options::overwrite_existing);
  fs::last_write_time(ca, t0 + 4s);
  EXPECT_EQ(fetch(rt, req).error, "");
  EXPECT_EQ(fetch(rt, req).error, "");
  EXPECT_EQ(http_tls_ca_file_loads() - loads0, 3u);
}

TEST(KitHttpPoolTls, AChangedCaFileIsNotServedByConnectionsPooledUnderTheOldOne) {
  tls_env env;
  ws_test::temp_dir other;
  const auto other_ca = make_test_certs(other.path).ca_file;
  const std::string ca = env.dir.path + "/trust.pem";
  fs::copy_file(env.certs.ca_file, ca);
  io_runtime rt(1);
  auto req = env.request();
  req.ca_file = ca;
  ASSERT_EQ(fetch(rt, req).error, "");
  ASSERT_EQ(http_pool_stats_of(rt).idle, 1u);
  const auto t0 = fs::last_write_time(ca);
  fs::copy_file(other_ca, ca, fs::copy_options::overwrite_existing);
  fs::last_write_time(ca, t0 + 2s);
  auto r = fetch(rt, req);  // a new trust configuration: a new origin key, a new handshake
  EXPECT_NE(r.error.find("certificate verify failed"), std::string::npos) << r.error;
  EXPECT_EQ(http_pool_stats_of(rt).reused, 0u);
}

}  // namespace
