#include "model/xgb_model.hpp"
#include "base/hex.hpp"

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <xgboost/c_api.h>

namespace trader::model {

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
  return to_hex({md, n});
}

std::string sha256_hex(std::string_view text) {
  return sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

namespace {
// XGBoost appends a stack trace to its messages; one line is what a person needs.
std::string first_line(const char* msg) {
  std::string s(msg ? msg : "");
  return s.substr(0, s.find('\n'));
}
}  // namespace

Result<std::vector<std::uint8_t>> read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return fail(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::vector<std::uint8_t> bytes;
  std::uint8_t buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.insert(bytes.end(), buf, buf + n);
  const bool bad = std::ferror(f);
  std::fclose(f);
  if (bad) return fail(fmt::format("cannot read {}", path));
  return bytes;
}

Result<std::shared_ptr<const XgbModel>> XgbModel::load(const std::string& path, std::size_t expected_features) {
  auto bytes = read_file(path);
  if (!bytes) return tl::unexpected(bytes.error());
  return from_bytes(std::move(*bytes), path, expected_features);
}

Result<std::shared_ptr<const XgbModel>> XgbModel::from_bytes(std::vector<std::uint8_t> bytes, const std::string& name,
                                                             std::size_t expected_features) {
  std::shared_ptr<XgbModel> m(new XgbModel());
  BoosterHandle booster = nullptr;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0) return fail(fmt::format("xgboost: {}", XGBGetLastError()));
  m->booster_ = booster;
  if (bytes.empty() || XGBoosterLoadModelFromBuffer(booster, bytes.data(), bytes.size()) != 0)
    return fail(fmt::format("model {} is not a valid XGBoost model: {}", name,
                            bytes.empty() ? "empty file" : first_line(XGBGetLastError())));
  XGBoosterSetParam(booster, "nthread", "1");  // deterministic and no thread pool in the actors
  bst_ulong n = 0;
  if (XGBoosterGetNumFeature(booster, &n) != 0) return fail(fmt::format("model {}: {}", name, XGBGetLastError()));
  m->features_ = n;
  if (expected_features != 0 && n != expected_features)
    return fail(fmt::format("model {} takes {} features, the strategy computes {} (see model/features.hpp)", name, n,
                            expected_features));
  m->id_ = sha256_hex(bytes);
  // Exercise the prediction path once now: a model that cannot predict fails at start.
  std::vector<float> zeros(m->features_, 0.0f);
  if (auto p = m->predict(zeros); !p) return fail(fmt::format("model {}: {}", name, p.error().message));
  m->use_native_walk_if_identical();
  return std::shared_ptr<const XgbModel>(std::move(m));
}

void XgbModel::use_native_walk_if_identical() {
  // The booster's own JSON, whatever format the file was in.
  bst_ulong len = 0;
  const char* json = nullptr;
  if (XGBoosterSaveModelToBuffer(static_cast<BoosterHandle>(booster_), R"({"format":"json"})", &len, &json) != 0) {
    predictor_ = fmt::format("XGBoost C API (the model could not be read as JSON: {})", first_line(XGBGetLastError()));
    return;
  }
  auto walk = TreeEnsemble::from_xgboost_json(std::string_view(json, len));
  if (!walk) {
    predictor_ = fmt::format("XGBoost C API ({})", walk.error().message);
    return;
  }
  if (walk->features() != features_) {
    predictor_ = "XGBoost C API (the JSON model's feature count differs from the booster's)";
    return;
  }
  const std::vector<float> probes = walk->probe_rows();
  const std::size_t n = probes.size() / features_;
  auto reference = predict_many(probes, n);
  if (!reference) {
    predictor_ = fmt::format("XGBoost C API (probe rows: {})", reference.error().message);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const float got = walk->probability(std::span(probes).subspan(i * features_, features_));
    if (std::bit_cast<std::uint32_t>(got) != std::bit_cast<std::uint32_t>((*reference)[i])) {
      predictor_ = fmt::format("XGBoost C API (the native walk gave {} where the C API gave {} on probe row {} of {})",
                               got, (*reference)[i], i, n);
      return;
    }
  }
  predictor_ = fmt::format("native tree walk ({} trees; identical to the C API on {} probe rows)", walk->trees(), n);
  native_ = std::move(*walk);
}

XgbModel::~XgbModel() {
  if (booster_) XGBoosterFree(static_cast<BoosterHandle>(booster_));
}

Result<std::vector<float>> XgbModel::predict_many(std::span<const float> rows, std::size_t n_rows) const {
  if (n_rows == 0) return std::vector<float>{};
  if (rows.size() != n_rows * features_)
    return fail(fmt::format("prediction input has {} values, expected {} x {}", rows.size(), n_rows, features_));
  const std::string array = fmt::format(R"({{"data":[{},true],"shape":[{},{}],"typestr":"<f4","version":3}})",
                                        reinterpret_cast<std::uintptr_t>(rows.data()), n_rows, features_);
  static const char* kConfig =
      R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,"cache_id":0,"missing":NaN})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  if (XGBoosterPredictFromDense(static_cast<BoosterHandle>(booster_), array.c_str(), kConfig, nullptr, &shape, &dim,
                                &result) != 0)
    return fail(fmt::format("xgboost prediction failed: {}", first_line(XGBGetLastError())));
  return std::vector<float>(result, result + n_rows);
}

Result<float> XgbModel::predict(std::span<const float> row) const {
  if (native_) {
    if (row.size() != features_)
      return fail(fmt::format("prediction input has {} values, expected {}", row.size(), features_));
    return native_->probability(row);
  }
  auto p = predict_many(row, 1);
  if (!p) return tl::unexpected(p.error());
  return (*p)[0];
}

}  // namespace trader::model
