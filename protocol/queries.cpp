#include "protocol/queries.hpp"

#include "protocol/json.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace herald {

std::map<std::string, std::string> replay_workflow_state(const std::vector<history_event>& events) {
  std::map<std::string, std::string> state;
  for (const auto& event : events) {
    bool set = event.type == "STATE_SET";
    if (!set && event.type != "STATE_CLEARED")
      continue;
    if (json_too_deep(event.data) || json_number_too_long(event.data))
      continue;
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseFullPrecisionFlag>(event.data.data(), event.data.size());
    if (doc.HasParseError() || !doc.IsObject())
      continue;
    auto key = doc.FindMember("key");
    if (key == doc.MemberEnd() || !key->value.IsString())
      continue;
    std::string name{key->value.GetString(), key->value.GetStringLength()};
    if (!set) {
      state.erase(name);
      continue;
    }
    auto value = doc.FindMember("value");
    if (value == doc.MemberEnd()) {
      state[name] = "null";
      continue;
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
    value->value.Accept(writer);
    state[name] = std::string{buf.GetString(), buf.GetSize()};
  }
  return state;
}

}  // namespace herald
