#include "model/tree_ensemble.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <simdjson.h>

namespace trader::model {

namespace {

namespace od = simdjson::ondemand;

// Floats are parsed from their text straight to float: XGBoost writes the shortest text
// that reads back as the same float, and going through double could round twice.
float parse_float(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' || text.back() == '\t'))
    text.remove_suffix(1);
  if (text.size() >= 2 && text.front() == '"') text = text.substr(1, text.size() - 2);  // "5E-1" in model params
  float v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw std::runtime_error(fmt::format("not a number: {}", text));
  return v;
}

float to_float(od::value v) { return parse_float(std::string_view(v.raw_json_token())); }

std::int64_t to_int(od::value v) {
  if (v.type() == od::json_type::string) {
    const std::string_view s = v.get_string();
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size()) throw std::runtime_error(fmt::format("not an integer: {}", s));
    return n;
  }
  return v.get_int64();
}

template <class T, class F>
std::vector<T> array_of(od::value v, F&& convert) {
  std::vector<T> out;
  for (auto item : v.get_array()) out.push_back(convert(item.value()));
  return out;
}

struct RawTree {
  std::vector<std::int64_t> left, right, index, split_type;
  std::vector<float> conditions;
  std::vector<std::int64_t> default_left;
  std::int64_t categories = 0;
};

RawTree read_tree(od::object tree) {
  RawTree t;
  auto ints = [](od::value v) { return array_of<std::int64_t>(v, [](od::value x) { return to_int(x); }); };
  for (auto field : tree) {
    const std::string_view key = field.unescaped_key();
    od::value v = field.value();
    if (key == "left_children") t.left = ints(v);
    else if (key == "right_children") t.right = ints(v);
    else if (key == "split_indices") t.index = ints(v);
    else if (key == "split_type") t.split_type = ints(v);
    else if (key == "default_left") t.default_left = ints(v);
    else if (key == "split_conditions") t.conditions = array_of<float>(v, [](od::value x) { return to_float(x); });
    else if (key == "categories_nodes") t.categories = static_cast<std::int64_t>(ints(v).size());
  }
  return t;
}

struct RawModel {
  std::string objective, booster;
  float base_score = 0.5f;
  std::int64_t num_class = 0, num_target = 1, num_feature = 0, parallel_trees = 1;
  std::vector<std::int64_t> tree_info;
  std::vector<RawTree> trees;
};

void read_gbtree(od::object model, RawModel& m) {
  for (auto field : model) {
    const std::string_view key = field.unescaped_key();
    od::value v = field.value();
    if (key == "tree_info") {
      m.tree_info = array_of<std::int64_t>(v, [](od::value x) { return to_int(x); });
    } else if (key == "trees") {
      for (auto t : v.get_array()) m.trees.push_back(read_tree(t.get_object()));
    } else if (key == "gbtree_model_param") {
      for (auto p : v.get_object())
        if (std::string_view(p.unescaped_key()) == "num_parallel_tree") m.parallel_trees = to_int(p.value());
    }
  }
}

RawModel read_model(std::string_view json) {
  RawModel m;
  od::parser parser;
  const simdjson::padded_string padded(json);
  od::document doc = parser.iterate(padded);
  od::object learner = doc["learner"].get_object();
  for (auto field : learner) {
    const std::string_view key = field.unescaped_key();
    od::value v = field.value();
    if (key == "learner_model_param") {
      for (auto p : v.get_object()) {
        const std::string_view k = p.unescaped_key();
        if (k == "base_score") m.base_score = to_float(p.value());
        else if (k == "num_class") m.num_class = to_int(p.value());
        else if (k == "num_target") m.num_target = to_int(p.value());
        else if (k == "num_feature") m.num_feature = to_int(p.value());
      }
    } else if (key == "objective") {
      for (auto p : v.get_object())
        if (std::string_view(p.unescaped_key()) == "name") m.objective = std::string(std::string_view(p.value().get_string()));
    } else if (key == "gradient_booster") {
      for (auto p : v.get_object()) {
        const std::string_view k = p.unescaped_key();
        if (k == "name") m.booster = std::string(std::string_view(p.value().get_string()));
        else if (k == "model") read_gbtree(p.value().get_object(), m);
      }
    }
  }
  return m;
}

// XGBoost 1.7's logistic transform (common::Sigmoid), operation for operation.
float sigmoid(float x) {
  constexpr float kEps = 1e-16f;
  const float e = std::min(-x, 88.7f);
  const float denom = std::exp(e) + 1.0f + kEps;
  return 1.0f / denom;
}

}  // namespace

