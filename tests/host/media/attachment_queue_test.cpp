// Attachment ops in the durable outbound queue (state/outbound_queue.hpp, SQLite engine): the
// kind, the payload's file and the row's spool file survive a reopen; the spool file is deleted
// once the row's removal is durable (and not before, nor for a row that stays dead); a database
// written before attachment ops (no spool_path column) opens, keeps its rows and takes new ones.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "messages/messages.hpp"
#include "state/store.hpp"

namespace {
using namespace patchbay;
using namespace patchbay::state;
namespace fs = std::filesystem;

struct AttachmentQueue : ::testing::Test {
  fs::path dir =
      fs::temp_directory_path() / ("pb_media_q_" + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::path spool = dir / "media-out" / "0123abcd.png";
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir / "media-out");
    std::ofstream(spool) << "PNGDATA";
  }
  void TearDown() override { fs::remove_all(dir); }
  std::unique_ptr<store> open() { return open_sqlite_store((dir / "state.db").string()); }

  outbound_row attachment_row() {
    messages::outbound_op op;
    op.send.conversation_id = "chat-1";
    op.send.turn_id = "ch:e1";
    op.send.attachment = messages::outbound_attachment{
        "image", "a.png", "image/png", spool.string(), "d41d8cd98f00b204e9800998ecf8427e", 7};
    outbound_row r;
    r.instance = "ch";
    r.ordering_key =
        "ch\x1f"
        "chat-1";
    r.turn_id = "ch:e1";
    r.kind = outbound_kind::attachment;
    r.payload = messages::to_json(op);
    r.idempotency_key = "ch:e1#2";
    r.spool_path = spool.string();
    return r;
  }
};

int64_t enqueue_sync(outbound_queue& q, outbound_row r) {
  std::promise<std::string> p;
  int64_t id = q.enqueue(std::move(r), [&](const std::string& e) { p.set_value(e); });
  EXPECT_EQ(p.get_future().get(), "");
  return id;
}

void remove_sync(outbound_queue& q, int64_t id) {
  std::promise<std::string> p;
  q.remove(id, [&](const std::string& e) { p.set_value(e); });
  EXPECT_EQ(p.get_future().get(), "");
}

TEST_F(AttachmentQueue, AnAttachmentOpSurvivesAReopenWithItsFile) {
  int64_t id = 0;
  {
    auto s = open();
    id = enqueue_sync(s->outbound(), attachment_row());
  }
  auto s = open();
  auto row = s->outbound().row(id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->kind, outbound_kind::attachment);
  EXPECT_STREQ(to_string(row->kind), "attachment");
  EXPECT_EQ(row->spool_path, spool.string());
  std::string err;
  auto op = messages::outbound_op_from_json(row->payload, &err);
  ASSERT_TRUE(op) << err;
  ASSERT_TRUE(op->send.attachment);
  EXPECT_EQ(op->send.attachment->path, spool.string());
  EXPECT_EQ(op->send.attachment->size, 7u);
  EXPECT_TRUE(fs::exists(spool));  // the row still owns it
}

TEST_F(AttachmentQueue, RemovingTheRowDeletesItsSpoolFileButADeadRowKeepsIt) {
  auto s = open();
  auto& q = s->outbound();
  int64_t id = enqueue_sync(q, attachment_row());
  auto dead = *q.row(id);
  dead.state = outbound_state::dead;
  dead.last_error = "retryable: down";
  std::promise<std::string> p;
  q.update(dead, [&](const std::string& e) { p.set_value(e); });
  EXPECT_EQ(p.get_future().get(), "");
  EXPECT_TRUE(fs::exists(spool));  // a dead letter can still be retried
  remove_sync(q, id);
  EXPECT_FALSE(fs::exists(spool));
  // A text row removes nothing.
  outbound_row text;
  text.instance = "ch";
  text.ordering_key = "k";
  text.payload = "{}";
  std::ofstream(dir / "media-out" / "other") << "x";
  remove_sync(q, enqueue_sync(q, text));
  EXPECT_TRUE(fs::exists(dir / "media-out" / "other"));
}

TEST_F(AttachmentQueue, ADatabaseFromBeforeAttachmentsOpensAndKeepsItsRows) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "state.db").string().c_str(), &db), SQLITE_OK);
    // outbound_ops as earlier versions created it: no spool_path column.
    const char* old_schema =
        "CREATE TABLE outbound_ops (id INTEGER PRIMARY KEY, instance TEXT NOT NULL, "
        "ordering_key TEXT NOT NULL, turn_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "payload TEXT NOT NULL, idempotency_key TEXT NOT NULL, state TEXT NOT NULL, "
        "attempts INTEGER NOT NULL, next_attempt_unix_ms INTEGER NOT NULL, "
        "last_error TEXT NOT NULL, created_unix_ms INTEGER NOT NULL);"
        "INSERT INTO outbound_ops VALUES(7, 'ch', 'k', 'ch:e0', 'send', "
        "'{\"op\":\"send\",\"text\":\"old\"}', 'ch:e0#1', 'pending', 0, 0, '', 1000);";
    ASSERT_EQ(sqlite3_exec(db, old_schema, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  int64_t id = 0;
  {
    auto s = open();
    auto old = s->outbound().row(7);
    ASSERT_TRUE(old);
    EXPECT_EQ(old->kind, outbound_kind::send);
    EXPECT_EQ(old->spool_path, "");
    id = enqueue_sync(s->outbound(), attachment_row());
    EXPECT_GT(id, 7);
  }
  auto s = open();  // the migrated file opens again as it is
  EXPECT_TRUE(s->outbound().row(7));
  ASSERT_TRUE(s->outbound().row(id));
  EXPECT_EQ(s->outbound().row(id)->spool_path, spool.string());
}

}  // namespace
