# tests/benchreport/suite.mk - `make test-benchreport`: the benchmark
# driver's report logic on small synthetic runs (tests/benchreport/
# test_report.py): ratios only for measurable runs, the smoke-test label,
# wins decided by the spreads, FAILED cells, chart data and axis, the
# heap profiler's row and its geometric mean, the runs.csv round trip,
# bench-publish, and `make bench` writing only under build/.  No benchmark is run; about 2 s.

TEST_SUITES += test-benchreport
.PHONY: test-benchreport
test-benchreport:
	@python3 tests/benchreport/test_report.py
