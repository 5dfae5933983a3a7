// The unit tests' main: doctest's, plus one check. ctest runs each test case by its name
// (doctest_discover_tests); a name the filter does not match ran nothing, and doctest
// calls that a success. Here it is a failure, so a test case can never pass unrun.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

namespace {

int selected = -1;  // test cases that passed the filters, once a run has ended

struct SelectionCount : doctest::IReporter {
  explicit SelectionCount(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& s) override { selected = static_cast<int>(s.numTestCasesPassingFilters); }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

REGISTER_LISTENER("selection_count", 1, SelectionCount);

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int rc = context.run();
  if (rc != 0 || context.shouldExit()) return rc;
  if (selected == 0) {
    std::fprintf(stderr, "error: no test case matches the filters given: nothing was tested\n");
    return 1;
  }
  return rc;
}
