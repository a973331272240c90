// The hand-over of an upgraded HTTP connection to its WebSocket session (private header: kit/src
// only). http_connection.cpp calls these once ws_accept() answered a request; ws_server.cpp
// defines them.
#pragma once

#include "http_server_detail.hpp"

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>

namespace patchbay::kit::server_detail {

using upgrade_request = boost::beast::http::request<boost::beast::http::string_body>;

// On the connection's strand, which becomes the session's. Sends the 101 and runs the session; it
// registers with the server (and holds `drain`, and the connection's admission `slot`) like any
// connection.
void start_ws_session(std::shared_ptr<server_core> core, std::shared_ptr<drain_token> drain,
                      std::shared_ptr<admission_slot> slot, std::shared_ptr<ws_upgrade> up,
                      boost::beast::tcp_stream stream, upgrade_request req);
void start_ws_session(std::shared_ptr<server_core> core, std::shared_ptr<drain_token> drain,
                      std::shared_ptr<admission_slot> slot, std::shared_ptr<ws_upgrade> up,
                      boost::beast::ssl_stream<boost::beast::tcp_stream> stream,
                      upgrade_request req);

// The upgrade cannot happen (the connection went away, the server is stopping): the session's
// on_close is called with `why` (once; later settling is ignored).
void fail_upgrade(ws_upgrade& up, const char* why);

}  // namespace patchbay::kit::server_detail
