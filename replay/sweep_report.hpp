#pragma once
// The sweep's report: report.html in its out dir, one self-contained page (no script, no
// request) that
//  - ranks the tasks by the chosen metric, with their values and figures;
//  - draws the metric against each parameter: the best and the mean over the other axes;
//  - shows each pair of parameters as a heatmap of the best metric over the other axes;
//  - says how the best configuration's grid neighbours (one step along one axis) rank:
//    a peak among poor neighbours is more likely luck than an edge. A plain sweep's figures
//    are in sample: the same data chose and judged the configuration;
//  - for a walk-forward, each fold's windows and model, where the configuration best in
//    sample ranks out of sample, and every configuration in and out of sample per fold;
//    its charts judge each configuration by its mean out of sample.
#include <string>
#include <string_view>
#include <vector>

#include "replay/sweep.hpp"

namespace trader::replay {

std::string sweep_report_html(const SweepOptions& options, const SweepResults& results, std::string_view rank_by);

}  // namespace trader::replay
