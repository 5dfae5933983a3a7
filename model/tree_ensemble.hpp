#pragma once
// A boosted tree ensemble walked natively, read from XGBoost's JSON model.
//
// Why: XGBoost 1.7's C API re-reads cgroup files on every prediction call (~18 µs per
// single-row call), while walking the project's 150 depth-4 trees takes well under 1 µs,
// so one-row-per-candle prediction made replay of the XGBoost strategy 8x slower than the
// rule strategy. The walk repeats XGBoost's arithmetic exactly: the margin starts at the
// base score's margin, leaf values are added as floats in tree order, `x < split` goes
// left, NaN takes the node's default branch, and the logistic transform is XGBoost's.
// XgbModel uses it only after it agreed bit for bit with the C API on probe rows.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace trader::model {

class TreeEnsemble {
 public:
  // What the project trains: a gbtree booster, binary:logistic, one output, numeric
  // splits. Anything else is an error value saying what is not supported.
  static Result<TreeEnsemble> from_xgboost_json(std::string_view json);

  float margin(std::span<const float> row) const;
  float probability(std::span<const float> row) const;

  std::size_t trees() const { return roots_.size(); }
  std::size_t features() const { return features_; }

  // Rows (row-major, features() wide) that put every feature at and just below each of
  // its split thresholds, plus NaN, infinite and zero values, so that comparing two
  // evaluators on them exercises every comparison and every default branch.
  std::vector<float> probe_rows() const;

 private:
  struct Node {
    std::int32_t left = -1;  // -1: a leaf, and value is its output
    std::int32_t right = -1;
    std::uint32_t feature = 0;
    float value = 0;  // the split threshold, or the leaf value
    bool default_left = false;
  };
  std::vector<Node> nodes_;  // all trees, each tree's nodes contiguous
  std::vector<std::uint32_t> roots_;
  float base_margin_ = 0;
  std::size_t features_ = 0;
};

}  // namespace trader::model
