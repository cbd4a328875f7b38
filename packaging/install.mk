# packaging/install.mk - `make install` and `make uninstall` (included by the
# top Makefile).  Owns the installed layout and the version number's
# plumbing: the version is read from the OXALLOC_VERSION_* macros of
# include/oxalloc.h, the one place where it is written.
#
#   make install   [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=] [INCLUDEDIR=]
#   make uninstall (same variables) removes exactly what install put there.
#
# Installed:
#   INCLUDEDIR/rust_alloc.h, INCLUDEDIR/oxalloc.h
#   LIBDIR/liboxalloc.a             core, no malloc override
#   LIBDIR/liboxalloc.so.X.Y.Z      core + override (soname liboxalloc.so.X)
#   LIBDIR/liboxalloc.so.X -> liboxalloc.so.X.Y.Z
#   LIBDIR/liboxalloc.so   -> liboxalloc.so.X
#   LIBDIR/oxalloc_override.o       malloc family, for static links
#   LIBDIR/liboxalloc_system.a      rust_* polyfill over the C library
#   LIBDIR/pkgconfig/oxalloc.pc

OX_HEADER       := include/oxalloc.h
ox_version_part  = $(shell sed -n 's/^.define OXALLOC_VERSION_$(1) *\([0-9][0-9]*\).*/\1/p' $(OX_HEADER))
OX_VERSION_MAJOR := $(call ox_version_part,MAJOR)
OX_VERSION_MINOR := $(call ox_version_part,MINOR)
OX_VERSION_PATCH := $(call ox_version_part,PATCH)
OX_VERSION       := $(OX_VERSION_MAJOR).$(OX_VERSION_MINOR).$(OX_VERSION_PATCH)

ifneq ($(words $(OX_VERSION_MAJOR) $(OX_VERSION_MINOR) $(OX_VERSION_PATCH)),3)
$(error packaging/install.mk: cannot read OXALLOC_VERSION_MAJOR/MINOR/PATCH from $(OX_HEADER))
endif

# The soname follows the header's major version.  The Makefile's link rule
# expands $(OX_SOVERSION) when it runs, so this assignment wins over its
# default wherever the fragment is included.
OX_SOVERSION := $(OX_VERSION_MAJOR)

PREFIX     ?= /usr/local
INCLUDEDIR ?= $(PREFIX)/include
LIBDIR     ?= $(PREFIX)/lib
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL    ?= install

OX_SO_REAL  := liboxalloc.so.$(OX_VERSION)
OX_SO_MAJOR := liboxalloc.so.$(OX_VERSION_MAJOR)
OX_INST_HEADERS := rust_alloc.h oxalloc.h
OX_INST_LIBS    := liboxalloc.a oxalloc_override.o liboxalloc_system.a
OX_INST_LINKS   := $(OX_SO_MAJOR) liboxalloc.so

.PHONY: install uninstall

# The .pc file carries the final paths (without DESTDIR, which only stages).
$(BUILD)/oxalloc.pc: packaging/oxalloc.pc.in $(OX_HEADER) packaging/install.mk
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@VERSION@|$(OX_VERSION)|g' $< > $@

# Always regenerated: PREFIX may differ from the last install.
.PHONY: $(BUILD)/oxalloc.pc

install: $(BUILD)/liboxalloc.a $(BUILD)/liboxalloc.so $(BUILD)/oxalloc_override.o \
         $(BUILD)/liboxalloc_system.a $(BUILD)/oxalloc.pc
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 $(addprefix include/,$(OX_INST_HEADERS)) $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 644 $(addprefix $(BUILD)/,$(OX_INST_LIBS)) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 755 $(BUILD)/liboxalloc.so $(DESTDIR)$(LIBDIR)/$(OX_SO_REAL)
	ln -sf $(OX_SO_REAL) $(DESTDIR)$(LIBDIR)/$(OX_SO_MAJOR)
	ln -sf $(OX_SO_MAJOR) $(DESTDIR)$(LIBDIR)/liboxalloc.so
	$(INSTALL) -m 644 $(BUILD)/oxalloc.pc $(DESTDIR)$(PKGCONFIGDIR)/oxalloc.pc

# Directories are removed only when uninstalling left them empty.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(OX_INST_HEADERS))
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,$(OX_INST_LIBS) $(OX_SO_REAL) $(OX_INST_LINKS))
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/oxalloc.pc
	rmdir $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) 2>/dev/null || true
