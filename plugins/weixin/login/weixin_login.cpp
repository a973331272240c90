// `patchbay-weixin-login --out FILE [--base-url URL] [--timeout S] [--ca-file F]` (also run as
// `patchbay weixin-login`, the host's external-command form): the iLink QR login
// (docs/protocols/weixin-ilink.md §1.5). Shipped beside the weixin plugin; the host links none
// of it. Creates a QR code, prints its content for the
// operator to scan with WeChat, polls its status until confirmed (wait → scaned → confirmed, with
// verify codes, redirects and up to three QR codes), then writes the bot token, base URL, account
// id and user id as JSON to FILE (mode 0600) for a channel config to use as
//   config: { credentials: "${file:FILE}" }
// The token is never printed. Blocking by design (a command-line tool): http_fetch_blocking with
// a deadline on every request, and an overall deadline (default 480 s, as the reference client).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <system_error>
#include <thread>

#include "patchbay/kit/http_client.hpp"
#include "weixin/proto/ilink_protocol.hpp"

namespace patchbay::weixin::login {
namespace {

using args = std::vector<std::string>;

void print_usage(bool to_stderr) {
  std::fprintf(to_stderr ? stderr : stdout,
               "usage: patchbay-weixin-login --out FILE [--base-url URL] [--timeout S] "
               "[--ca-file FILE]\n"
               "  Weixin (iLink) QR login; writes the bot credentials (mode 0600) for\n"
               "  `credentials: \"${file:FILE}\"` in a weixin channel's config.\n");
}

namespace wx = patchbay::weixin;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int max_qr_codes = 3;  // the first QR plus two refreshes (§1.5)

struct login_options {
  std::string base_url = "https://ilinkai.weixin.qq.com";
  std::string out;
  std::chrono::seconds timeout{480};
  std::string ca_file;
};

wx::client_identity identity() {
  wx::client_identity id;
  id.channel_version = PATCHBAY_VERSION;
  id.bot_agent = std::string("patchbay/") + PATCHBAY_VERSION;
  return id;
}

// The saved token of an earlier login to FILE, offered in local_token_list so the server can
// recognise an already-bound bot.
std::vector<std::string> previous_tokens(const std::string& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) return {};
  std::string text(std::size_t{64} * 1024, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), f));
  std::fclose(f);
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  const auto* t = v.as_object().if_contains("bot_token");
  if (t == nullptr || !t->is_string() || t->as_string().empty()) return {};
  return {std::string(t->as_string())};
}

