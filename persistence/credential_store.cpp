#include "persistence/credential_store.hpp"

#include <soci/soci.h>

#include "persistence/soci_store.hpp"

namespace herald {

namespace {

constexpr const char* credential_columns
    = "id, org_id, kind, principal, role, name, prefix, hash, created_ms, last_used_ms, "
      "revoked_ms";

/// An integer column, whichever C++ type the backend reports it as.
int64_t integer(const soci::row& row, size_t i) {
  switch (row.get_properties(i).get_data_type()) {
    case soci::dt_integer:
      return row.get<int>(i);
    case soci::dt_unsigned_long_long:
      return static_cast<int64_t>(row.get<unsigned long long>(i));
    case soci::dt_double:
      return static_cast<int64_t>(row.get<double>(i));
    default:
      return row.get<long long>(i);
  }
}

credential_record to_credential(const soci::row& row) {
  credential_record out;
  out.id = row.get<std::string>(0);
  out.org_id = row.get<std::string>(1);
  out.kind = row.get<std::string>(2);
  out.principal = row.get<std::string>(3);
  out.role = row.get<std::string>(4);
  out.name = row.get<std::string>(5);
  out.prefix = row.get<std::string>(6);
  out.hash = row.get<std::string>(7);
  out.created_ms = integer(row, 8);
  out.last_used_ms = integer(row, 9);
  out.revoked_ms = integer(row, 10);
  return out;
}

}  // namespace

struct credential_store::impl {
  soci::session sql;
};

credential_store::credential_store(const std::string& url) : impl_(std::make_unique<impl>()) {
  open_session(impl_->sql, url);
}

credential_store::~credential_store() = default;

void credential_store::insert(const credential_record& c) {
  long long created = c.created_ms;
  long long used = c.last_used_ms;
  long long revoked = c.revoked_ms;
  impl_->sql << "INSERT INTO credential (" << credential_columns
             << ") VALUES (:id, :org, :kind, :principal, :role, :name, :prefix, :hash, :created, "
                ":used, :revoked)",
      soci::use(c.id), soci::use(c.org_id), soci::use(c.kind), soci::use(c.principal),
      soci::use(c.role), soci::use(c.name), soci::use(c.prefix), soci::use(c.hash),
      soci::use(created), soci::use(used), soci::use(revoked);
}

std::optional<credential_record> credential_store::find_by_prefix(const std::string& prefix) {
  soci::rowset<soci::row> rows = (impl_->sql.prepare << "SELECT " << credential_columns
                                                     << " FROM credential WHERE prefix = :prefix",
                                  soci::use(prefix));
  for (const auto& row : rows)
    return to_credential(row);
  return std::nullopt;
}

std::vector<credential_record> credential_store::list(const std::string& org_id) {
  std::vector<credential_record> out;
  soci::rowset<soci::row> rows
      = (impl_->sql.prepare << "SELECT " << credential_columns
                            << " FROM credential WHERE :org = '' OR org_id = :org2"
                               " ORDER BY created_ms, id",
         soci::use(org_id), soci::use(org_id));
  for (const auto& row : rows)
    out.push_back(to_credential(row));
  return out;
}

int credential_store::revoke(const std::string& id_or_prefix, int64_t now_ms) {
  long long now = now_ms;
  soci::statement st
      = (impl_->sql.prepare << "UPDATE credential SET revoked_ms = :now"
                               " WHERE (id = :id OR prefix = :prefix) AND revoked_ms = 0",
         soci::use(now), soci::use(id_or_prefix), soci::use(id_or_prefix));
  st.execute(true);
  return static_cast<int>(st.get_affected_rows());
}

std::vector<std::string> credential_store::revoked_among(const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids) {
    long long revoked = 0;
    soci::indicator ind = soci::i_null;
    impl_->sql << "SELECT revoked_ms FROM credential WHERE id = :id", soci::into(revoked, ind),
        soci::use(id);
    if (!impl_->sql.got_data() || ind != soci::i_ok || revoked != 0)
      out.push_back(id);
  }
  return out;
}

void credential_store::touch(const std::string& id, int64_t now_ms) {
  long long now = now_ms;
  impl_->sql << "UPDATE credential SET last_used_ms = :now WHERE id = :id", soci::use(now),
      soci::use(id);
}

std::optional<org_record> credential_store::find_org(const std::string& slug_or_id) {
  soci::rowset<soci::row> rows
      = (impl_->sql.prepare << "SELECT id, slug, name, created_ms FROM organization"
                               " WHERE slug = :slug OR id = :id",
         soci::use(slug_or_id), soci::use(slug_or_id));
  for (const auto& row : rows)
    return org_record{row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2),
                      integer(row, 3)};
  return std::nullopt;
}

std::vector<org_record> credential_store::list_orgs() {
  std::vector<org_record> out;
  soci::rowset<soci::row> rows
      = (impl_->sql.prepare << "SELECT id, slug, name, created_ms"
                               " FROM organization ORDER BY created_ms, id");
  for (const auto& row : rows)
    out.push_back(org_record{row.get<std::string>(0), row.get<std::string>(1),
                             row.get<std::string>(2), integer(row, 3)});
  return out;
}

void credential_store::insert_org(const org_record& org) {
  long long created = org.created_ms;
  impl_->sql << "INSERT INTO organization (id, slug, name, created_ms)"
                " VALUES (:id, :slug, :name, :created)",
      soci::use(org.id), soci::use(org.slug), soci::use(org.name), soci::use(created);
}

}  // namespace herald
