#include "config/client_ids.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include "base/hex.hpp"
#include "journal/journal.hpp"

namespace trader {

Result<NodeConfig> with_journal_client_ids(const NodeConfig& c, bool resuming) {
  if (c.order_mode == OrderMode::paper) return c;
  std::string prefix;
  if (resuming) {
    auto reader = journal::Reader::open(c.journal_path);
    if (!reader) return tl::unexpected(reader.error());
    auto meta = (*reader)->meta();
    if (!meta) return tl::unexpected(meta.error());
    auto it = meta->find("order.client_id_prefix");
    if (it == meta->end()) return c;  // a paper journal continued on a venue: its ids as they were
    prefix = it->second;
  } else {
    unsigned char bytes[4];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return fail("no randomness for the client order id prefix");
    prefix = c.order.client_id_prefix;
    append_hex(prefix, bytes);
    prefix += "-";
  }
  return parse_node_config(c.effective_toml, c.source_path, {fmt::format("order.client_id_prefix=\"{}\"", prefix)},
                           ConfigUse::node);
}

}  // namespace trader