Result<TreeEnsemble> TreeEnsemble::from_xgboost_json(std::string_view json) {
  RawModel m;
  try {
    m = read_model(json);
  } catch (const std::exception& e) {
    return fail(fmt::format("not an XGBoost JSON model: {}", e.what()));
  }
  if (m.booster != "gbtree") return fail(fmt::format("booster '{}' is not walked natively (only gbtree)", m.booster));
  if (m.objective != "binary:logistic")
    return fail(fmt::format("objective '{}' is not walked natively (only binary:logistic)", m.objective));
  if (m.num_class > 1 || m.num_target != 1 || m.parallel_trees != 1)
    return fail("models with more than one output or parallel trees are not walked natively");
  if (m.num_feature <= 0) return fail("the model has no features");
  if (m.trees.empty() || m.tree_info.size() != m.trees.size()) return fail("the model's tree list is inconsistent");
  if (!(m.base_score > 0.0f && m.base_score < 1.0f)) return fail(fmt::format("base_score {} is not a probability", m.base_score));

  TreeEnsemble e;
  e.features_ = static_cast<std::size_t>(m.num_feature);
  e.base_margin_ = -std::log(1.0f / m.base_score - 1.0f);  // XGBoost's ProbToMargin for logistic
  for (std::size_t t = 0; t < m.trees.size(); ++t) {
    const RawTree& r = m.trees[t];
    const std::size_t n = r.left.size();
    if (n == 0 || r.right.size() != n || r.index.size() != n || r.conditions.size() != n || r.default_left.size() != n)
      return fail(fmt::format("tree {}: its arrays differ in length", t));
    if (r.categories > 0 || std::any_of(r.split_type.begin(), r.split_type.end(), [](auto s) { return s != 0; }))
      return fail(fmt::format("tree {}: categorical splits are not walked natively", t));
    const auto base = static_cast<std::int64_t>(e.nodes_.size());
    e.roots_.push_back(static_cast<std::uint32_t>(base));
    for (std::size_t i = 0; i < n; ++i) {
      Node node;
      node.value = r.conditions[i];
      if (r.left[i] != -1) {
        const auto in_tree = [&](std::int64_t c) { return c > static_cast<std::int64_t>(i) && c < static_cast<std::int64_t>(n); };
        if (!in_tree(r.left[i]) || !in_tree(r.right[i]) || r.index[i] < 0 || r.index[i] >= m.num_feature)
          return fail(fmt::format("tree {} node {}: a child or feature index is out of range", t, i));
        node.left = static_cast<std::int32_t>(base + r.left[i]);
        node.right = static_cast<std::int32_t>(base + r.right[i]);
        node.feature = static_cast<std::uint32_t>(r.index[i]);
        node.default_left = r.default_left[i] != 0;
      }
      e.nodes_.push_back(node);
    }
  }
  return e;
}

float TreeEnsemble::margin(std::span<const float> row) const {
  float sum = base_margin_;
  for (const std::uint32_t root : roots_) {
    const Node* node = &nodes_[root];
    while (node->left >= 0) {
      const float x = row[node->feature];
      const bool go_left = std::isnan(x) ? node->default_left : x < node->value;
      node = &nodes_[static_cast<std::size_t>(go_left ? node->left : node->right)];
    }
    sum += node->value;
  }
  return sum;
}

float TreeEnsemble::probability(std::span<const float> row) const { return sigmoid(margin(row)); }

std::vector<float> TreeEnsemble::probe_rows() const {
  // Each feature's distinct thresholds, in order (std::map: the probes are the same every run).
  std::vector<std::vector<float>> thresholds(features_);
  {
    std::vector<std::map<float, bool>> seen(features_);
    for (const Node& n : nodes_)
      if (n.left >= 0) seen[n.feature][n.value] = true;
    for (std::size_t f = 0; f < features_; ++f)
      for (const auto& [v, _] : seen[f]) thresholds[f].push_back(v);
  }
  std::size_t widest = 1;
  for (const auto& t : thresholds) widest = std::max(widest, t.size());
  std::vector<float> rows;
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (const float fill : {0.0f, nan, inf, -inf}) rows.insert(rows.end(), features_, fill);
  // Row r puts feature f at threshold (r/2 + f) of its list, exactly on it for even r (goes
  // right) and one float below it for odd r (goes left); every 7th row leaves one feature
  // missing, so default branches are taken deep in the trees too.
  for (std::size_t r = 0; r < 2 * widest; ++r) {
    for (std::size_t f = 0; f < features_; ++f) {
      const auto& t = thresholds[f];
      float v = 0.0f;
      if (!t.empty()) {
        v = t[(r / 2 + f) % t.size()];
        if (r % 2 == 1) v = std::nextafter(v, -inf);
      }
      if (r % 7 == 3 && f == (r / 7) % features_) v = nan;
      rows.push_back(v);
    }
  }
  return rows;
}

}  // namespace trader::model
