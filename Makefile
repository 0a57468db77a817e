# SPDX-License-Identifier: GPL-2.0
# twctl: kernel module (module/, built through Kbuild) and control tool (tools/).

KDIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local
DESTDIR ?=
# One version for module, tool and dkms package: see scripts/version.sh.
VERSION := $(shell sh scripts/version.sh)
# The release of the kernel in KDIR (as in the module's vermagic), and where
# `make install` puts the module for it.
KVER = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	 $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDIR = $(DESTDIR)/lib/modules/$(KVER)/updates
DKMS_SRC = $(DESTDIR)/usr/src/twctl-$(VERSION)

.PHONY: all module tool clean deps check demo kunit style sparse \
	fuzz stress mutants install module-install tool-install dkms-install uninstall \
	module-uninstall tool-uninstall boot-install boot-uninstall print-version help bench deb

all: module tool

# The module needs the kernel's build tree (headers, Makefile, .config):
# without it, say how to get one before make fails deep in kbuild.
# `make tool` does not need it.
define need_kdir
	@test -f $(KDIR)/Makefile || { \
	  echo "twctl: no kernel build tree in KDIR=$(KDIR)" >&2; \
	  echo "twctl: install the headers of the running kernel:" \
	       "apt-get install linux-headers-$$(uname -r)," >&2; \
	  echo "twctl: or name another kernel's: make KDIR=/lib/modules/<version>/build" >&2; \
	  echo "twctl: (make tool builds the control tool alone, without headers)" >&2; \
	  exit 2; }
endef

help:
	@echo "make            build twctl.ko for KDIR ($(KDIR)) and the tool"
	@echo "make module     build twctl.ko only (KDIR=... for another kernel)"
	@echo "make tool       build tools/twctl"
	@echo "make demo       boot a test kernel in QEMU and show TIME_WAIT before/after tuning"
	@echo "make check      every test (installs its dependencies with apt)"
	@echo "make kunit      KUnit suites in our debug kernel (built once, cached)"
	@echo "make fuzz       netlink fuzzing at full size on the debug kernel (docs/RELIABILITY.md)"
	@echo "make stress     load/unload, netns and fault stress at full size on the debug kernel"
	@echo "make mutants    break the module on purpose (tests/mutants.sh): the suites must catch it"
	@echo "make bench      benchmarks in QEMU (BENCH_KERNELS=\"61 612\"; + trixie sid rt cloud), writes docs/BENCHMARKS.md"
	@echo "make deps       install build and test dependencies, fetch test kernels"
	@echo "make style      checkpatch.pl on the module sources"
	@echo "make install    install module (+depmod), tool and boot files; DESTDIR, PREFIX honoured"
	@echo "make uninstall  remove what make install installed (same KDIR, DESTDIR, PREFIX)"
	@echo "make dkms-install  copy the module sources to /usr/src/twctl-$(VERSION) for dkms"
	@echo "make deb        Debian packages twctl and twctl-dkms into build/deb/ (dpkg-buildpackage)"
	@echo "make print-version  the version of module, tool and dkms package"

module:
	$(need_kdir)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tool:
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools; fi

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools clean; fi
	@if [ -f bench/Makefile ]; then $(MAKE) -C bench clean; fi
	rm -rf build

deps:
	bash tests/deps.sh

check:
	bash tests/check.sh

demo:
	bash tests/demo.sh

kunit:
	bash tests/kunit/run.sh

fuzz:
	bash tests/reliability.sh fuzz

stress:
	bash tests/reliability.sh stress

mutants:
	bash tests/mutants.sh

# Benchmarks, not tests: see docs/BENCHMARKS.md (about 20 min per kernel).
BENCH_KERNELS ?= 61 612
bench:
	bash bench/run.sh --kernels "$(BENCH_KERNELS)"

style:
	@bash -c 'repo=$(CURDIR); . tests/lib/kernels.sh; . tests/lib/build.sh; run_checkpatch && echo "checkpatch: clean"'

sparse:
	$(need_kdir)
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules

print-version:
	@echo $(VERSION)

# The Debian packages twctl (tool, boot files) and twctl-dkms (module
# sources) of version $(VERSION), built from a copy of the tree into
# build/deb/ (debian/, scripts/mkdeb.sh).
deb:
	bash scripts/mkdeb.sh

install: module-install tool-install boot-install

uninstall: module-uninstall tool-uninstall boot-uninstall

# Boot files (packaging/, docs/INSTALL.md "Boot order"): twctl.service, the
# modules-load.d file that loads the module at boot, and examples of
# /etc/modprobe.d/twctl.conf and /etc/twctl.conf. Nothing in /etc and
# nothing enabled: that is the administrator's (or the package's) choice.
BOOT_UNITDIR = $(DESTDIR)$(PREFIX)/lib/systemd/system
BOOT_LOADDIR = $(DESTDIR)$(PREFIX)/lib/modules-load.d
BOOT_DOCDIR = $(DESTDIR)$(PREFIX)/share/doc/twctl/examples

boot-install:
	install -d $(BOOT_UNITDIR) $(BOOT_LOADDIR) $(BOOT_DOCDIR)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' packaging/twctl.service.in \
		> $(BOOT_UNITDIR)/twctl.service
	chmod 0644 $(BOOT_UNITDIR)/twctl.service
	install -m 0644 packaging/modules-load.d/twctl.conf $(BOOT_LOADDIR)/twctl.conf
	install -m 0644 packaging/modprobe.d/twctl.conf $(BOOT_DOCDIR)/modprobe.d-twctl.conf
	install -m 0644 packaging/twctl.conf $(BOOT_DOCDIR)/twctl.conf

boot-uninstall:
	rm -f $(BOOT_UNITDIR)/twctl.service $(BOOT_LOADDIR)/twctl.conf \
		$(BOOT_DOCDIR)/modprobe.d-twctl.conf $(BOOT_DOCDIR)/twctl.conf

# twctl.ko (signed and compressed as the kernel's config says) into
# /lib/modules/KVER/updates. depmod runs here rather than in the kernel's
# makefile, and only for a real install: a packager (DESTDIR) runs it later.
module-install: module
	$(need_kdir)
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) DEPMOD=true modules_install
	$(if $(DESTDIR),,depmod -a $(KVER))

module-uninstall:
	@test -n "$(KVER)" || { echo "no kernel release in $(KDIR)" >&2; exit 1; }
	rm -f $(addprefix $(MODDIR)/,twctl.ko twctl.ko.gz twctl.ko.xz twctl.ko.zst)
	$(if $(DESTDIR),,depmod -a $(KVER))

tool-install: tool
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX); fi

tool-uninstall:
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools uninstall DESTDIR=$(DESTDIR) PREFIX=$(PREFIX); fi

# The module's sources for dkms (dkms add twctl/VERSION), with the version
# resolved into VERSION and dkms.conf: there is no .git there.
dkms-install:
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)/module/uapi/linux
	install -m 0644 Kbuild $(DKMS_SRC)/
	install -m 0644 module/*.[ch] $(DKMS_SRC)/module/
	install -m 0644 module/uapi/linux/*.h $(DKMS_SRC)/module/uapi/linux/
	echo $(VERSION) > $(DKMS_SRC)/VERSION
	sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(VERSION)"/' dkms.conf \
		> $(DKMS_SRC)/dkms.conf
