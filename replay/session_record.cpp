#include "replay/session_record.hpp"

#include <fmt/format.h>

#include "base/code_version.hpp"
#include "model/xgb_model.hpp"

namespace trader::replay {

std::string session_config_key(std::uint64_t session_id) { return fmt::format("session.{}.config", session_id); }
std::string session_model_key(std::uint64_t session_id) { return fmt::format("session.{}.model_id", session_id); }

std::string recorded_by_another_build(const journal::SessionInfo& s) {
  if (s.code_version == code_version()) return "";
  return fmt::format("session {} was recorded by {}, and this is {}", s.id,
                     s.code_version.empty() ? std::string("a build that did not say which") : s.code_version,
                     code_version());
}

Result<std::uint64_t> begin_recorded_session(journal::Writer& writer, const NodeConfig& config,
                                             std::string_view node_id, std::string_view model_id,
                                             std::int64_t start_ts_ns) {
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"config", config.effective_toml},
                             {"code_version", code_version()}})
    if (auto st = writer.put_meta(k, v); !st) return tl::unexpected(st.error());
  journal::SessionInfo session;
  session.node_id = std::string(node_id);
  session.config_hash = model::sha256_hex(config.effective_toml);
  session.code_version = code_version();
  session.start_ts_ns = start_ts_ns;
  auto id = writer.begin_session(session);
  if (!id) return tl::unexpected(id.error());
  if (auto st = writer.put_meta(session_config_key(*id), config.effective_toml); !st) return tl::unexpected(st.error());
  if (auto st = writer.put_meta(session_model_key(*id), std::string(model_id)); !st) return tl::unexpected(st.error());
  return *id;
}

}  // namespace trader::replay
