// http_fetch / http_fetch_blocking against real loopback servers: the kit server, a socket that
// never answers, and a small OpenSSL server with a throw-away self-signed certificate.
#include "kit_test_support.hpp"

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace patchbay::kit;
using kit_test::fetch;
using kit_test::quick_request;
using kit_test::test_server;

TEST(KitHttpClient, ConnectionRefused) {
  io_runtime rt(1);
  auto r =
      fetch(rt, quick_request("http://127.0.0.1:" + std::to_string(kit_test::unused_port()) + "/"));
  ASSERT_TRUE(r.completed);
  EXPECT_EQ(r.error, "connection refused");
}

TEST(KitHttpClient, ConnectTimeoutWhenSynsAreDropped) {
  io_runtime rt(1);
  kit_test::silent_listener full(0);  // backlog 0: one queued connection fills it
  kit_test::raw_client filler(full.port());
  ASSERT_TRUE(filler.connected());
  auto req = quick_request("http://127.0.0.1:" + std::to_string(full.port()) + "/");
  req.connect_timeout = 200ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = fetch(rt, req);
  ASSERT_TRUE(r.completed);
  EXPECT_EQ(r.error, "connect timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
}

TEST(KitHttpClient, FirstByteTimeoutAgainstASilentServer) {
  io_runtime rt(1);
  kit_test::silent_listener silent;
  auto req = quick_request("http://127.0.0.1:" + std::to_string(silent.port()) + "/");
  req.first_byte_timeout = 200ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = fetch(rt, req);
  ASSERT_TRUE(r.completed);
  EXPECT_EQ(r.error, "first byte timeout");
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 4s);
}

TEST(KitHttpClient, FirstByteTimeoutAgainstAHandlerThatNeverAnswers) {
  std::mutex mtx;
  std::vector<std::shared_ptr<http_exchange>> parked;  // outlives the server: released at the end
  test_server env([&](std::shared_ptr<http_exchange> ex) {
    std::lock_guard lock(mtx);
    parked.push_back(std::move(ex));
  });
  auto req = quick_request(env.url("/never"));
  req.first_byte_timeout = 200ms;
  auto r = fetch(env.rt, req);
  EXPECT_EQ(r.error, "first byte timeout");
}

TEST(KitHttpClient, TotalTimeout) {
  std::mutex mtx;
  std::vector<std::shared_ptr<http_exchange>> parked;
  test_server env([&](std::shared_ptr<http_exchange> ex) {
    std::lock_guard lock(mtx);
    parked.push_back(std::move(ex));
  });
  auto req = quick_request(env.url("/never"));
  req.total_timeout = 300ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = fetch(env.rt, req);
  EXPECT_EQ(r.error, "total timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
}

TEST(KitHttpClient, IdleTimeoutBetweenBodyReads) {
  std::mutex mtx;
  std::vector<std::shared_ptr<http_stream>> streams;
  test_server env([&](std::shared_ptr<http_exchange> ex) {
    auto s = ex->start_stream(200, "text/plain");
    s->write("first piece");
    std::lock_guard lock(mtx);
    streams.push_back(std::move(s));  // then silence
  });
  auto req = quick_request(env.url("/stall"));
  req.idle_timeout = 200ms;
  auto r = fetch(env.rt, req);
  EXPECT_EQ(r.error, "idle timeout");
  EXPECT_EQ(r.response.status, 200u);  // the header had arrived
}

TEST(KitHttpClient, BodyTooLarge) {
  test_server env([](std::shared_ptr<http_exchange> ex) {
    if (ex->request().path == "/fixed") {
      http_response res;
      res.body = std::string(1000, 'b');
      ex->respond(std::move(res));
    } else {
      auto s = ex->start_stream(200, "text/plain");
      for (int i = 0; i < 3; ++i) s->write(std::string(100, 'c'));
      s->close();
    }
  });
  auto req = quick_request(env.url("/fixed"));
  req.max_body_bytes = 100;
  EXPECT_EQ(fetch(env.rt, req).error, "body too large");
  auto chunked = quick_request(env.url("/chunked"));
  chunked.max_body_bytes = 150;
  EXPECT_EQ(fetch(env.rt, chunked).error, "body too large");
  chunked.max_body_bytes = 300;
  auto ok = fetch(env.rt, chunked);
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.response.body, std::string(300, 'c'));
}

