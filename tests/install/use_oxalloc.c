/* tests/install/use_oxalloc.c - a user's program built against an installed
 * oxalloc (tests/install/run.sh).  Exercises the extended API and checks
 * that the library it runs with reports the version its header promises.
 * Built with -DWANT_OVERRIDE when linked with oxalloc_override.o: then the
 * program's malloc must be oxalloc's too.  Built with
 * -DEXPECT_MALLOC_OWNED=0 or 1 (the two pkg-config files): a plain malloc
 * (and glibc's own strdup) must be oxalloc's exactly when it is 1, and the
 * output says so.  Exit 0 when every check holds. */
#include <oxalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR2(x) #x
#define STR(x) STR2(x)
#define HEADER_VERSION \
  STR(OXALLOC_VERSION_MAJOR) "." STR(OXALLOC_VERSION_MINOR) "." STR(OXALLOC_VERSION_PATCH)

static int failures;

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "use_oxalloc: FAILED: %s\n", what);
    failures++;
  }
}

int main(void) {
  char *p = ox_malloc(100);
  int on_stack = 0;
  check(p != NULL, "ox_malloc(100) returned a block");
  memset(p, 0x5a, 100);
  check(ox_owns(p), "ox_owns(ox_malloc block)");
  check(!ox_owns(&on_stack), "!ox_owns(stack)");
  check(ox_usable_size(p) >= 100, "ox_usable_size >= 100");
  ox_free(p);
  check(strcmp(ox_version(), HEADER_VERSION) == 0, "ox_version() == header version");
#ifdef WANT_OVERRIDE
  void *m = malloc(64);
  check(m != NULL && ox_owns(m), "malloc is oxalloc's with oxalloc_override.o");
  free(m);
#endif
#ifdef EXPECT_MALLOC_OWNED
  void *plain = malloc(64);
  char *dup = strdup("glibc allocates this one itself");
  int owned = plain != NULL && ox_owns(plain);
  check(owned == EXPECT_MALLOC_OWNED, "malloc is oxalloc's exactly when expected");
  check(dup != NULL && ox_owns(dup) == EXPECT_MALLOC_OWNED, "strdup is oxalloc's exactly when expected");
  free(dup);
  free(plain);
  printf("%s malloc-owned=%d\n", ox_version(), owned);
#else
  printf("%s\n", ox_version());
#endif
  return failures ? 1 : 0;
}
