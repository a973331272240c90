// One http_fetch request in flight (private header: kit/src only); see http_fetch_op.cpp.
#pragma once

#include "patchbay/kit/http_client.hpp"
#include "url.hpp"

#include <boost/asio/any_io_executor.hpp>

namespace patchbay::kit::detail {

class runtime_context;

// Runs `req` to `url` on `ex` (a strand of the runtime's io_context, or a private io_context for
// http_fetch_blocking: then `rc` is null and nothing is pooled). `done` is called exactly once.
void start_fetch(const boost::asio::any_io_executor& ex, runtime_context* rc,
                 http_client_request req, parsed_url url, http_client_callback done);

}  // namespace patchbay::kit::detail
