// The media service (host/src/media/): ids (unguessable, stable per turn, expiring), the lazy
// download through the plugin shared by concurrent requests, its deadline and size cap, and the
// answers for what cannot be served. Injected clock, scheduler and plugin; a temp directory.
#include "media_test_env.hpp"

namespace media_test {
namespace {

TEST(MediaIds, UnguessableStablePerTurnAndExpiring) {
  media::id_book a(std::string(64, 'a')), b(std::string(64, 'b'));
  media::source src;
  const std::string id = a.mint("ch:ev1", 0, src, 2000, 1000);
  EXPECT_EQ(id.size(), 32U);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  // Same secret, same turn and index: the same id (a turn run again after a restart).
  EXPECT_EQ(media::id_book(std::string(64, 'a')).mint("ch:ev1", 0, src, 2000, 1000), id);
  EXPECT_NE(a.mint("ch:ev1", 1, src, 2000, 1000), id);
  EXPECT_NE(a.mint("ch:ev2", 0, src, 2000, 1000), id);
  EXPECT_NE(b.mint("ch:ev1", 0, src, 2000, 1000), id);  // another host's secret
  EXPECT_TRUE(a.find(id, 1999));
  EXPECT_FALSE(a.find(id, 2000));  // expired: forgotten
  EXPECT_FALSE(a.find(id, 1000));
  EXPECT_NE(media::random_secret(), media::random_secret());
  EXPECT_EQ(media::random_secret().size(), 64U);
}

TEST(MediaIds, BoundedDroppingThoseExpiringFirst) {
  media::id_book book(std::string(64, 'a'), 2);
  const std::string first = book.mint("t1", 0, {}, 5000, 0);
  const std::string second = book.mint("t2", 0, {}, 9000, 0);
  const std::string third = book.mint("t3", 0, {}, 7000, 0);
  EXPECT_EQ(book.size(), 2U);
  EXPECT_FALSE(book.find(first, 1));
  EXPECT_TRUE(book.find(second, 1));
  EXPECT_TRUE(book.find(third, 1));
}

TEST(MediaService, ConcurrentRequestsShareOneDownloadThenTheCacheServes) {
  world w;
  w.make();
  const std::string id = w.mint("ch:ev1");
  std::vector<media::reply> first, second, third;
  w.get(id, first);
  w.get(id, second);
  ASSERT_EQ(w.calls.size(), 1U);  // one download for both
  EXPECT_TRUE(first.empty());
  EXPECT_EQ(w.calls[0].req.src.attachment.id, "key-ch:ev1");
  EXPECT_EQ(w.calls[0].req.src.message_id, "msg-ch:ev1");
  EXPECT_EQ(w.calls[0].req.max_bytes, 1000U);
  EXPECT_EQ(fs::path(w.calls[0].req.dest_path).parent_path(), fs::path(w.cfg.cache_dir));
  w.complete(0, "PNGBYTES", PB_OK, "image/png");
  ASSERT_EQ(first.size(), 1U);
  ASSERT_EQ(second.size(), 1U);
  for (const auto* r : {&first[0], &second[0]}) {
    EXPECT_EQ(r->status, 200U);
    EXPECT_EQ(r->content_type, "image/png");
    EXPECT_EQ(read_file(r->body_file), "PNGBYTES");
  }
  EXPECT_EQ(w.svc->counts().cache_files.load(), 1U);
  EXPECT_EQ(w.svc->counts().cache_bytes.load(), 8U);
  w.get(id, third);
  EXPECT_EQ(w.calls.size(), 1U);  // a cache hit: no second download
  ASSERT_EQ(third.size(), 1U);
  EXPECT_EQ(read_file(third[0].body_file), "PNGBYTES");
  EXPECT_EQ(w.svc->counts().served.load(), 3U);
}

TEST(MediaService, UnknownExpiredAndUnsupported) {
  world w;
  w.make();
  std::vector<media::reply> out;
  w.get(std::string(32, '0'), out);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].status, 404U);
  const std::string id = w.mint("ch:ev1");
  w.advance(30'000);  // url_ttl from the turn's start
  w.get(id, out);
  EXPECT_EQ(out.back().status, 404U);
  EXPECT_TRUE(w.calls.empty());
  w.start_answer = media::fetch_start::unsupported;
  w.get(w.mint("ch:ev2"), out);
  EXPECT_EQ(out.back().status, 501U);
  EXPECT_NE(out.back().body.find("fetch_attachment"), std::string::npos);
  w.start_answer = media::fetch_start::not_running;
  w.get(w.mint("ch:ev3"), out);
  EXPECT_EQ(out.back().status, 503U);
}

TEST(MediaService, DeadlineAnswers504AndTheLateDownloadIsDiscarded) {
  world w;
  w.make();
  const std::string id = w.mint("ch:ev1");
  std::vector<media::reply> out;
  w.get(id, out);
  w.advance(4999);
  EXPECT_TRUE(out.empty());
  w.advance(1);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].status, 504U);
  EXPECT_EQ(w.svc->counts().fetch_timeouts.load(), 1U);
  const std::string late_path = w.calls[0].req.dest_path;
  w.complete(0, "LATE");
  EXPECT_EQ(out.size(), 1U);            // nobody hears of it
  EXPECT_FALSE(fs::exists(late_path));  // its file is gone
  EXPECT_EQ(w.svc->counts().cache_files.load(), 0U);
  w.get(id, out);  // a new request downloads again
  ASSERT_EQ(w.calls.size(), 2U);
  w.complete(1, "FRESH");
  EXPECT_EQ(out.back().status, 200U);
  EXPECT_EQ(read_file(out.back().body_file), "FRESH");
}

