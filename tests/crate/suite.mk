# tests/crate/suite.mk - `make test-crate`: the oxalloc crate as
# users get it: packaged and built elsewhere, vendored from a git
# dependency, features unified over a workspace, the build script's
# variables (tests/crate/run.sh).  Offline; about 2-3 minutes.

TEST_SUITES += test-crate
.PHONY: test-crate
test-crate:
	@BUILD="$(BUILD)" CARGO_TARGET_DIR="$(abspath $(BUILD))/cargo" bash tests/crate/run.sh