TEST(KitHttpClient, ChunkCallbackCanAbort) {
  test_server env([](std::shared_ptr<http_exchange> ex) {
    http_response res;
    res.body = std::string(100000, 'a');
    ex->respond(std::move(res));
  });
  auto req = quick_request(env.url("/"));
  std::size_t seen = 0;
  req.on_body_chunk = [&](std::string_view piece) {
    seen += piece.size();
    return false;
  };
  auto r = fetch(env.rt, req);
  EXPECT_EQ(r.error, "aborted");
  EXPECT_GT(seen, 0u);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(r.calls, 1);
}

TEST(KitHttpClient, HeadCallbackSeesTheStatusBeforeAnyBodyAndCanRefuseIt) {
  test_server env([](std::shared_ptr<http_exchange> ex) {
    http_response res;
    res.status = ex->request().path == "/missing" ? 404 : 200;
    res.headers.emplace_back("x-why", "because");
    res.body = std::string(5000, 'b');
    ex->respond(std::move(res));
  });
  for (const char* path : {"/missing", "/ok"}) {
    auto req = quick_request(env.url(path));
    unsigned head_status = 0;
    std::string why;
    std::size_t streamed = 0;
    req.on_head = [&](unsigned status, const http_headers& headers) {
      head_status = status;
      why = std::string(find_header(headers, "x-why"));
      return status == 200;  // keep only a 200's body
    };
    req.on_body_chunk = [&](std::string_view piece) {
      streamed += piece.size();
      return true;
    };
    auto r = fetch(env.rt, req);
    EXPECT_EQ(why, "because");
    if (std::string(path) == "/missing") {
      EXPECT_EQ(r.error, "aborted");
      EXPECT_EQ(r.response.status, 404u);  // status and headers reach the callback all the same
      EXPECT_EQ(head_status, 404u);
      EXPECT_EQ(streamed, 0u);
    } else {
      EXPECT_EQ(r.error, "");
      EXPECT_EQ(head_status, 200u);
      EXPECT_EQ(streamed, 5000u);
    }
  }
}

TEST(KitHttpClient, HeadRequestDoesNotWaitForABody) {
  test_server env([](std::shared_ptr<http_exchange> ex) {
    http_response res;
    res.body = "0123456789";
    ex->respond(std::move(res));
  });
  auto req = quick_request(env.url("/"));
  req.method = "HEAD";
  req.first_byte_timeout = 3s;
  auto r = fetch(env.rt, req);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_EQ(r.response.header("content-length"), "10");
  EXPECT_EQ(r.response.body, "");
}

TEST(KitHttpClient, BadUrls) {
  io_runtime rt(1);
  for (const char* url :
       {"ftp://example.com/", "http://", "http:///path", "example.com/x", "http://host:99999/",
        "http://host:0/", "http://[::1/", "http://::1/", "http://user@host/", "http://host:/"}) {
    auto r = fetch(rt, quick_request(url));
    ASSERT_TRUE(r.completed) << url;
    EXPECT_EQ(r.error.rfind("bad url: ", 0), 0u) << url << " -> " << r.error;
    EXPECT_EQ(r.calls, 1);
  }
  std::string error;
  http_client_response response;
  http_fetch_blocking(quick_request("gopher://x/"), error, response);
  EXPECT_EQ(error.rfind("bad url: ", 0), 0u) << error;
}

TEST(KitHttpClient, BlockingFetch) {
  test_server env([](std::shared_ptr<http_exchange> ex) {
    http_response res;
    res.body = "blocking " + ex->request().query;
    ex->respond(std::move(res));
  });
  std::string error = "unset";
  http_client_response response;
  http_fetch_blocking(quick_request(env.url("/b?x=1")), error, response);
  EXPECT_EQ(error, "");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, "blocking x=1");

  http_fetch_blocking(
      quick_request("http://127.0.0.1:" + std::to_string(kit_test::unused_port()) + "/"), error,
      response);
  EXPECT_EQ(error, "connection refused");
}

