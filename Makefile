# SPDX-License-Identifier: GPL-2.0
# twctl: kernel module (module/, built through Kbuild) and control tool (tools/).

KDIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := $(shell cat VERSION)

.PHONY: all module tool clean deps check demo kunit style sparse \
	install module-install tool-install dkms-install uninstall help

all: module tool

help:
	@echo "make            build twctl.ko for KDIR ($(KDIR)) and the tool"
	@echo "make module     build twctl.ko only (KDIR=... for another kernel)"
	@echo "make tool       build tools/twctl"
	@echo "make demo       boot a test kernel in QEMU and show TIME_WAIT before/after tuning"
	@echo "make check      every test (installs its dependencies with apt)"
	@echo "make kunit      KUnit suites in our debug kernel (built once, cached)"
	@echo "make deps       install build and test dependencies, fetch test kernels"
	@echo "make style      checkpatch.pl on the module sources"
	@echo "make install    install module (+depmod) and tool; DESTDIR, PREFIX honoured"
	@echo "make dkms-install  copy sources to /usr/src/twctl-$(VERSION) for dkms"

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tool:
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools; fi

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools clean; fi
	rm -rf build

deps:
	bash tests/deps.sh

check:
	bash tests/check.sh

demo:
	bash tests/demo.sh

kunit:
	bash tests/kunit/run.sh

style:
	@bash -c 'repo=$(CURDIR); . tests/lib/kernels.sh; . tests/lib/build.sh; run_checkpatch && echo "checkpatch: clean"'

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules

install: module-install tool-install

module-install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	@if [ -z "$(DESTDIR)" ]; then depmod -a $$(basename $$(dirname $(KDIR))); fi

tool-install: tool
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX); fi

dkms-install:
	install -d $(DESTDIR)/usr/src/twctl-$(VERSION)
	cp -r Kbuild Makefile VERSION dkms.conf module $(DESTDIR)/usr/src/twctl-$(VERSION)/
