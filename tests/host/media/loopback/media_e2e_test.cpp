// Outbound attachments end to end: a real `patchbay run`, a process agent that answers with files
// (scripts/file_agent.py) and the `good` test plugin, which reads each file it is asked to send
// and logs what the host declared (size, MD5) beside what the file holds. Inbound messages come
// through the plugin's /hooks/<id>/emit. Covered: inline, path and url files arrive with the right
// bytes, in order with the text and caption; a file over host.media.outbound.max_bytes, a file
// the platform refuses and a channel that cannot send files each give the user a notice naming
// the file; spool files are gone once sent; POST /v1/messages sends files and refuses them for a
// plugin built against ABI 1.2.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "host_fixture.hpp"
#include "open_access.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace {
using namespace std::chrono_literals;
using pbtest::host_fixture;
namespace fs = std::filesystem;

const std::string agents_yaml = "  files:\n    type: process\n    command: [python3, \"" +
                                std::string(PB_MEDIA_SCRIPTS) + "/file_agent.py\"]\n";

std::string media_yaml(const fs::path& allowed) {
  return "  media:\n    outbound:\n      max_bytes: 1000\n      allowed_paths: [\"" +
         allowed.string() + "\"]\n";
}

std::string channel(const std::string& extra_config = "") {
  return "  - id: chan\n    plugin: good\n    agent: files\n" PB_OPEN_ACCESS
         "    config: { liveness_window_ms: 0" +
         extra_config + " }\n";
}

// The plugin's log lines ("good: send ..."), in order, without the JSON around them.
std::vector<std::string> sends(const std::string& logs) {
  std::vector<std::string> out;
  std::istringstream in(logs);
  std::regex re(R"re("msg":"[^"]*good: (send [^"]*)")re");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, re)) out.push_back(m[1]);
  }
  return out;
}

struct file_line {
  std::string name, mime, size, md5, read_size, read_md5, bytes;
};
std::optional<file_line> parse_file(const std::string& send) {
  std::regex re(
      R"(file kind=\S+ name=(\S*) mime=(\S*) size=(\d+) md5=(\w*) read_size=(\d+) read_md5=(\w+) bytes=(.*))");
  std::smatch m;
  if (!std::regex_search(send, m, re)) return std::nullopt;
  return file_line{m[1], m[2], m[3], m[4], m[5], m[6], m[7]};
}

