// The outbound materializer (media/outbound_materializer.hpp) against a real HTTP server on
// loopback and a temp spool: a url's bytes land in the spool with their MD5 and the server's
// MIME type, redirects are followed up to the bound and each target is checked again, a body over
// the limit (the host's or the channel's) and an error status are refused with a user-facing
// reason; an allowed path and inline base64 are spooled, a path outside is refused; sweep()
// removes the files no row holds.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "media/outbound_materializer.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace {
using namespace patchbay;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Materializer : ::testing::Test {
  fs::path dir =
      fs::temp_directory_path() / ("pb_media_mat_" + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  kit::io_runtime rt{2};
  std::string payload = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(5000, 'x');
  std::unique_ptr<kit::http_server> server;
  std::string base;
  std::atomic<int> hits{0};

  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir / "allowed");
    kit::http_server_options o;
    o.listen = "127.0.0.1:0";
    server =
        std::make_unique<kit::http_server>(rt, o, [this](std::shared_ptr<kit::http_exchange> ex) {
          ++hits;
          const std::string& p = ex->request().path;
          kit::http_response r;
          if (p == "/img.png") {
            r.content_type = "image/png; charset=binary";
            r.body = payload;
          } else if (p.rfind("/hop/", 0) == 0) {  // /hop/N redirects N times, then the image
            int n = std::stoi(p.substr(5));
            r.status = 302;
            r.headers.emplace_back("Location",
                                   n > 1 ? "/hop/" + std::to_string(n - 1) : "/img.png");
          } else if (p == "/away") {
            r.status = 301;
            r.headers.emplace_back("Location", "http://example.com/img.png");
          } else {
            r.status = 404;
            r.body = "{}";
          }
          ex->respond(std::move(r));
        });
    server->start();
    base = "http://" + server->local_endpoint();
  }
  void TearDown() override {
    server->stop(0ms);
    rt.stop();
    fs::remove_all(dir);
  }
  media::outbound_options options(std::uint64_t max = 1 << 20) {
    media::outbound_options o;
    o.spool_dir = (dir / "media-out").string();
    o.allowed_paths = {(dir / "allowed").string()};
    o.max_bytes = max;
    o.fetch_timeout = 10s;
    o.max_redirects = 2;
    return o;
  }
  media::materialized run(media::outbound_materializer& m, messages::attachment_spec spec,
                          std::uint64_t channel_max = 0) {
    std::promise<media::materialized> p;
    m.materialize(spec, channel_max, [&](media::materialized r) { p.set_value(std::move(r)); });
    auto f = p.get_future();
    EXPECT_EQ(f.wait_for(20s), std::future_status::ready);
    return f.get();
  }
  messages::attachment_spec url(const std::string& path) {
    messages::attachment_spec a;
    a.kind = "image";
    a.url = base + path;
    return a;
  }
};

TEST_F(Materializer, AUrlIsFetchedIntoTheSpoolWithItsMd5AndType) {
  media::outbound_materializer m(rt, options());
  auto r = run(m, url("/img.png"));
  ASSERT_TRUE(r.file) << r.reason;
  EXPECT_EQ(r.file->name, "img.png");
  EXPECT_EQ(r.file->mime_type, "image/png");
  EXPECT_EQ(r.file->size, payload.size());
  EXPECT_EQ(r.file->md5_hex, common::md5_hex(payload));
  EXPECT_EQ(fs::path(r.file->path).parent_path(), dir / "media-out");
  EXPECT_EQ(read(r.file->path), payload);
  EXPECT_EQ(fs::status(dir / "media-out").permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(Materializer, RedirectsAreFollowedWithinTheBoundAndCheckedAgain) {
  media::outbound_materializer m(rt, options());
  auto ok = run(m, url("/hop/2"));
  ASSERT_TRUE(ok.file) << ok.reason;
  EXPECT_EQ(read(ok.file->path), payload);
  auto too_many = run(m, url("/hop/3"));
  EXPECT_FALSE(too_many.file);
  EXPECT_EQ(too_many.reason, "its url redirects too often");
  int before = hits.load();
  auto away = run(m, url("/away"));  // to plain http off this machine: refused, not fetched
  EXPECT_FALSE(away.file);
  EXPECT_EQ(away.reason, "plain http is allowed only to this machine (use https)");
  EXPECT_EQ(hits.load(), before + 1);
}

TEST_F(Materializer, OverTheLimitAndErrorStatusesAreRefused) {
  media::outbound_materializer small(rt, options(1000));
  auto big = run(small, url("/img.png"));
  EXPECT_FALSE(big.file);
  EXPECT_TRUE(big.too_large);
  EXPECT_EQ(big.reason, "it is larger than the limit of 1000 bytes");
  media::outbound_materializer m(rt, options());
  auto channel = run(m, url("/img.png"), 4096);  // the channel's own limit is smaller
  EXPECT_TRUE(channel.too_large);
  auto missing = run(m, url("/nope"));
  EXPECT_FALSE(missing.file);
  EXPECT_EQ(missing.reason, "its url answered HTTP 404");
  EXPECT_FALSE(fs::exists(dir / "media-out") && !fs::is_empty(dir / "media-out"));
}

TEST_F(Materializer, PathsAndBase64AreSpooled) {
  std::ofstream(dir / "allowed" / "report.pdf", std::ios::binary) << "%PDF-1.4 body";
  std::ofstream(dir / "secret.txt") << "secret";
  fs::create_symlink(dir / "secret.txt", dir / "allowed" / "innocent.txt");
  media::outbound_materializer m(rt, options(100));
  messages::attachment_spec p;
  p.kind = "file";
  p.path = (dir / "allowed" / "report.pdf").string();
  auto r = run(m, p);
  ASSERT_TRUE(r.file) << r.reason;
  EXPECT_EQ(r.file->name, "report.pdf");
  EXPECT_EQ(r.file->mime_type, "application/pdf");
  EXPECT_EQ(read(r.file->path), "%PDF-1.4 body");
  EXPECT_EQ(r.file->md5_hex, common::md5_hex("%PDF-1.4 body"));

  p.path = (dir / "allowed" / "innocent.txt").string();
  auto escape = run(m, p);
  EXPECT_FALSE(escape.file);
  EXPECT_EQ(escape.reason, "its path is not in a directory this gateway allows");

  messages::attachment_spec b;
  b.kind = "file";
  b.name = "hi.txt";
  b.data_base64 = common::base64_encode("hello, file");
  auto d = run(m, b);
  ASSERT_TRUE(d.file) << d.reason;
  EXPECT_EQ(read(d.file->path), "hello, file");
  EXPECT_EQ(d.file->mime_type, "text/plain");
  b.data_base64 = common::base64_encode(std::string(200, 'z'));
  auto big = run(m, b);
  EXPECT_TRUE(big.too_large);
  EXPECT_EQ(big.reason, "it is 200 bytes, larger than the limit of 100 bytes");
  b.data_base64 = "not base64!";
  EXPECT_EQ(run(m, b).reason, "its data_base64 is not valid base64");

  // sweep(): only the files named survive.
  auto removed = media::outbound_materializer::sweep((dir / "media-out").string(), {r.file->path});
  EXPECT_EQ(removed, 1u);  // d's file
  EXPECT_TRUE(fs::exists(r.file->path));
  EXPECT_FALSE(fs::exists(d.file->path));
}

}  // namespace
