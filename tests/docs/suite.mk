# tests/docs/suite.mk - `make test-docs`: the documentation against the
# repository and the library (tests/docs/run.sh): links and paths in
# README.md and docs/*.md, no pointer to documents outside the repository,
# docs/options.md against the library's own option table, and the options'
# rule for when a change takes effect, and the README's quick starts run as
# a user pastes them.
DOCS_OPT_BIN := $(BUILD)/tests/docs/options_rule

$(DOCS_OPT_BIN): tests/docs/options_rule.c $(wildcard include/*.h) $(BUILD)/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude $< $(BUILD)/liboxalloc.a -o $@ -pthread

TEST_SUITES += test-docs
.PHONY: test-docs
test-docs: $(DOCS_OPT_BIN)
	@bash tests/docs/run.sh $(DOCS_OPT_BIN)