struct MediaE2E : ::testing::Test {
  fs::path allowed =
      fs::temp_directory_path() / ("pb_media_e2e_" + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override { fs::create_directories(allowed); }
  void TearDown() override { fs::remove_all(allowed); }

  static void emit(host_fixture& h, const std::string& event, const std::string& text) {
    auto r = h.post("/hooks/chan/emit", text, false, {{"X-Event", event}});
    EXPECT_EQ(r.status, 202u) << r.body;
  }
  // Waits until the plugin has logged `n` sends (bounded), returns them.
  static std::vector<std::string> wait_sends(host_fixture& h, size_t n) {
    std::vector<std::string> s;
    for (int i = 0; i < 1000; ++i) {
      s = sends(h.logs());
      if (s.size() >= n) break;
      std::this_thread::sleep_for(10ms);
    }
    return s;
  }
};

TEST_F(MediaE2E, AnAgentsFilesArriveWithTheirBytesInOrderAndTheSpoolIsEmptied) {
  std::ofstream(allowed / "report.csv") << "a,b\n1,2\n";
  // A local file server for the url form.
  patchbay::kit::io_runtime rt;
  patchbay::kit::http_server_options o;
  o.listen = "127.0.0.1:0";
  const std::string png = std::string("\x89PNG", 4) + "-image-bytes";
  patchbay::kit::http_server files(rt, o, [&](std::shared_ptr<patchbay::kit::http_exchange> ex) {
    patchbay::kit::http_response r;
    r.content_type = "image/png";
    r.body = png;
    ex->respond(std::move(r));
  });
  files.start();

  host_fixture h(channel(), agents_yaml, media_yaml(allowed));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  emit(h, "e1", "file:b64");
  auto s = wait_sends(h, 3);
  ASSERT_EQ(s.size(), 3u) << h.logs();
  // The streamed text first (the placeholder), then the file, then its caption.
  EXPECT_NE(s[0].find("text=Here it is"), std::string::npos) << s[0];
  auto f = parse_file(s[1]);
  ASSERT_TRUE(f) << s[1];
  EXPECT_NE(s[1].find(" text= file "), std::string::npos) << "a file goes without text: " << s[1];
  EXPECT_EQ(f->name, "hello.txt");
  EXPECT_EQ(f->mime, "text/plain");
  EXPECT_EQ(f->bytes, "hello from the agent");
  EXPECT_EQ(f->md5, patchbay::common::md5_hex("hello from the agent"));
  EXPECT_EQ(f->read_md5, f->md5);
  EXPECT_EQ(f->size, f->read_size);
  EXPECT_NE(s[2].find("text=the caption"), std::string::npos) << s[2];

  emit(h, "e2", "file:path " + (allowed / "report.csv").string());
  s = wait_sends(h, 4);
  ASSERT_EQ(s.size(), 4u) << h.logs();
  f = parse_file(s[3]);
  ASSERT_TRUE(f) << s[3];
  EXPECT_EQ(f->name, "report.csv");
  EXPECT_EQ(f->mime, "text/csv");
  EXPECT_EQ(f->read_md5, patchbay::common::md5_hex("a,b\n1,2\n"));
  EXPECT_EQ(f->md5, f->read_md5);

  emit(h, "e3", "file:url http://" + files.local_endpoint() + "/pics/chart.png");
  s = wait_sends(h, 5);
  ASSERT_EQ(s.size(), 5u) << h.logs();
  f = parse_file(s[4]);
  ASSERT_TRUE(f) << s[4];
  EXPECT_EQ(f->name, "chart.png");
  EXPECT_EQ(f->mime, "image/png");
  EXPECT_EQ(f->md5, patchbay::common::md5_hex(png));
  EXPECT_EQ(f->read_md5, f->md5);

  // Every op is done: its spool file went with its row.
  std::this_thread::sleep_for(300ms);
  fs::path spool = h.dir / "media-out";
  ASSERT_TRUE(fs::exists(spool));
  EXPECT_TRUE(fs::is_empty(spool));
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
  files.stop(0ms);
  rt.stop();
}

TEST_F(MediaE2E, FilesThatCannotBeSentGiveTheUserANoticeNamingThem) {
  std::ofstream(allowed.parent_path() / (allowed.filename().string() + "-outside.txt")) << "x";
  host_fixture h(channel(), agents_yaml, media_yaml(allowed));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  emit(h, "e1", "file:big");
  auto s = wait_sends(h, 1);
  ASSERT_EQ(s.size(), 1u) << h.logs();
  EXPECT_NE(s[0].find("Could not send the file big.bin: it is 2.0 KB, larger than the limit of "
                      "1000 bytes."),
            std::string::npos)
      << s[0];
  EXPECT_EQ(s[0].find(" file kind="), std::string::npos);  // never reached the platform

  emit(h, "e2", "file:refuse");  // the platform refuses it
  s = wait_sends(h, 3);
  ASSERT_EQ(s.size(), 3u) << h.logs();
  EXPECT_NE(s[1].find("name=refuse.txt"), std::string::npos) << s[1];
  EXPECT_NE(s[1].find("-> invalid_input"), std::string::npos) << s[1];
  EXPECT_NE(s[2].find("Could not send the file refuse.txt: the platform did not accept it."),
            std::string::npos)
      << s[2];

  emit(h, "e3", "file:path " + (allowed.string() + "-outside.txt"));
  s = wait_sends(h, 4);
  ASSERT_EQ(s.size(), 4u) << h.logs();
  EXPECT_NE(s[3].find("its path is not in a directory this gateway allows"), std::string::npos)
      << s[3];
  EXPECT_EQ(h.logs().find(allowed.string() + "-outside.txt\","), std::string::npos)
      << "the notice does not show the path";
  fs::remove(allowed.string() + "-outside.txt");
}

TEST_F(MediaE2E, AChannelThatCannotSendFilesSaysSo) {
  host_fixture h(channel(", no_attachments: true"), agents_yaml, media_yaml(allowed));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  emit(h, "e1", "file:b64");
  auto s = wait_sends(h, 3);
  ASSERT_EQ(s.size(), 3u) << h.logs();
  EXPECT_NE(s[0].find("text=Here it is"), std::string::npos);
  EXPECT_NE(s[1].find("This channel cannot send files: hello.txt"), std::string::npos) << s[1];
  EXPECT_NE(s[2].find("text=the caption"), std::string::npos) << s[2];
  for (const auto& line : s) EXPECT_EQ(line.find(" file kind="), std::string::npos) << line;
}

TEST_F(MediaE2E, ProactiveSendsCarryFilesAndRefuseThemWhereTheyCannotGo) {
  host_fixture h(
      channel() + "  - id: old\n    plugin: zoo_minor2\n    agent: files\n" PB_OPEN_ACCESS,
      agents_yaml, media_yaml(allowed));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  std::string b64 = patchbay::common::base64_encode("report body");
  auto ok =
      h.post("/v1/messages", R"({"channel":"chan","conversation":"c-1","text":"Daily report",)"
                             R"("attachments":[{"kind":"file","name":"r.txt","data_base64":")" +
                                 b64 + R"(","caption":"see attached"}]})");
  EXPECT_EQ(ok.status, 200u) << ok.body;
  auto s = wait_sends(h, 3);
  ASSERT_EQ(s.size(), 3u) << h.logs();
  EXPECT_NE(s[0].find("text=Daily report"), std::string::npos);
  auto f = parse_file(s[1]);
  ASSERT_TRUE(f) << s[1];
  EXPECT_EQ(f->bytes, "report body");
  EXPECT_EQ(f->md5, patchbay::common::md5_hex("report body"));
  EXPECT_EQ(f->read_md5, f->md5);
  EXPECT_NE(s[2].find("text=see attached"), std::string::npos);

  auto big = h.post("/v1/messages",
                    R"({"channel":"chan","conversation":"c-1","attachments":[{"name":"b.bin",)"
                    R"("data_base64":")" +
                        patchbay::common::base64_encode(std::string(2000, 'z')) + R"("}]})");
  EXPECT_EQ(big.status, 413u) << big.body;
  EXPECT_NE(big.body.find("Could not send the file b.bin"), std::string::npos) << big.body;

  auto old =
      h.post("/v1/messages", R"({"channel":"old","conversation":"c-1","text":"x","attachments":[)"
                             R"({"name":"r.txt","data_base64":")" +
                                 b64 + R"("}]})");
  EXPECT_EQ(old.status, 422u) << old.body;
  EXPECT_NE(old.body.find("cannot_send_files"), std::string::npos) << old.body;
  EXPECT_NE(old.body.find("This channel cannot send files: r.txt"), std::string::npos);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sends(h.logs()).size(), 3u);  // nothing more was sent
  EXPECT_TRUE(fs::is_empty(h.dir / "media-out"));
}

}  // namespace
