#include "api/http/static_assets.hpp"

namespace herald {

const static_asset* static_asset_of(route_kind kind) {
  static const static_asset api_docs{api_docs_html(), "text/html; charset=utf-8"};
  static const static_asset openapi{openapi_json(), "application/json"};
  static const static_asset console{console_html(), "text/html; charset=utf-8"};
  static const static_asset script{console_js(), "text/javascript; charset=utf-8"};
  static const static_asset style{console_css(), "text/css; charset=utf-8"};
  switch (kind) {
    case route_kind::api_docs:
      return &api_docs;
    case route_kind::openapi:
      return &openapi;
    case route_kind::console:
      return &console;
    case route_kind::console_script:
      return &script;
    case route_kind::console_style:
      return &style;
    default:
      return nullptr;
  }
}

}  // namespace herald