// What `done` saw; it is called on the test's own thread in the tests below.
struct done_record {
  std::atomic<int> calls{0};
  std::string error;
  unsigned status = 999;
  std::thread::id thread;
  http_client_callback callback() {
    return [this](std::string e, http_client_response r) {
      error = std::move(e);
      status = r.status;
      thread = std::this_thread::get_id();
      ++calls;
    };
  }
};

TEST(KitHttpClient, StoppingTheRuntimeAbortsAPendingRequest) {
  // The server runs on its own runtime and never answers.
  std::mutex mtx;
  std::vector<std::shared_ptr<http_exchange>> parked;
  std::promise<void> arrived;
  test_server env([&](std::shared_ptr<http_exchange> ex) {
    std::lock_guard lock(mtx);
    parked.push_back(std::move(ex));
    if (parked.size() == 1) arrived.set_value();
  });
  auto rt = std::make_unique<io_runtime>(2);
  done_record rec;
  auto req = quick_request(env.url("/never"));
  req.first_byte_timeout = 60s;
  req.total_timeout = 60s;
  http_fetch(*rt, req, rec.callback());
  ASSERT_EQ(arrived.get_future().wait_for(5s), std::future_status::ready);  // in flight
  EXPECT_EQ(rec.calls.load(), 0);

  rt->stop();
  EXPECT_EQ(rec.calls.load(), 1);
  EXPECT_EQ(rec.error, "aborted");
  EXPECT_EQ(rec.status, 0u);
  EXPECT_EQ(rec.thread, std::this_thread::get_id());  // from the thread that stopped the runtime
  rt.reset();
  EXPECT_EQ(rec.calls.load(), 1);
}

TEST(KitHttpClient, DestroyingTheRuntimeAbortsAPendingRequest) {
  kit_test::silent_listener silent;
  done_record rec;
  {
    io_runtime rt(1);
    auto req = quick_request("http://127.0.0.1:" + std::to_string(silent.port()) + "/");
    req.first_byte_timeout = 60s;
    req.total_timeout = 60s;
    http_fetch(rt, req, rec.callback());
    std::this_thread::sleep_for(100ms);  // connected, waiting for the first byte
    EXPECT_EQ(rec.calls.load(), 0);
  }
  EXPECT_EQ(rec.calls.load(), 1);
  EXPECT_EQ(rec.error, "aborted");
  EXPECT_EQ(rec.thread, std::this_thread::get_id());
}

TEST(KitHttpClient, FetchOnAStoppedRuntimeCompletesAtOnce) {
  auto rt = std::make_unique<io_runtime>(1);
  rt->stop();
  done_record rec;
  http_fetch(*rt,
             quick_request("http://127.0.0.1:" + std::to_string(kit_test::unused_port()) + "/"),
             rec.callback());
  EXPECT_EQ(rec.calls.load(), 1);  // before http_fetch returned
  EXPECT_EQ(rec.error, "aborted");
  done_record bad;
  http_fetch(*rt, quick_request("ftp://x/"), bad.callback());
  EXPECT_EQ(bad.calls.load(), 1);
  EXPECT_EQ(bad.error.rfind("bad url: ", 0), 0u) << bad.error;
  rt.reset();
  EXPECT_EQ(rec.calls.load(), 1);
  EXPECT_EQ(bad.calls.load(), 1);
}

TEST(KitHttpClient, ResolvesLocalhost) {
  test_server env([](std::shared_ptr<http_exchange> ex) { ex->respond({}); });
  const auto port = kit_test::port_of(env.server->local_endpoint());
  auto r = fetch(env.rt, quick_request("http://localhost:" + std::to_string(port) + "/"));
  // localhost may resolve to ::1 first; the client must fall back to 127.0.0.1.
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 200u);
}

// --- TLS ---------------------------------------------------------------------------------------

struct ssl_deleter {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

// One-connection-at-a-time TLS server answering "200 tls ok" to anything.
class tls_server {
 public:
  tls_server() {
    key_.reset(EVP_EC_gen("P-256"));
    cert_.reset(X509_new());
    X509_set_version(cert_.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert_.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert_.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert_.get()), 3600);
    X509_set_pubkey(cert_.get(), key_.get());
    X509_NAME* name = X509_get_subject_name(cert_.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("patchbay-test"), -1, -1, 0);
    X509_set_issuer_name(cert_.get(), name);
    add_ext(NID_basic_constraints, "critical,CA:TRUE");
    add_ext(NID_subject_alt_name, "IP:127.0.0.1");
    X509_sign(cert_.get(), key_.get(), EVP_sha256());

