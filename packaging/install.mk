# packaging/install.mk - the API-only shared library, `make install` and
# `make uninstall` (included by the top Makefile; documented in
# docs/install.md).  Owns the installed layout and the version number's
# plumbing: the version is read from the OXALLOC_VERSION_* macros of
# include/oxalloc.h, the one place where it is written.
#
#   make install   [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=] [INCLUDEDIR=]
#                  [RPATH=no]
#   make uninstall (same variables) removes exactly what install put there.
#
# Installed:
#   INCLUDEDIR/rust_alloc.h, INCLUDEDIR/oxalloc.h
#   LIBDIR/liboxalloc-api.so.X.Y.Z  ox_/rust_ API, malloc untouched
#                                   (soname liboxalloc-api.so.X)
#   LIBDIR/liboxalloc-api.so.X -> liboxalloc-api.so.X.Y.Z
#   LIBDIR/liboxalloc-api.so   -> liboxalloc-api.so.X
#   LIBDIR/liboxalloc.so.X.Y.Z      core + malloc family: the preload and
#                                   override library (soname liboxalloc.so.X)
#   LIBDIR/liboxalloc.so.X -> liboxalloc.so.X.Y.Z
#   LIBDIR/liboxalloc.so   -> liboxalloc.so.X
#   LIBDIR/liboxalloc.a             core, no malloc override
#   LIBDIR/oxalloc_override.o       malloc family, for static links
#   LIBDIR/liboxalloc_system.a      rust_* polyfill over the C library
#   LIBDIR/pkgconfig/oxalloc.pc           links liboxalloc-api.so (beside
#                                         the system malloc)
#   LIBDIR/pkgconfig/oxalloc-override.pc  links liboxalloc.so (replacing it)
# Both .pc files put LIBDIR in the program's run path (-Wl,-rpath), so a
# program built with them starts wherever the prefix is; RPATH=no leaves
# it out (for a LIBDIR the loader searches anyway).

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

RPATH      ?= yes
space      := $(subst ,, )

# The API-only shared library: the core objects without override.o, so it
# exports ox_* and rust_* and no malloc.  Built by `make` with the others.
$(BUILD)/liboxalloc-api.so: $(CORE_SRCS:c_src/%.c=$(BUILD)/obj/%.o)
	$(CC) -shared -Wl,-soname,liboxalloc-api.so.$(OX_SOVERSION) -o $@ $^ $(LDLIBS_OX)
release: $(BUILD)/liboxalloc-api.so

# The two shared libraries: NAME (as -lNAME) and their installed names.
OX_SHARED       := oxalloc-api oxalloc
ox_so_real       = lib$(1).so.$(OX_VERSION)
ox_so_major      = lib$(1).so.$(OX_VERSION_MAJOR)
OX_INST_HEADERS := rust_alloc.h oxalloc.h
OX_INST_LIBS    := liboxalloc.a oxalloc_override.o liboxalloc_system.a
OX_INST_SO      := $(foreach l,$(OX_SHARED),$(call ox_so_real,$(l)) $(call ox_so_major,$(l)) lib$(l).so)
OX_PC           := oxalloc oxalloc-override

.PHONY: install uninstall

# The .pc files carry the final paths (without DESTDIR, which only stages).
ifeq ($(RPATH),no)
OX_PC_RPATH :=
else
OX_PC_RPATH := $(space)-Wl,-rpath,$${libdir}
endif
$(BUILD)/oxalloc.pc $(BUILD)/oxalloc-override.pc: $(BUILD)/%.pc: packaging/%.pc.in $(OX_HEADER) packaging/install.mk
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@VERSION@|$(OX_VERSION)|g' \
	    -e 's|@RPATH@|$(OX_PC_RPATH)|g' $< > $@

# Always regenerated: PREFIX may differ from the last install.
.PHONY: $(BUILD)/oxalloc.pc $(BUILD)/oxalloc-override.pc

install: $(BUILD)/liboxalloc.a $(BUILD)/liboxalloc.so $(BUILD)/liboxalloc-api.so \
         $(BUILD)/oxalloc_override.o $(BUILD)/liboxalloc_system.a $(OX_PC:%=$(BUILD)/%.pc)
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 $(addprefix include/,$(OX_INST_HEADERS)) $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 644 $(addprefix $(BUILD)/,$(OX_INST_LIBS)) $(DESTDIR)$(LIBDIR)/
	$(foreach l,$(OX_SHARED),\
	  $(INSTALL) -m 755 $(BUILD)/lib$(l).so $(DESTDIR)$(LIBDIR)/$(call ox_so_real,$(l)) && \
	  ln -sf $(call ox_so_real,$(l)) $(DESTDIR)$(LIBDIR)/$(call ox_so_major,$(l)) && \
	  ln -sf $(call ox_so_major,$(l)) $(DESTDIR)$(LIBDIR)/lib$(l).so &&) true
	$(INSTALL) -m 644 $(OX_PC:%=$(BUILD)/%.pc) $(DESTDIR)$(PKGCONFIGDIR)/

# Directories are removed only when uninstalling left them empty.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(OX_INST_HEADERS))
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,$(OX_INST_LIBS) $(OX_INST_SO))
	rm -f $(OX_PC:%=$(DESTDIR)$(PKGCONFIGDIR)/%.pc)
	rmdir $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) 2>/dev/null || true
