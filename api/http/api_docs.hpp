#pragma once

#include <string_view>

namespace herald {

/// The OpenAPI 3.1 document of the REST and SSE API: api/http/openapi.json, embedded at build
/// time. tests/api/api_docs_test.cpp checks that it lists exactly the router's routes.
std::string_view openapi_json();

/// The page at /api/docs: api/http/api_docs.html, which renders openapi_json() in the browser.
std::string_view api_docs_html();

}  // namespace herald
