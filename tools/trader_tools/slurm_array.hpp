#pragma once
// Steps of a planned sweep as a Slurm job array: `sbatch --wait --array`, one element per
// step, each running `trader-tools sweep-step OUT --model|--task K` on whichever node Slurm
// picks. The out dir, the journal, the config and trader-tools itself must be at the same
// paths on every node (a shared file system). Each element's output goes to
// OUT/logs/{model,task}-K.log, sbatch's own to OUT/logs/sbatch.out.
#include <string>
#include <vector>

#include "base/result.hpp"
#include "replay/sweep.hpp"

namespace trader::tools {

struct ArrayRun {
  std::string job_id;  // the array's job id, as sbatch reported it
  int exit_code = 0;   // sbatch --wait: the highest exit code of its elements
};

// Submits `steps` (0-based) of `kind` and waits for the array to end. An error means it
// could not be submitted (no sbatch, no cluster); failed elements are not an error here:
// their result files say what failed.
Result<ArrayRun> run_slurm_array(const replay::SweepPlan& plan, replay::StepKind kind,
                                 const std::vector<std::size_t>& steps, const std::vector<std::string>& sbatch_args);

// OUT/logs/task-K.log (K 1-based): where a step's output went.
std::string slurm_step_log(const replay::SweepPlan& plan, replay::StepKind kind, std::size_t index);

// "1-4,7,9-10": 0-based steps as a 1-based --array list.
std::string array_spec(const std::vector<std::size_t>& steps);

}  // namespace trader::tools
