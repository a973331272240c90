// http_client_request::body_file against the kit server on loopback: a 2xx body lands in the file
// byte for byte, a body over max_body_bytes fails "body too large" (by Content-Length before any
// byte, or while streaming a chunked body), an error status keeps its body in response.body and
// leaves the file alone, and an unwritable path fails with a "file:" error. body_file_filter: what
// it makes of each piece (and of its final call) is what lands in the file, the cap counts the
// bytes received, and a filter that says stop ends the request "aborted".
#include "kit_test_support.hpp"

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

namespace {

using namespace std::chrono_literals;
using namespace patchbay::kit;
using kit_test::fetch;
using kit_test::quick_request;
using kit_test::test_server;

struct temp_file {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("pb-body-file-" + std::to_string(::getpid()) + "-" +
                       std::to_string(reinterpret_cast<uintptr_t>(this))))
                         .string();
  ~temp_file() { std::filesystem::remove(path); }
  bool exists() const { return std::filesystem::exists(path); }
  std::string read() const {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

http_client_request to_file(const std::string& url, const std::string& path, std::size_t cap) {
  http_client_request req = quick_request(url);
  req.total_timeout = 10s;
  req.body_file = path;
  req.max_body_bytes = cap;
  return req;
}

TEST(KitHttpBodyFile, TwoHundredBodyIsWrittenToTheFileExactly) {
  const std::string body = pattern(300'000);
  test_server env([&](std::shared_ptr<http_exchange> ex) {
    http_response res;
    res.content_type = "image/png";
    res.body = body;
    ex->respond(std::move(res));
  });
  temp_file f;
  {
    std::ofstream old(f.path);
    old << "previous content that must be truncated away";
  }
  auto r = fetch(env.rt, to_file(env.url("/img"), f.path, body.size()));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_EQ(r.response.header("Content-Type"), "image/png");
  EXPECT_TRUE(r.response.body.empty());
  EXPECT_EQ(f.read(), body);  // exactly the cap is allowed
}

TEST(KitHttpBodyFile, BodyOverTheCapFailsBeforeWritingByContentLength) {
  test_server env([](std::shared_ptr<http_exchange> ex) {
    http_response res;
    res.body = pattern(5000);
    ex->respond(std::move(res));
  });
  temp_file f;
  auto r = fetch(env.rt, to_file(env.url("/big"), f.path, 4999));
  EXPECT_EQ(r.error, "body too large");
  EXPECT_FALSE(f.exists());
}

TEST(KitHttpBodyFile, ChunkedBodyOverTheCapFailsWhileStreaming) {
  test_server env([](std::shared_ptr<http_exchange> ex) {
    auto s = ex->start_stream(200, "application/octet-stream");
    for (int i = 0; i < 8; ++i) s->write(pattern(40'000));
    s->close();
  });
  temp_file f;
  auto r = fetch(env.rt, to_file(env.url("/stream"), f.path, 100'000));
  EXPECT_EQ(r.error, "body too large");
  EXPECT_LE(f.read().size(), 100'000u);  // never more than the cap on disk
}

TEST(KitHttpBodyFile, ErrorStatusKeepsItsBodyInTheResponse) {
  test_server env([](std::shared_ptr<http_exchange> ex) {
    http_response res;
    res.status = 404;
    res.body = R"({"code":234003,"msg":"not found"})";
    ex->respond(std::move(res));
  });
  temp_file f;
  auto r = fetch(env.rt, to_file(env.url("/missing"), f.path, 1 << 20));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 404u);
  EXPECT_EQ(r.response.body, R"({"code":234003,"msg":"not found"})");
  EXPECT_FALSE(f.exists());
}

TEST(KitHttpBodyFile, UnwritablePathFails) {
  test_server env([](std::shared_ptr<http_exchange> ex) {
    http_response res;
    res.body = "x";
    ex->respond(std::move(res));
  });
  auto r = fetch(env.rt, to_file(env.url("/x"), "/nonexistent-dir-pb/sub/file", 1 << 20));
  EXPECT_EQ(r.error.rfind("file: cannot open", 0), 0u) << r.error;
}

// A filter that upper-cases each piece and appends a trailer on its final call: the file holds
// exactly that, and the cap counts the bytes received (the trailer goes past it).
TEST(KitHttpBodyFile, FilterTransformsEveryPieceAndHasAFinalCall) {
  const std::string body(100'000, 'a');
  test_server env([&](std::shared_ptr<http_exchange> ex) {
    auto s = ex->start_stream(200, "application/octet-stream");
    for (std::size_t i = 0; i < body.size(); i += 10'000) s->write(body.substr(i, 10'000));
    s->close();
  });
  temp_file f;
  auto req = to_file(env.url("/filtered"), f.path, body.size());
  int calls = 0;
  int last_calls = 0;
  std::size_t seen = 0;
  req.body_file_filter = [&](std::string_view piece, bool last, std::string& out) {
    ++calls;
    EXPECT_TRUE(out.empty());
    if (last) {
      ++last_calls;
      EXPECT_TRUE(piece.empty());
      out = "<end>";
      return true;
    }
    seen += piece.size();
    for (char c : piece) out.push_back(static_cast<char>(c - 'a' + 'A'));
    return true;
  };
  auto r = fetch(env.rt, req);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_EQ(seen, body.size());
  EXPECT_GE(calls, 2);
  EXPECT_EQ(last_calls, 1);
  EXPECT_EQ(f.read(), std::string(body.size(), 'A') + "<end>");
}

// A filter that refuses (here: on its final call, as a decryption with a bad padding would) ends
// the request "aborted"; an error status never reaches the filter.
TEST(KitHttpBodyFile, FilterThatRefusesAbortsAndErrorStatusSkipsIt) {
  test_server env([](std::shared_ptr<http_exchange> ex) {
    http_response res;
    if (ex->request().target == "/missing") res.status = 404;
    res.body = "some bytes";
    ex->respond(std::move(res));
  });
  temp_file f;
  auto req = to_file(env.url("/refused"), f.path, 1 << 20);
  int calls = 0;
  req.body_file_filter = [&](std::string_view piece, bool last, std::string& out) {
    ++calls;
    out.assign(piece);
    return !last;
  };
  auto r = fetch(env.rt, req);
  EXPECT_EQ(r.error, "aborted");
  EXPECT_GE(calls, 2);

  calls = 0;
  temp_file g;
  auto missing = to_file(env.url("/missing"), g.path, 1 << 20);
  missing.body_file_filter = req.body_file_filter;
  auto m = fetch(env.rt, missing);
  ASSERT_EQ(m.error, "");
  EXPECT_EQ(m.response.status, 404u);
  EXPECT_EQ(m.response.body, "some bytes");
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(g.exists());
}

}  // namespace
