#include "replay/decision_hash.hpp"
#include "base/hex.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "messages/message_codec.hpp"

namespace trader::replay {

bool may_be_decision(std::uint16_t type_id) {
  return type_id == Signal::kTypeId || type_id == OrderIntent::kTypeId || type_id == RiskDecision::kTypeId ||
         type_id == OrderRequest::kTypeId || type_id == OrderEvent::kTypeId || type_id == Liquidation::kTypeId;
}

bool is_decision(const Message& m) {
  if (const auto* e = std::get_if<OrderEvent>(&m)) return e->fill_qty > 0;
  return may_be_decision(type_id_of(m));
}

struct DecisionHash::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  Ctx() { EVP_DigestInit_ex(md, EVP_sha256(), nullptr); }
  ~Ctx() { EVP_MD_CTX_free(md); }
};

DecisionHash::DecisionHash() : ctx_(std::make_unique<Ctx>()) {}
DecisionHash::~DecisionHash() = default;
DecisionHash::DecisionHash(DecisionHash&&) noexcept = default;
DecisionHash& DecisionHash::operator=(DecisionHash&&) noexcept = default;

void DecisionHash::add(const Message& m) {
  if (!is_decision(m)) return;
  const std::uint16_t type = type_id_of(m);
  const auto body = encode_body_canonical(m);
  const auto len = static_cast<std::uint32_t>(body.size());
  EVP_DigestUpdate(ctx_->md, &type, sizeof type);
  EVP_DigestUpdate(ctx_->md, &len, sizeof len);
  EVP_DigestUpdate(ctx_->md, body.data(), body.size());
  ++count_;
}

std::string DecisionHash::hex() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  EVP_MD_CTX_copy_ex(copy, ctx_->md);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(copy, md, &n);
  EVP_MD_CTX_free(copy);
  return to_hex({md, n});
}

}  // namespace trader::replay
