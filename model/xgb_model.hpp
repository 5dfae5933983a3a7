#pragma once
// An XGBoost booster behind the C API, loaded from a model file. The model id is the
// SHA-256 of the file's bytes; the bytes hashed are the bytes loaded. Prediction is
// single-threaded (nthread=1) and deterministic on one build. A missing or invalid file,
// or a model whose feature count is not the one expected, is an error at load time.
//
// One-row predictions (the strategy's, one per candle) walk the trees natively
// (tree_ensemble.hpp) when the booster is one the walk supports and the walk agreed bit
// for bit with the C API on probe rows at load; otherwise they go through the C API.
// Either way the numbers are the C API's; predictor() says which path is in use and why.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "model/tree_ensemble.hpp"

namespace trader::model {

class XgbModel {
 public:
  static Result<std::shared_ptr<const XgbModel>> load(const std::string& path, std::size_t expected_features);
  static Result<std::shared_ptr<const XgbModel>> from_bytes(std::vector<std::uint8_t> bytes, const std::string& name,
                                                            std::size_t expected_features);
  ~XgbModel();

  // Probability of the positive class for one dense row.
  Result<float> predict(std::span<const float> row) const;
  // The same for many rows (row-major), as the training tool evaluates.
  Result<std::vector<float>> predict_many(std::span<const float> rows, std::size_t n_rows) const;

  const std::string& id() const { return id_; }
  // "native tree walk (...)" or "XGBoost C API (...)", with the reason; for logs.
  const std::string& predictor() const { return predictor_; }
  std::size_t features() const { return features_; }

  XgbModel(const XgbModel&) = delete;
  XgbModel& operator=(const XgbModel&) = delete;

 private:
  XgbModel() = default;
  void use_native_walk_if_identical();

  void* booster_ = nullptr;
  std::optional<TreeEnsemble> native_;
  std::string predictor_;
  std::string id_;
  std::size_t features_ = 0;
};

std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::string_view text);  // of the text's bytes (a journaled config)

// Reads a whole file; the error names it.
Result<std::vector<std::uint8_t>> read_file(const std::string& path);

}  // namespace trader::model
