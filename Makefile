# vprime — table of contents.  The logic lives in scripts/; every build and
# download goes to $(VPRIME_BUILD) (default: build/ in this checkout).

VPRIME_BUILD ?= $(CURDIR)/build
export VPRIME_BUILD

# The guest kernel flavour: KERNEL=default (Debian's 6.12), KERNEL=debug
# (built by vprime: lockdep, KASAN, ...) or KERNEL=/path/to/linux/build
# (your own tree); see README "For driver authors".
ifdef KERNEL
export VPRIME_KERNEL := $(KERNEL)
endif
# make run ADD="my.ko my-test" CMD="my-test --all": bring a module and a
# program (vprime-launch --add/--run) instead of the scenario
ifdef ADD
export VPRIME_ADD := $(ADD)
endif
ifdef CMD
export VPRIME_CMD := $(CMD)
endif

.PHONY: all build deps fetch qemu driver image rootfs run check qtest fuzz fuzz-asan fuzz-guest fuzz-coverage check-libvirt check-lava check-cache check-rootfs bench clean distclean help

all: build

help:
	@echo "make run        scenario 1 (Optimus offload): fps, copies, zero-copy proof, screen PNG"
	@echo "make run ADD=\"my.ko my-prog\" CMD=\"my-prog\"  your module and program in the guest, reported as a test"
	@echo "  any target KERNEL=debug|/path/to/linux/build  another guest kernel (default: Debian's 6.12)"
	@echo "make check      build what is needed (the rootfs too) and run every test suite"
	@echo "make bench      print benchmark figures (bench NAME VALUE UNIT)"
	@echo "make build      host packages, downloads, QEMU, guest modules and image"
	@echo "make rootfs     the Debian root filesystem with vprime's Mesa driver (--image rootfs)"
	@echo "make check-rootfs  only the rootfs suite: Debian userspace on the devices (compositors, GL, Xorg)"
	@echo "make qtest      only the QEMU device-model qtests"
	@echo "make fuzz [FUZZ_SECONDS=600]       the device-model fuzzer, random seed"
	@echo "make fuzz-asan [FUZZ_SECONDS=600]  the same on an ASan/UBSan build of QEMU"
	@echo "make fuzz-guest [FUZZ_SECONDS=600] the guest ioctl fuzzer, random seed"
	@echo "make fuzz-coverage [FUZZ_SECONDS=600]  QEMU's libFuzzer generic-fuzz on the models"
	@echo "make check-libvirt  only the libvirt suite (scripts/vprime-libvirt)"
	@echo "make check-lava     vprime's LAVA jobs: validated, one run through lava-run vs the harness"
	@echo "make check-cache    damage a copy of the download cache, check it is repaired"
	@echo "make clean      remove builds, keep downloads; make distclean: everything"
	@echo "scripts/vprime-launch --help   start any other topology"

deps:
	scripts/setup-host.sh

fetch: deps
	scripts/fetch.sh

qemu: deps
	scripts/build-qemu.sh

driver: deps
	scripts/build-driver.sh

image: deps
	scripts/build-image.sh

rootfs: deps
	scripts/build-rootfs.sh

build:
	scripts/build.sh

run: build
	scripts/run.sh $(RUN_ARGS)

# The rootfs after build, not beside it (make -j): both build the guest
# modules.  Its slow parts, the Debian base system and Mesa, are in the
# cache shared by every clone on the machine (README, "Real userspace").
check: build
	scripts/build-rootfs.sh
	scripts/check.sh

qtest: qemu
	scripts/check.sh --suite qtest

FUZZ_SECONDS ?= 600

fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-asan: deps
	scripts/fuzz.sh --asan $(FUZZ_SECONDS)

fuzz-guest: build
	scripts/fuzz.sh --guest $(FUZZ_SECONDS)

fuzz-coverage: deps
	scripts/fuzz.sh --coverage $(FUZZ_SECONDS)

check-rootfs: build
	scripts/build-rootfs.sh
	scripts/check.sh --suite rootfs

check-libvirt: build
	scripts/check.sh --suite libvirt

check-lava: build
	scripts/check-lava.sh

check-cache: deps
	scripts/check-cache.sh

bench: build
	scripts/bench.sh

clean:
	rm -rf $(VPRIME_BUILD)/qemu-src $(VPRIME_BUILD)/qemu-build $(VPRIME_BUILD)/qemu-build-asan $(VPRIME_BUILD)/qemu-build-fuzz $(VPRIME_BUILD)/kernel \
	       $(VPRIME_BUILD)/kernel-debug $(VPRIME_BUILD)/kernel-user-* \
	       $(VPRIME_BUILD)/guest-driver $(VPRIME_BUILD)/image $(VPRIME_BUILD)/results \
	       $(VPRIME_BUILD)/rootfs/rootfs.ext4 $(VPRIME_BUILD)/rootfs/boot.cpio $(VPRIME_BUILD)/rootfs/stage \
	       $(VPRIME_BUILD)/mesa/src $(VPRIME_BUILD)/mesa/build $(VPRIME_BUILD)/mesa/install \
	       $(VPRIME_BUILD)/guest-driver-* $(VPRIME_BUILD)/image-* $(VPRIME_BUILD)/results-* \
	       $(VPRIME_BUILD)/qtest-bin $(VPRIME_BUILD)/bench.json

distclean:
	rm -rf $(VPRIME_BUILD)
