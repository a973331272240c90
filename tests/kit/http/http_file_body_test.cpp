// The server's file body (http_response::body_file): the file's exact bytes with its
// Content-Length, several write chunks' worth; HEAD gets the length without the body; a file
// that is gone by the time the answer is written is a 404; the connection stays usable.
#include "kit_test_support.hpp"

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

using namespace std::chrono_literals;
using namespace patchbay::kit;
using kit_test::test_server;
namespace fs = std::filesystem;

http_client_request request(const std::string& url, const std::string& method = "GET") {
  http_client_request req;
  req.url = url;
  req.method = method;
  req.total_timeout = 8s;
  return req;
}

TEST(KitHttpFileBody, ServesTheFileWithItsLength) {
  const fs::path file = fs::temp_directory_path() / ("pb-file-body-" + std::to_string(::getpid()));
  std::string bytes(300'000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 13 % 256);
  std::ofstream(file, std::ios::binary) << bytes;
  test_server srv([&](std::shared_ptr<http_exchange> ex) {
    http_response r;
    r.content_type = "application/octet-stream";
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"x.bin\"");
    r.body = "ignored";
    r.body_file = ex->request().path == "/gone" ? (file.string() + ".missing") : file.string();
    ex->respond(std::move(r));
  });
  auto got = kit_test::fetch(srv.rt, request(srv.url("/f")));
  ASSERT_EQ(got.error, "");
  EXPECT_EQ(got.response.status, 200U);
  EXPECT_EQ(got.response.header("Content-Length"), "300000");
  EXPECT_EQ(got.response.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(got.response.header("Content-Disposition"), "attachment; filename=\"x.bin\"");
  EXPECT_TRUE(got.response.body == bytes) << got.response.body.size();
  auto head = kit_test::fetch(srv.rt, request(srv.url("/f"), "HEAD"));
  ASSERT_EQ(head.error, "");
  EXPECT_EQ(head.response.header("Content-Length"), "300000");
  EXPECT_TRUE(head.response.body.empty());
  auto gone = kit_test::fetch(srv.rt, request(srv.url("/gone")));
  ASSERT_EQ(gone.error, "");
  EXPECT_EQ(gone.response.status, 404U);
  auto again = kit_test::fetch(srv.rt, request(srv.url("/f")));
  EXPECT_TRUE(again.response.body == bytes);
  fs::remove(file);
}

}  // namespace
