#include "api/server_options.hpp"

#include "api/auth.hpp"
#include "api/proactive_send.hpp"

namespace patchbay::api {

kit::http_server_options api_server_options(const api_context& ctx,
                                            const config::host_config& host) {
  kit::http_server_options o;
  o.listen = host.listen;
  // Everything takes at most max_body_bytes (1 MiB) but the proactive sends' long reports; chosen
  // by the path, whatever the query.
  o.max_body_bytes_for = [default_limit = o.max_body_bytes](std::string_view method,
                                                            std::string_view path) {
    return method == "POST" && path == "/v1/messages" ? proactive_max_body_bytes : default_limit;
  };
  // Bearer tokens checked on the header alone, before any body byte is read.
  o.screen = make_api_screen(ctx);
  o.max_total_body_bytes = host.http.max_total_body_bytes;
  o.max_connections = host.http.max_connections;
  o.max_connections_per_client = host.http.max_connections_per_client;
  o.reserve_connections = host.http.reserve_connections;
  o.priority_paths = priority_paths();
  return o;
}

}  // namespace patchbay::api