bool write_credentials(const std::string& file, const boost::json::object& creds,
                       std::string& error) {
  const std::string tmp = file + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    const std::error_code why(errno, std::generic_category());
    error = "cannot create " + tmp + ": " + why.message();
    return false;
  }
  ::fchmod(fd, 0600);  // also when the file existed with wider permissions
  const std::string text = boost::json::serialize(creds) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), file.c_str()) != 0) {
    const std::error_code why(errno, std::generic_category());
    error = "cannot write " + file + ": " + why.message();
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

class qr_login {
 public:
  explicit qr_login(login_options o)
      : opt_(std::move(o)), host_(wx::normalize_base_url(opt_.base_url)) {}

  int run() {
    const auto deadline = clock_type::now() + opt_.timeout;
    int codes = 0;
    std::string verify_code;
    bool said_scanned = false;
    while (clock_type::now() < deadline) {
      if (qrcode_.empty()) {
        if (++codes > max_qr_codes)
          return fail("the QR code expired " + std::to_string(max_qr_codes) +
                      " times; run the command again");
        if (int rc = create_qr(); rc != 0) return rc;
        said_scanned = false;
      }
      const auto st = poll_status(verify_code, deadline);
      verify_code.clear();
      if (st.status == "confirmed") return confirmed(st);
      if (st.status == "scaned" && !said_scanned) {
        std::printf("Scanned. Confirm the login on the phone...\n");
        std::fflush(stdout);
        said_scanned = true;
      } else if (st.status == "need_verifycode") {
        std::fprintf(stderr, "Enter the digits shown on the phone: ");
        if (!std::getline(std::cin, verify_code) || verify_code.empty())
          return fail("a verification code is needed and none was entered");
        continue;  // re-poll at once with the code
      } else if (st.status == "expired" || st.status == "verify_code_blocked") {
        std::printf("%s; fetching a new QR code.\n",
                    st.status == "expired" ? "The QR code expired" : "Too many wrong codes");
        qrcode_.clear();
        continue;
      } else if (st.status == "scaned_but_redirect") {
        if (!st.redirect_host.empty()) {
          const bool tls = host_.rfind("https://", 0) == 0;
          poll_host_ = wx::normalize_base_url((tls ? "https://" : "http://") + st.redirect_host);
        }
      } else if (st.status == "binded_redirect") {
        std::printf(
            "This bot is already bound to this installation; the credentials in %s stay "
            "valid.\n",
            opt_.out.c_str());
        return std::filesystem::exists(opt_.out) ? 0
                                                 : fail("no earlier credentials at " + opt_.out);
      }
      std::this_thread::sleep_for(1s);
    }
    return fail("no confirmation within " + std::to_string(opt_.timeout.count()) + " s");
  }

 private:
  int fail(const std::string& why) {
    std::fprintf(stderr, "patchbay-weixin-login: %s\n", why.c_str());
    return 1;
  }

  int create_qr() {
    kit::http_client_request req;
    req.method = "POST";
    req.url = host_ + std::string(wx::path::get_bot_qrcode);
    std::mt19937 rng(std::random_device{}());
    for (auto& h : wx::post_headers(id_, "", static_cast<uint32_t>(rng())))
      req.headers.push_back(h);
    req.body = wx::get_bot_qrcode_body(previous_tokens(opt_.out));
    req.ca_file = opt_.ca_file;
    req.connect_timeout = 10s;
    req.total_timeout = 30s;
    std::string err;
    kit::http_client_response resp;
    kit::http_fetch_blocking(req, err, resp);
    if (!err.empty()) {
      std::fprintf(stderr, "patchbay-weixin-login: cannot reach %s: %s\n", host_.c_str(),
                   err.c_str());
      return 3;
    }
    if (resp.status != 200)
      return fail("get_bot_qrcode answered HTTP " + std::to_string(resp.status));
    std::string perr;
    auto qr = wx::parse_qrcode(resp.body, perr);
    if (!qr) return fail("get_bot_qrcode: " + perr);
    qrcode_ = qr->qrcode;
    poll_host_ = host_;
    std::printf(
        "Scan this QR code with WeChat (render the text below as a QR code, or open it):\n"
        "\n  %s\n\n",
        qr->img_content.empty() ? qr->qrcode.c_str() : qr->img_content.c_str());
    std::fflush(stdout);
    return 0;
  }

  wx::qr_status poll_status(const std::string& verify_code, clock_type::time_point deadline) {
    kit::http_client_request req;
    req.url = poll_host_ + std::string(wx::path::get_qrcode_status) +
              "?qrcode=" + wx::url_encode(qrcode_);
    if (!verify_code.empty()) req.url += "&verify_code=" + wx::url_encode(verify_code);
    for (auto& h : wx::get_headers(id_)) req.headers.push_back(h);
    req.ca_file = opt_.ca_file;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    const auto cap = std::clamp<std::chrono::milliseconds>(left, 1ms, 35'000ms);
    req.connect_timeout = std::min<std::chrono::milliseconds>(cap, 10s);
    req.first_byte_timeout = cap;
    req.total_timeout = cap;
    std::string err;
    kit::http_client_response resp;
    kit::http_fetch_blocking(req, err, resp);
    // Any network or HTTP error, and the client timeout, count as "wait" (§1.5).
    if (!err.empty() || resp.status != 200) return wx::qr_status{"wait", {}, {}, {}, {}, {}};
    return wx::parse_qr_status(resp.body);
  }

  int confirmed(const wx::qr_status& st) {
    if (st.bot_token.empty() || st.bot_id.empty())
      return fail("the login was confirmed without a bot token or bot id; try again");
    const std::string base = st.base_url.empty() ? opt_.base_url : st.base_url;
    boost::json::object creds{
        {"bot_token", st.bot_token},
        {"base_url", base},
        {"account_id", st.bot_id},
        {"user_id", st.user_id},
        {"saved_at_unix_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count()}};
    std::string err;
    if (!write_credentials(opt_.out, creds, err)) return fail(err);
    const std::string abs = std::filesystem::absolute(opt_.out).string();
    std::printf(
        "Logged in: account %s (user %s). Credentials written to %s (mode 0600).\n"
        "Use them in a channel:\n"
        "  channels:\n"
        "    - id: weixin\n"
        "      plugin: weixin\n"
        "      agent: echo\n"
        "      config:\n"
        "        credentials: \"${file:%s}\"\n",
        st.bot_id.c_str(), st.user_id.empty() ? "?" : st.user_id.c_str(), abs.c_str(), abs.c_str());
    return 0;
  }

  login_options opt_;
  wx::client_identity id_ = identity();
  std::string host_;
  std::string poll_host_;
  std::string qrcode_;
};

}  // namespace

int run(const args& in) {
  login_options o;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string& a = in[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= in.size()) throw std::invalid_argument(std::string(name) + " needs a value");
      return in[++i];
    };
    if (a == "--base-url") {
      o.base_url = value("--base-url");
    } else if (a == "--out") {
      o.out = value("--out");
    } else if (a == "--ca-file") {
      o.ca_file = value("--ca-file");
    } else if (a == "--timeout") {
      const std::string v = value("--timeout");
      try {
        o.timeout = std::chrono::seconds(std::stol(v));
      } catch (const std::exception&) {
        o.timeout = std::chrono::seconds(0);
      }
      if (o.timeout.count() <= 0) {
        std::fprintf(stderr,
                     "patchbay-weixin-login: --timeout needs a positive number of seconds\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "patchbay-weixin-login: unexpected argument '%s'\n", a.c_str());
      print_usage(true);
      return 2;
    }
  }
  if (o.out.empty()) {
    std::fprintf(stderr, "patchbay-weixin-login: --out FILE is required\n");
    print_usage(true);
    return 2;
  }
  if (o.base_url.rfind("http://", 0) != 0 && o.base_url.rfind("https://", 0) != 0) {
    std::fprintf(stderr, "patchbay-weixin-login: --base-url must start with http:// or https://\n");
    return 2;
  }
  return qr_login(std::move(o)).run();
}

}  // namespace patchbay::weixin::login

int main(int argc, char** argv) {
  const patchbay::weixin::login::args rest(argv + 1, argv + argc);
  for (const auto& a : rest) {
    if (a == "--help" || a == "-h") {
      patchbay::weixin::login::print_usage(false);
      return 0;
    }
  }
  try {
    return patchbay::weixin::login::run(rest);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "patchbay-weixin-login: %s\n", e.what());
    return 1;
  }
}