    ctx_.reset(SSL_CTX_new(TLS_server_method()));
    SSL_CTX_use_certificate(ctx_.get(), cert_.get());
    SSL_CTX_use_PrivateKey(ctx_.get(), key_.get());

    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 8);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~tls_server() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    if (!ca_path_.empty()) std::remove(ca_path_.c_str());
  }

  unsigned short port() const { return port_; }

  // The certificate as a PEM file, to be trusted through ca_file.
  std::string ca_file() {
    if (ca_path_.empty()) {
      ca_path_ = testing::TempDir() + "kit_tls_ca_" + std::to_string(::getpid()) + "_" +
                 std::to_string(port_) + ".pem";
      FILE* f = std::fopen(ca_path_.c_str(), "w");
      PEM_write_X509(f, cert_.get());
      std::fclose(f);
    }
    return ca_path_;
  }

 private:
  void add_ext(int nid, const char* value) {
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert_.get(), cert_.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(cert_.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }

  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{2, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      SSL* ssl = SSL_new(ctx_.get());
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) == 1) {
        std::string request;
        char buf[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
          const int n = SSL_read(ssl, buf, sizeof buf);
          if (n <= 0) break;
          request.append(buf, static_cast<std::size_t>(n));
        }
        const std::string reply =
            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\ntls ok";
        SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
        SSL_shutdown(ssl);
      }
      SSL_free(ssl);
      ::close(c);
      ERR_clear_error();
    }
  }

  std::unique_ptr<EVP_PKEY, ssl_deleter> key_;
  std::unique_ptr<X509, ssl_deleter> cert_;
  std::unique_ptr<SSL_CTX, ssl_deleter> ctx_;
  int fd_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::string ca_path_;
};

TEST(KitHttpClientTls, UnverifiableServerIsRejected) {
  tls_server tls;
  io_runtime rt(1);
  auto r = fetch(rt, quick_request("https://127.0.0.1:" + std::to_string(tls.port()) + "/"));
  ASSERT_TRUE(r.completed);
  EXPECT_EQ(r.error.rfind("tls", 0), 0u) << r.error;
  EXPECT_NE(r.error.find("verify"), std::string::npos) << r.error;
}

TEST(KitHttpClientTls, TrustedThroughCaFile) {
  tls_server tls;
  io_runtime rt(1);
  auto req = quick_request("https://127.0.0.1:" + std::to_string(tls.port()) + "/secure");
  req.ca_file = tls.ca_file();
  auto r = fetch(rt, req);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_EQ(r.response.body, "tls ok");
}

TEST(KitHttpClientTls, HostNameMismatchIsRejected) {
  tls_server tls;  // certificate names IP 127.0.0.1 only
  io_runtime rt(1);
  auto req = quick_request("https://localhost:" + std::to_string(tls.port()) + "/");
  req.ca_file = tls.ca_file();
  auto r = fetch(rt, req);
  EXPECT_EQ(r.error.rfind("tls: ", 0), 0u) << r.error;
  // (localhost may first try ::1, refused, then 127.0.0.1 whose certificate does not match.)
}

TEST(KitHttpClientTls, MissingCaFileIsATlsError) {
  tls_server tls;
  io_runtime rt(1);
  auto req = quick_request("https://127.0.0.1:" + std::to_string(tls.port()) + "/");
  req.ca_file = "/nonexistent/ca.pem";
  auto r = fetch(rt, req);
  EXPECT_EQ(r.error.rfind("tls: ", 0), 0u) << r.error;
}

TEST(KitHttpClientTls, PlainHttpServerFailsTheHandshake) {
  test_server env([](std::shared_ptr<http_exchange> ex) { ex->respond({}); });
  auto r = fetch(env.rt, quick_request("https://" + env.server->local_endpoint() + "/"));
  EXPECT_EQ(r.error.rfind("tls: ", 0), 0u) << r.error;
}

}  // namespace
