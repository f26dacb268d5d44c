#pragma once

#include <string_view>

#include "api/http/router.hpp"

namespace herald {

// The files herald serves as they are, compiled in as raw strings (cmake/embed_text.cmake), so
// the binary needs nothing beside it.

/// The OpenAPI 3.1 document of the REST and SSE API: api/http/openapi.json.
/// tests/api/api_docs_test.cpp checks that it lists exactly the router's routes.
std::string_view openapi_json();

/// The page at /api/docs: api/http/api_docs.html, which renders openapi_json() in the browser.
std::string_view api_docs_html();

/// The web console at /: api/http/console/ (see docs/console.md).
std::string_view console_html();
std::string_view console_js();
std::string_view console_css();

/// A file served as it is.
struct static_asset {
  std::string_view body;
  std::string_view content_type;
};

/// The file that route `kind` serves, or nullptr when it serves none.
const static_asset* static_asset_of(route_kind kind);

}  // namespace herald