TEST(MediaService, SizeCap) {
  world w;
  w.make();
  std::vector<media::reply> out;
  w.get(w.mint("ch:big", 1001), out);  // the platform said it is too big: no download
  EXPECT_EQ(out.back().status, 413U);
  EXPECT_TRUE(w.calls.empty());
  w.get(w.mint("ch:ev1"), out);  // the plugin wrote more than the cap
  w.complete(0, std::string(1001, 'x'));
  EXPECT_EQ(out.back().status, 413U);
  EXPECT_FALSE(fs::exists(w.calls[0].req.dest_path));
  w.get(w.mint("ch:ev2"), out);  // the plugin stopped at the cap
  w.complete(1, "", PB_ERR_INVALID_INPUT);
  EXPECT_EQ(out.back().status, 413U);
  w.get(w.mint("ch:ev3"), out);  // exactly the cap is fine
  w.complete(2, std::string(1000, 'y'));
  EXPECT_EQ(out.back().status, 200U);
  EXPECT_EQ(w.svc->counts().too_large.load(), 3U);
}

TEST(MediaService, PlatformErrorsBecomeAnswers) {
  world w;
  w.make();
  std::vector<media::reply> out;
  w.get(w.mint("ch:ev1"), out);
  w.complete(0, "", PB_ERR_NOT_FOUND);
  EXPECT_EQ(out.back().status, 404U);
  w.get(w.mint("ch:ev2"), out);
  w.complete(1, "", PB_ERR_RETRYABLE);
  EXPECT_EQ(out.back().status, 502U);
  EXPECT_FALSE(fs::exists(w.calls[1].req.dest_path));
}

TEST(MediaService, CacheIsBoundedAndExpiresOnATimerOnlyWhileItHoldsFiles) {
  world w;
  w.make();
  EXPECT_TRUE(w.sched.timers.empty());  // an empty cache schedules nothing
  std::vector<media::reply> out;
  const std::string a = w.mint("ch:a"), b = w.mint("ch:b"), c = w.mint("ch:c");
  w.get(a, out);
  w.complete(0, std::string(1000, 'a'));
  w.advance(1000);
  w.get(b, out);
  w.complete(1, std::string(1000, 'b'));
  const std::string a_path = out[0].body_file;
  w.advance(1000);
  w.get(a, out);  // a used again: b is now the least recently used
  EXPECT_EQ(w.calls.size(), 2U);
  w.get(c, out);
  w.complete(2, std::string(1000, 'c'));  // 3000 > 2500: b goes
  EXPECT_EQ(w.svc->counts().cache_files.load(), 2U);
  EXPECT_EQ(w.svc->counts().cache_bytes.load(), 2000U);
  EXPECT_TRUE(fs::exists(a_path));
  w.get(b, out);
  EXPECT_EQ(w.calls.size(), 4U);          // b had to be downloaded again
  w.complete(3, std::string(1000, 'b'));  // a (least recently used now) goes
  EXPECT_FALSE(fs::exists(a_path));
  EXPECT_EQ(w.sched.timers.size(), 1U);  // one sweep timer, at the oldest file's expiry
  w.advance(60'000);                     // c and b expire (cache_ttl 60 s)
  EXPECT_EQ(w.svc->counts().cache_files.load(), 0U);
  EXPECT_TRUE(w.sched.timers.empty());  // nothing left: no timer
  size_t left = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(w.cfg.cache_dir)) ++left;
  EXPECT_EQ(left, 0U);
}

TEST(MediaService, OpenClearsWhatAnEarlierRunLeft) {
  world w;
  fs::create_directories(w.cfg.cache_dir);
  write_file(w.cfg.cache_dir + "/old.media", "x");
  write_file(w.cfg.cache_dir + "/old.1.part", "x");
  write_file(w.cfg.cache_dir + "/keep.txt", "x");
  w.make();
  EXPECT_FALSE(fs::exists(w.cfg.cache_dir + "/old.media"));
  EXPECT_FALSE(fs::exists(w.cfg.cache_dir + "/old.1.part"));
  EXPECT_TRUE(fs::exists(w.cfg.cache_dir + "/keep.txt"));
}

TEST(MediaService, ContentDisposition) {
  EXPECT_EQ(media::content_disposition("a.png"), "attachment; filename=\"a.png\"");
  EXPECT_EQ(media::content_disposition("报告 \"x\".pdf"),
            "attachment; filename=\"______ _x_.pdf\"; filename*=UTF-8''"
            "%E6%8A%A5%E5%91%8A%20%22x%22.pdf");
}

}  // namespace
}  // namespace media_test
