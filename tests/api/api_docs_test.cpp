#include <regex>
#include <set>
#include <string>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "api/http/router.hpp"
#include "api/http/static_assets.hpp"

using namespace herald;

namespace {

using route = std::pair<std::string, std::string>;  // method, path with `{}` for each parameter

std::set<route> documented_routes() {
  rapidjson::Document doc;
  auto text = openapi_json();
  doc.Parse(text.data(), text.size());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), "api/http/openapi.json is not JSON");
  std::set<route> out;
  static const std::regex parameter{R"(\{[^}]+\})"};
  for (const auto& path : doc["paths"].GetObject())
    for (const auto& op : path.value.GetObject()) {
      std::string method = op.name.GetString();
      for (auto& c : method)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(method, std::regex_replace(path.name.GetString(), parameter, "{}"));
    }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_docs)

BOOST_AUTO_TEST_CASE(the_openapi_document_lists_exactly_the_routes_of_the_router) {
  auto documented = documented_routes();
  std::set<route> routed;
  for (const auto& r : route_patterns())
    routed.insert(r);
  for (const auto& [method, path] : routed)
    BOOST_TEST(documented.count({method, path}) == 1u,
               method << " " << path << " is routed but not in api/http/openapi.json");
  for (const auto& [method, path] : documented)
    BOOST_TEST(routed.count({method, path}) == 1u,
               method << " " << path << " is in api/http/openapi.json but not routed");
  BOOST_TEST(routed.size() > 40u);
}

BOOST_AUTO_TEST_CASE(the_document_is_openapi_3_1_and_every_operation_says_what_it_answers) {
  rapidjson::Document doc;
  auto text = openapi_json();
  doc.Parse(text.data(), text.size());
  BOOST_TEST(std::string{doc["openapi"].GetString()} == "3.1.0");
  const auto& schemas = doc["components"]["schemas"];
  std::regex ref{R"re("\$ref":\s*"#/components/schemas/([A-Za-z]+)")re"};
  std::string all{text};
  for (auto it = std::sregex_iterator(all.begin(), all.end(), ref); it != std::sregex_iterator();
       ++it)
    BOOST_TEST(schemas.HasMember((*it)[1].str().c_str()), "no schema " << (*it)[1].str());
  for (const auto& path : doc["paths"].GetObject())
    for (const auto& op : path.value.GetObject()) {
      BOOST_TEST_CONTEXT(op.name.GetString() << " " << path.name.GetString()) {
        BOOST_TEST(op.value.HasMember("summary"));
        BOOST_TEST(op.value["responses"].MemberCount() > 0u);
      }
    }
  BOOST_TEST(api_docs_html().find("/api/docs/openapi.json") != std::string_view::npos);
}

BOOST_AUTO_TEST_SUITE_END()
