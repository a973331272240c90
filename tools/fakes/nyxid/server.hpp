// patchbay-fake-nyxid: the network side. Serves fake_nyxid over the kit HTTP server and delivers
// the inbound driver's callbacks with the kit HTTP client (connect 5 s, total = the
// callback_timeout_ms knob, 30 s by default, as NyxID's CHANNEL_RELAY_CALLBACK_TIMEOUT_SECS).
//
// The control request that injected a message is answered when its callback completes, with the
// bot's status. Delayed answers (fault "delay") wait on kit timers, never on a thread. A dropped
// answer is a response whose header block no HTTP parser accepts (the kit server cannot reset a
// connection): the client sees a transport error without a status. One mutex serializes
// fake_nyxid and the held exchanges; nothing slow runs under it.
//
// Thread safety: start/stop from one thread; everything else runs on the runtime's threads.
#pragma once

#include <string>

#include "fake_nyxid.hpp"
#include "fake_server.hpp"

namespace patchbay::fakes::nyxid {

// start() binds and sets the fake's base URL; stop() answers nothing more
// (common::fake_http_server).
class nyxid_server : public common::fake_http_server {
 public:
  nyxid_server(kit::io_runtime& rt, fake_nyxid& fake, std::string listen);
};

}  // namespace patchbay::fakes::nyxid
