# tests/real/suite.mk - `make test-real`: python3, sqlite3, git
# and gcc under LD_PRELOAD=liboxalloc.so, outputs compared with the runs
# without it, and proof that oxalloc served them (tests/real/run.sh); the
# release and the checked build.  About 2 minutes on the 2-core machine.

REAL_DIR := $(BUILD)/tests/real

$(REAL_DIR)/marker.so: tests/real/marker.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -shared -fPIC $< -o $@ -ldl

TEST_SUITES += test-real
.PHONY: test-real
test-real: $(BUILD)/liboxalloc.so $(BUILD)/checked/liboxalloc.so $(REAL_DIR)/marker.so
	@bash tests/real/run.sh $(BUILD) $(REAL_DIR)
