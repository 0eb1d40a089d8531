/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * vprime_importer: the example dma-buf importer's interface (its misc
 * device, /dev/vprime-importer).  Self-contained, as a uapi header must
 * be: __u32/__u64 only, explicit padding, unknown flags and non-zero pad
 * refused with -EINVAL.
 *
 * Copy this driver to prototype your own importer: the constraints of
 * ATTACH are what your device would have (a DMA mask, a largest segment,
 * contiguous-only, whether it can take peer-to-peer addresses and be
 * told that the buffer moved).
 */
#ifndef _UAPI_VPRIME_IMPORTER_H_
#define _UAPI_VPRIME_IMPORTER_H_

#include <linux/ioctl.h>
#include <linux/types.h>

#define VPRIME_IMPORTER_DEVICE		"/dev/vprime-importer"

/* VPRIME_IMPORTER_IOCTL_CAPS flags: what the running kernel offers */
#define VPRIME_IMPORTER_CAP_MOVE_NOTIFY	(1u << 0)	/* CONFIG_DMABUF_MOVE_NOTIFY */
#define VPRIME_IMPORTER_CAP_P2PDMA	(1u << 1)	/* CONFIG_PCI_P2PDMA */

/**
 * struct vprime_importer_caps - VPRIME_IMPORTER_IOCTL_CAPS
 * @flags: out, VPRIME_IMPORTER_CAP_*
 * @pad: out, zero
 * @dev_name: out, PCI address of the device the importer drives (NUL
 *	terminated)
 */
struct vprime_importer_caps {
	__u32 flags;
	__u32 pad;
	char dev_name[32];
};

/* struct vprime_importer_attach flags */
#define VPRIME_IMPORTER_DYNAMIC		(1u << 0)	/* importer with move_notify */
#define VPRIME_IMPORTER_PEER2PEER	(1u << 1)	/* takes BAR addresses (needs DYNAMIC) */
#define VPRIME_IMPORTER_CONTIGUOUS	(1u << 2)	/* one DMA range only */
#define VPRIME_IMPORTER_FLAGS		(VPRIME_IMPORTER_DYNAMIC | \
					 VPRIME_IMPORTER_PEER2PEER | \
					 VPRIME_IMPORTER_CONTIGUOUS)

/**
 * struct vprime_importer_attach - VPRIME_IMPORTER_IOCTL_ATTACH
 * @fd: in, the dma-buf
 * @flags: in, VPRIME_IMPORTER_*
 * @dma_bits: in, the device's DMA address width, 32 to 64; 0 means 64
 * @max_segment: in, the longest DMA segment the device takes, a multiple
 *	of 4096; 0 means no limit
 * @handle: out, names the attachment in ACCESS and DETACH
 * @pad: in, zero
 */
struct vprime_importer_attach {
	__s32 fd;
	__u32 flags;
	__u32 dma_bits;
	__u32 max_segment;
	__u32 handle;
	__u32 pad;
};

/* struct vprime_importer_access ops */
#define VPRIME_IMPORTER_MAP		0	/* map and report only */
#define VPRIME_IMPORTER_CHECK		1	/* the device reads, the CPU compares */
#define VPRIME_IMPORTER_WRITE		2	/* the device writes the pattern */

/* struct vprime_importer_report violations: the mapping is refused */
#define VPRIME_IMPORTER_BAD_CONTIGUOUS	(1u << 0)	/* more than one DMA range */
#define VPRIME_IMPORTER_BAD_SEGMENT	(1u << 1)	/* a segment longer than max_segment */
#define VPRIME_IMPORTER_BAD_MASK	(1u << 2)	/* an address beyond the DMA mask */

/**
 * struct vprime_importer_report - what the importer got from the exporter
 * @size: bytes of the dma-buf
 * @segments: DMA segments of the mapping
 * @ranges: DMA address ranges (adjacent segments merged)
 * @peer_segments: segments whose addresses lie in a PCI device's BAR
 *	(peer-to-peer, with no IOMMU between)
 * @first_addr: DMA address of the first byte
 * @last_addr: highest DMA address of any byte
 * @longest_segment: bytes of the longest segment
 * @moves: move_notify calls so far (dynamic attachments)
 * @maps: mappings made so far (a dynamic importer maps again after a move)
 * @violations: VPRIME_IMPORTER_BAD_*: the constraints the mapping broke
 * @pages_accessed: 4 KiB pages the device read or wrote
 * @mismatches: CHECK: 32-bit words that differed from the pattern
 * @first_mismatch: CHECK: byte offset of the first one
 */
struct vprime_importer_report {
	__u64 size;
	__u32 segments;
	__u32 ranges;
	__u32 peer_segments;
	__u32 pad;
	__u64 first_addr;
	__u64 last_addr;
	__u64 longest_segment;
	__u32 moves;
	__u32 maps;
	__u32 violations;
	__u32 pages_accessed;
	__u32 mismatches;
	__u32 pad2;
	__u64 first_mismatch;
};

/**
 * struct vprime_importer_access - VPRIME_IMPORTER_IOCTL_ACCESS
 * @handle: in, from ATTACH
 * @op: in, VPRIME_IMPORTER_MAP, _CHECK or _WRITE
 * @seed: in, the pattern (vprime_importer_pattern())
 * @max_pages: in, how many pages the device touches, spread evenly over
 *	the buffer (first and last included); 0 means every page.  The
 *	device (QEMU's edu) takes 100 ms of virtual time per transfer.
 * @report: out; filled in when the mapping breaks a constraint too (the
 *	ioctl then fails with -EINVAL)
 */
struct vprime_importer_access {
	__u32 handle;
	__u32 op;
	__u32 seed;
	__u32 max_pages;
	struct vprime_importer_report report;
};

/**
 * struct vprime_importer_detach - VPRIME_IMPORTER_IOCTL_DETACH
 * @handle: in
 * @pad: in, zero
 */
struct vprime_importer_detach {
	__u32 handle;
	__u32 pad;
};

#define VPRIME_IMPORTER_IOCTL_CAPS	_IOR('V', 0x40, struct vprime_importer_caps)
#define VPRIME_IMPORTER_IOCTL_ATTACH	_IOWR('V', 0x41, struct vprime_importer_attach)
#define VPRIME_IMPORTER_IOCTL_ACCESS	_IOWR('V', 0x42, struct vprime_importer_access)
#define VPRIME_IMPORTER_IOCTL_DETACH	_IOW('V', 0x43, struct vprime_importer_detach)

/* The 32-bit word at byte @offset (a multiple of 4) of a pattern */
static inline __u32 vprime_importer_pattern(__u32 seed, __u64 offset)
{
	return seed ^ (__u32)((offset / 4 + 1) * 2654435761u);
}

#endif /* _UAPI_VPRIME_IMPORTER_H_ */
