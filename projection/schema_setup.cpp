#include "projection/schema_setup.hpp"

#include <fmt/format.h>

namespace trader::projection {

Status ensure_schema(SqlAccess& db, const std::string& where) {
  const bool lite = db.dialect() == Dialect::sqlite;
  auto ours = db.scalar(lite ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'trader_schema'"
                             : "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND "
                               "tablename = 'trader_schema'");
  if (!ours) return tl::unexpected(ours.error());
  if (*ours == 0) {
    auto others = db.scalar(lite ? "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')"
                                 : "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()");
    if (!others) return tl::unexpected(others.error());
    if (*others > 0)
      return fail(fmt::format("{} already holds {} table(s) and none is a trader read model (no trader_schema "
                              "table): give the projection a database of its own",
                              where, *others));
    for (const auto& sql : create_schema(db.dialect()))
      if (auto st = db.exec(sql); !st) return st;
    return {};
  }
  auto version = db.scalar("SELECT max(version) FROM trader_schema");
  if (!version) return tl::unexpected(version.error());
  if (*version > kSchemaVersion)
    return fail(fmt::format("{} holds read-model schema version {}, newer than this build's {}: use the "
                            "trader-tools that wrote it, or a new database",
                            where, *version, kSchemaVersion));
  if (*version < kSchemaVersion) {
    for (const auto& sql : migrations_from(static_cast<int>(*version), db.dialect()))
      if (auto st = db.exec(sql); !st) return st;
    if (auto st = db.exec(fmt::format("UPDATE trader_schema SET version = {}", kSchemaVersion)); !st) return st;
  }
  return {};
}

}  // namespace trader::projection
