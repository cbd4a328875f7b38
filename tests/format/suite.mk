# tests/format/suite.mk - the C sources follow .clang-format.
FORMAT_FILES := $(wildcard c_src/*.c c_src/*.h include/*.h)

TEST_SUITES += test-format
.PHONY: test-format
test-format:
	@bad=0; for f in $(FORMAT_FILES); do \
	  if clang-format --dry-run -Werror $$f >/dev/null 2>&1; then :; \
	  else echo "FAIL $$f: not formatted (run clang-format -i $$f)"; bad=$$((bad + 1)); fi; \
	done; \
	echo "format: $$(( $(words $(FORMAT_FILES)) - bad )) passed, $$bad failed"; [ $$bad -eq 0 ]
