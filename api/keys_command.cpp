#include "api/keys_command.hpp"

#include <fstream>
#include <ostream>
#include <sstream>
#include <string>

#include <boost/program_options.hpp>

#include "api/authenticator.hpp"
#include "api/http/rest_codec.hpp"
#include "persistence/credential_store.hpp"
#include "persistence/store.hpp"
#include "protocol/json.hpp"

namespace herald {

namespace po = boost::program_options;

namespace {

constexpr const char* usage
    = "usage:\n"
      "  herald keys create --org SLUG [--type User|Worker] [--name NAME] [--admin]\n"
      "  herald keys list [--org SLUG] [--json]\n"
      "  herald keys revoke ID_OR_PREFIX\n"
      "common options: --database URL, --secret-file PATH, --config FILE (as for the server)\n";

std::string when(int64_t ms) {
  return ms == 0 ? "-" : format_iso8601(ms);
}

}  // namespace

int run_keys_command(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::string action;
  std::string target;
  std::string database = "herald.db";
  std::string secret_file;
  std::string config_file;
  std::string org_name;
  std::string type_name = "User";
  std::string name;
  bool admin = false;
  bool json = false;
  po::options_description opts{"herald keys"};
  opts.add_options()                                                                         //
      ("help,h", "print this help")                                                          //
      ("action", po::value(&action), "create, list or revoke")                               //
      ("target", po::value(&target), "the key to revoke: its id or prefix")                  //
      ("database,d", po::value(&database)->default_value(database), "database URL")          //
      ("secret-file", po::value(&secret_file), "the server's secret key file")               //
      ("config,c", po::value(&config_file), "read database and secret-file from this file")  //
      ("org", po::value(&org_name), "the org (slug or id)")                                  //
      ("type", po::value(&type_name)->default_value(type_name), "User or Worker")            //
      ("name", po::value(&name), "a name to recognise the key by")                           //
      ("admin", po::bool_switch(&admin), "the key may create orgs")                          //
      ("json", po::bool_switch(&json), "list as JSON");
  po::positional_options_description positional;
  positional.add("action", 1).add("target", 1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).run(), vm);
    if (vm.count("help")) {
      out << usage << opts << std::endl;
      return 0;
    }
    if (vm.count("config")) {
      std::ifstream in{vm["config"].as<std::string>()};
      if (!in) {
        err << "herald keys: cannot read config file " << vm["config"].as<std::string>()
            << std::endl;
        return 2;
      }
      // The server's file: only `database` and `secret-file` matter here.
      po::store(po::parse_config_file(in, opts, true), vm);
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    err << "herald keys: " << e.what() << "\n" << usage;
    return 2;
  }
  auto type = parse_principal_type(type_name);
  if (!type || (action == "create" && org_name.empty()) || (action == "revoke" && target.empty())
      || (action != "create" && action != "list" && action != "revoke")) {
    err << usage;
    return 2;
  }
  try {
    // The command may run before the server ever did: bring the schema up to date first.
    open_store(database)->migrate();
    credential_store db{database};
    std::string org_id;
    if (!org_name.empty()) {
      auto org = db.find_org(org_name);
      if (!org) {
        err << "herald keys: no org '" << org_name << "'" << std::endl;
        return 1;
      }
      org_id = org->id;
    }
    if (action == "create") {
      auto key = credential_key::load_or_create(secret_file.empty() ? default_secret_file(database)
                                                                    : secret_file);
      auto issued = issue_credential(db, key, org_id, "api_key", *type, admin, name);
      err << "herald keys: created " << issued.record.principal << " key " << issued.record.prefix
          << "... (id " << issued.record.id << "); it is shown only once:" << std::endl;
      out << issued.token << std::endl;
      return 0;
    }
    if (action == "revoke") {
      if (db.revoke(target, now_ms()) == 0) {
        err << "herald keys: no active key with id or prefix '" << target << "'" << std::endl;
        return 1;
      }
      out << "revoked " << target << std::endl;
      return 0;
    }
    auto keys = db.list(org_id);
    if (json) {
      std::string text = "[";
      for (size_t i = 0; i < keys.size(); ++i) {
        const auto& k = keys[i];
        json_object obj;
        obj.string("id", k.id)
            .string("orgId", k.org_id)
            .string("kind", k.kind)
            .string("principalType", k.principal)
            .boolean("admin", k.role == "admin")
            .string("name", k.name)
            .string("prefix", k.prefix);
        time_field(obj, "createdAt", k.created_ms);
        time_field(obj, "lastUsedAt", k.last_used_ms);
        time_field(obj, "revokedAt", k.revoked_ms);
        text += (i > 0 ? "," : "") + obj.str();
      }
      out << text << "]" << std::endl;
      return 0;
    }
    out << "ID                                    PREFIX            KIND          TYPE    "
           "CREATED                   LAST USED                 REVOKED                   NAME\n";
    for (const auto& k : keys) {
      auto pad = [](std::string text, size_t width) {
        text.resize(std::max(text.size(), width), ' ');
        return text;
      };
      out << pad(k.id, 38) << pad(k.prefix, 18) << pad(k.kind, 14)
          << pad(k.principal + (k.role == "admin" ? "*" : ""), 8) << pad(when(k.created_ms), 26)
          << pad(when(k.last_used_ms), 26) << pad(when(k.revoked_ms), 26) << k.name << "\n";
    }
    out.flush();
    return 0;
  } catch (const std::exception& e) {
    err << "herald keys: " << e.what() << std::endl;
    return 1;
  }
}

}  // namespace herald
