// Where an agent's file may come from (media/outbound_source.hpp): the url policy (https, http to
// loopback only), redirects resolved, the path allowlist with canonicalisation (a symbolic link
// out of an allowed directory, `..` and relative paths refused), names, sizes and user texts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "media/outbound_source.hpp"

namespace {
using namespace patchbay;
namespace fs = std::filesystem;

TEST(OutboundSource, UrlPolicy) {
  EXPECT_EQ(media::url_problem("https://example.com/a.png"), "");
  EXPECT_EQ(media::url_problem("HTTPS://example.com"), "");
  EXPECT_EQ(media::url_problem("http://127.0.0.1:8080/a"), "");
  EXPECT_EQ(media::url_problem("http://localhost/a"), "");
  EXPECT_EQ(media::url_problem("http://[::1]:9/a"), "");
  EXPECT_NE(media::url_problem("http://example.com/a"), "");
  EXPECT_NE(media::url_problem("http://127.0.0.1.evil.com/a"), "");
  EXPECT_NE(media::url_problem("http://user@10.0.0.1/a"), "");
  EXPECT_NE(media::url_problem("http://127.0.0.1@example.com/a"), "");
  EXPECT_NE(media::url_problem("file:///etc/passwd"), "");
  EXPECT_NE(media::url_problem("ftp://example.com/a"), "");
  EXPECT_NE(media::url_problem("https:///nohost"), "");
}

TEST(OutboundSource, RedirectLocations) {
  EXPECT_EQ(media::resolve_location("https://a.com/x/y", "/z?q=1"), "https://a.com/z?q=1");
  EXPECT_EQ(media::resolve_location("http://127.0.0.1:5/x", "https://b.com/c"), "https://b.com/c");
  EXPECT_EQ(media::resolve_location("https://a.com", "/z"), "https://a.com/z");
  EXPECT_EQ(media::resolve_location("https://a.com/x", "relative"), "");
  EXPECT_EQ(media::resolve_location("https://a.com/x", "//other.com/x"), "");
}

struct PathAllowlist : ::testing::Test {
  fs::path root = fs::temp_directory_path() / ("pb_media_src_" + std::to_string(::getpid()));
  fs::path allowed = root / "allowed";
  fs::path outside = root / "outside";
  void SetUp() override {
    fs::remove_all(root);
    fs::create_directories(allowed / "sub");
    fs::create_directories(outside);
    std::ofstream(allowed / "sub" / "ok.txt") << "ok";
    std::ofstream(outside / "secret.txt") << "secret";
    fs::create_symlink(outside / "secret.txt", allowed / "link-out.txt");
    fs::create_directory_symlink(outside, allowed / "dir-out");
    fs::create_symlink(allowed / "sub" / "ok.txt", allowed / "link-in.txt");
  }
  void TearDown() override { fs::remove_all(root); }
  std::optional<std::string> check(const std::string& p, std::string& why) {
    return media::allowed_file({allowed.string()}, p, why);
  }
};

TEST_F(PathAllowlist, AFileUnderAnAllowedDirectoryIsTakenCanonical) {
  std::string why;
  auto ok = check((allowed / "sub" / "ok.txt").string(), why);
  ASSERT_TRUE(ok) << why;
  EXPECT_EQ(*ok, fs::canonical(allowed / "sub" / "ok.txt").string());
  auto in = check((allowed / "link-in.txt").string(), why);  // a link that stays inside
  ASSERT_TRUE(in) << why;
  EXPECT_EQ(*in, fs::canonical(allowed / "sub" / "ok.txt").string());
}

TEST_F(PathAllowlist, EscapesAreRefused) {
  std::string why;
  EXPECT_FALSE(check((allowed / "link-out.txt").string(), why));
  EXPECT_EQ(why, "its path is not in a directory this gateway allows");
  EXPECT_FALSE(check((allowed / "dir-out" / "secret.txt").string(), why));
  EXPECT_FALSE(check((allowed / ".." / "outside" / "secret.txt").string(), why));
  EXPECT_FALSE(check((outside / "secret.txt").string(), why));
  EXPECT_FALSE(check("allowed/sub/ok.txt", why));
  EXPECT_EQ(why, "a local path must be absolute");
  EXPECT_FALSE(check((allowed / "missing.txt").string(), why));
  EXPECT_EQ(why, "no such file");
  EXPECT_FALSE(check((allowed / "sub").string(), why));  // a directory is not a file
  // An allowed directory whose name is a prefix of another's does not allow the other.
  fs::create_directories(root / "allowed2");
  std::ofstream(root / "allowed2" / "x.txt") << "x";
  EXPECT_FALSE(check((root / "allowed2" / "x.txt").string(), why));
  // No allowed directories: paths are off.
  EXPECT_FALSE(media::allowed_file({}, (allowed / "sub" / "ok.txt").string(), why));
  EXPECT_EQ(why, "files from local paths are not enabled on this gateway");
}

TEST(OutboundSource, NamesSizesAndTexts) {
  messages::attachment_spec a;
  a.kind = "image";
  a.url = "https://e.com/img/chart.png?sig=abc";
  EXPECT_EQ(media::display_name(a), "chart.png");
  a.name = "Q3 chart.png";
  EXPECT_EQ(media::display_name(a), "Q3 chart.png");
  messages::attachment_spec b;
  b.kind = "file";
  b.data_base64 = "aGk=";
  EXPECT_EQ(media::display_name(b), "file");
  EXPECT_EQ(media::guess_mime("Report.PDF"), "application/pdf");
  EXPECT_EQ(media::guess_mime("noext"), "");
  EXPECT_EQ(media::size_text(30u << 20), "30 MB");
  EXPECT_EQ(media::size_text((3u << 20) / 2), "1.5 MB");
  EXPECT_EQ(media::size_text(2048), "2 KB");
  EXPECT_EQ(media::size_text(12), "12 bytes");
  EXPECT_EQ(media::failed_notice("big.bin", media::too_large_reason(31u << 20, 30u << 20)),
            "Could not send the file big.bin: it is 31 MB, larger than the limit of 30 MB.");
  EXPECT_EQ(media::cannot_send_notice("a.png"), "This channel cannot send files: a.png");
}

}  // namespace
