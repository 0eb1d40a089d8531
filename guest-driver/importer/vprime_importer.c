// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_importer: an example dma-buf importer, written to be copied.
 */

/**
 * DOC: vprime_importer
 *
 * Start here to prototype a dma-buf importer (a display, a V4L2 or
 * accelerator driver, a NIC).  The module drives QEMU's "edu" device
 * (PCI 1234:11e8; hw/misc/edu.c and docs/specs/edu.rst in QEMU), whose
 * DMA engine moves up to 4 KiB between its own buffer and any bus address
 * — through the vIOMMU when there is one, to a peer's BAR when given one:
 * the stand-in for your device.  Userspace hands it a dma-buf fd through
 * the misc device /dev/vprime-importer (vprime_importer.h):
 *
 * - ATTACH attaches with the constraints your device would have: a DMA
 *   mask, a largest DMA segment, contiguous-only, and whether it is a
 *   dynamic importer (it has move_notify: the exporter may move the
 *   buffer and tell it) that can take peer-to-peer addresses;
 * - ACCESS maps the buffer (again, after a move), checks the mapping
 *   against the constraints, and has the device read a pattern through
 *   it (CHECK) or write one (WRITE), and reports what it got: segments,
 *   addresses, peer-to-peer segments, how often it moved;
 * - DETACH lets go.
 *
 * What an importer owes the exporter, each shown below: hold the
 * reservation lock while mapping and while the device uses a dynamic
 * mapping (or publish a fence), wait for the buffer's fences before the
 * device touches it (implicit sync), publish the device's own access as
 * a fence, never touch the struct pages of a mapping (peer-to-peer
 * mappings have none), and on move_notify drop the mapping.
 *
 * What you change for your device: the PCI ID table and the edu register
 * accesses (vprime_importer_xfer(), the interrupt handler); a real device
 * has one DMA mask, set at probe — this example takes one per attachment
 * to show each exporter against different constraints.
 */

#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "vprime_importer.h"

MODULE_IMPORT_NS(DMA_BUF);

#define DRIVER_NAME		"vprime_importer"

/* QEMU's edu device (docs/specs/edu.rst) */
#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8
#define EDU_REG_IDENT		0x00	/* 0xRRrr00ed */
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_RUN		BIT(0)
#define EDU_DMA_TO_PCI		BIT(1)	/* the device's buffer to the bus address */
#define EDU_DMA_IRQ		BIT(2)
#define EDU_IRQ_DMA		0x100
#define EDU_BUF_ADDR		0x40000	/* the device's own buffer, as DMA_SRC/DST */
#define EDU_BUF_SIZE		4096
#define EDU_XFER_TIMEOUT_MS	5000	/* a transfer takes 100 ms of virtual time */

#define VPRIME_IMPORTER_PAGE	4096

/**
 * struct vprime_importer - one edu device
 * @refcount: the device's and each open file's
 * @pdev: the device; NULL once removed
 * @mmio: its registers
 * @misc: /dev/vprime-importer
 * @lock: one transfer at a time, and the device's DMA mask and largest
 *	segment, from setting them to the mapping made with them; taken
 *	before a dma-buf's reservation lock
 * @dma_done: the transfer's interrupt came
 * @bounce: a page of coherent memory the CPU fills or checks
 * @bounce_dma: its DMA address
 * @fence_lock: of those fences
 * @fence_context: of the fences that publish the device's accesses
 * @fence_seqno: the last one's; under @lock
 */
struct vprime_importer {
	struct kref refcount;
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct miscdevice misc;
	struct mutex lock;
	struct completion dma_done;
	u32 *bounce;
	dma_addr_t bounce_dma;
	spinlock_t fence_lock;
	u64 fence_context;
	u64 fence_seqno;
};

/* One device at a time: the misc device has one name */
static DEFINE_MUTEX(vprime_importer_bind_lock);
static struct vprime_importer *vprime_importer_bound;

/**
 * struct vprime_import - one attachment
 * @imp: the device
 * @dmabuf: the buffer, referenced
 * @attach: our attachment
 * @sgt: the current mapping, or NULL; protected by the reservation lock
 * @flags: VPRIME_IMPORTER_*
 * @dma_mask: the device's DMA mask for this attachment
 * @max_segment: and its largest segment
 * @moves: move_notify calls; under the reservation lock
 * @maps: mappings made; under the reservation lock
 */
struct vprime_import {
	struct vprime_importer *imp;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	u32 flags;
	u64 dma_mask;
	unsigned int max_segment;
	u32 moves;
	u32 maps;
};

/**
 * struct vprime_importer_file - an open /dev/vprime-importer
 * @imp: the device, referenced
 * @imports: struct vprime_import by handle
 */
struct vprime_importer_file {
	struct vprime_importer *imp;
	struct xarray imports;
};

static void vprime_importer_release_dev(struct kref *kref)
{
	kfree(container_of(kref, struct vprime_importer, refcount));
}

/* devres: the device's reference, dropped after its IRQ and mappings went */
static void vprime_importer_put(void *imp)
{
	kref_put(&((struct vprime_importer *)imp)->refcount,
		 vprime_importer_release_dev);
}

/* ---- the device: one DMA transfer ------------------------------------- */

static irqreturn_t vprime_importer_irq(int irq, void *arg)
{
	struct vprime_importer *imp = arg;
	u32 status = readl(imp->mmio + EDU_REG_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;
	writel(status, imp->mmio + EDU_REG_IRQ_ACK);
	if (status & EDU_IRQ_DMA)
		complete(&imp->dma_done);
	return IRQ_HANDLED;
}

/* One transfer between the device's buffer and @addr; caller holds imp->lock */
static int vprime_importer_xfer(struct vprime_importer *imp, dma_addr_t addr,
				u32 len, bool to_addr)
{
	reinit_completion(&imp->dma_done);
	writeq(to_addr ? EDU_BUF_ADDR : addr, imp->mmio + EDU_REG_DMA_SRC);
	writeq(to_addr ? addr : EDU_BUF_ADDR, imp->mmio + EDU_REG_DMA_DST);
	writeq(len, imp->mmio + EDU_REG_DMA_COUNT);
	writeq(EDU_DMA_RUN | EDU_DMA_IRQ | (to_addr ? EDU_DMA_TO_PCI : 0),
	       imp->mmio + EDU_REG_DMA_CMD);
	if (!wait_for_completion_timeout(&imp->dma_done,
					 msecs_to_jiffies(EDU_XFER_TIMEOUT_MS)))
		return -ETIMEDOUT;
	return 0;
}

/* ---- the fence that publishes the device's access ---------------------- */

static const char *vprime_importer_fence_driver(struct dma_fence *fence)
{
	return DRIVER_NAME;
}

static const char *vprime_importer_fence_timeline(struct dma_fence *fence)
{
	return "edu-dma";
}

static const struct dma_fence_ops vprime_importer_fence_ops = {
	.get_driver_name = vprime_importer_fence_driver,
	.get_timeline_name = vprime_importer_fence_timeline,
};

/* ---- mapping, and what the mapping is ------------------------------- */

/* Whether @addr is a bus address inside some PCI device's memory BAR */
static bool vprime_importer_addr_is_peer(dma_addr_t addr)
{
	struct pci_dev *pdev = NULL;
	int i;

	for_each_pci_dev(pdev) {
		for (i = 0; i < PCI_STD_NUM_BARS; i++) {
			struct resource *r = &pdev->resource[i];
			struct pci_bus_region region;

			if (!(r->flags & IORESOURCE_MEM) || !r->start)
				continue;
			pcibios_resource_to_bus(pdev->bus, &region, r);
			if (addr >= region.start && addr <= region.end) {
				pci_dev_put(pdev);
				return true;
			}
		}
	}
	return false;
}

/* Fill @r from the mapping: only DMA addresses, never the pages */
static void vprime_importer_describe(struct vprime_import *im,
				     struct vprime_importer_report *r)
{
	struct scatterlist *sg;
	dma_addr_t next = 0;
	int i;

	r->size = im->dmabuf->size;
	r->segments = r->ranges = r->peer_segments = 0;
	r->first_addr = r->last_addr = r->longest_segment = 0;
	r->violations = 0;
	for_each_sgtable_dma_sg(im->sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		unsigned int len = sg_dma_len(sg);

		if (!r->segments)
			r->first_addr = addr;
		if (!r->segments || addr != next)
			r->ranges++;
		r->segments++;
		r->last_addr = max_t(u64, r->last_addr, addr + len - 1);
		r->longest_segment = max_t(u64, r->longest_segment, len);
		if (vprime_importer_addr_is_peer(addr))
			r->peer_segments++;
		next = addr + len;
	}
	if (r->last_addr > im->dma_mask)
		r->violations |= VPRIME_IMPORTER_BAD_MASK;
	if (r->longest_segment > im->max_segment)
		r->violations |= VPRIME_IMPORTER_BAD_SEGMENT;
	if ((im->flags & VPRIME_IMPORTER_CONTIGUOUS) && r->ranges > 1)
		r->violations |= VPRIME_IMPORTER_BAD_CONTIGUOUS;
	r->moves = im->moves;
	r->maps = im->maps;
}

/* The device's constraints for @im; caller holds imp->lock */
static int vprime_importer_constrain(struct vprime_import *im)
{
	struct device *dev = &im->imp->pdev->dev;
	int ret;

	ret = dma_set_mask_and_coherent(dev, im->dma_mask);
	if (ret)
		return ret;
	dma_set_max_seg_size(dev, im->max_segment);
	return 0;
}

/*
 * Map the buffer if it is not mapped (first access, or after a move).
 * Caller holds imp->lock and the reservation lock.
 */
static int vprime_importer_map(struct vprime_import *im)
{
	struct sg_table *sgt;
	int ret;

	dma_resv_assert_held(im->dmabuf->resv);
	if (im->sgt)
		return 0;
	ret = vprime_importer_constrain(im);
	if (ret)
		return ret;
	sgt = dma_buf_map_attachment(im->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	im->sgt = sgt;
	im->maps++;
	return 0;
}

static void vprime_importer_unmap(struct vprime_import *im)
{
	dma_resv_assert_held(im->dmabuf->resv);
	if (im->sgt) {
		dma_buf_unmap_attachment(im->attach, im->sgt, DMA_BIDIRECTIONAL);
		im->sgt = NULL;
	}
}

/*
 * The exporter moved the buffer (or is about to): called with the
 * reservation lock held.  The old mapping goes; the next access maps the
 * buffer where it is now.  A device still using the old mapping would
 * have a fence in the reservation object, which the exporter waits for.
 */
static void vprime_importer_move_notify(struct dma_buf_attachment *attach)
{
	struct vprime_import *im = attach->importer_priv;

	vprime_importer_unmap(im);
	im->moves++;
}

static const struct dma_buf_attach_ops vprime_importer_dynamic_ops = {
	.allow_peer2peer = false,
	.move_notify = vprime_importer_move_notify,
};

static const struct dma_buf_attach_ops vprime_importer_p2p_ops = {
	.allow_peer2peer = true,
	.move_notify = vprime_importer_move_notify,
};

/* ---- the device reads or writes the buffer ------------------------------ */

/* The DMA address of byte @off of the mapping (page aligned) */
static dma_addr_t vprime_importer_addr_of(struct sg_table *sgt, u64 off)
{
	struct scatterlist *sg;
	u64 pos = 0;
	int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (off < pos + sg_dma_len(sg))
			return sg_dma_address(sg) + (off - pos);
		pos += sg_dma_len(sg);
	}
	return DMA_MAPPING_ERROR;
}

static int vprime_importer_page(struct vprime_import *im, u32 op, u32 seed,
				u64 off, struct vprime_importer_report *r)
{
	struct vprime_importer *imp = im->imp;
	u32 len = min_t(u64, VPRIME_IMPORTER_PAGE, im->dmabuf->size - off);
	dma_addr_t addr = vprime_importer_addr_of(im->sgt, off);
	u32 i;
	int ret;

	if (addr == DMA_MAPPING_ERROR)
		return -EINVAL;	/* a mapping shorter than the buffer */
	if (op == VPRIME_IMPORTER_WRITE) {
		for (i = 0; i < len / 4; i++)
			imp->bounce[i] = vprime_importer_pattern(seed, off + 4 * i);
		ret = vprime_importer_xfer(imp, imp->bounce_dma, len, false);
		if (!ret)
			ret = vprime_importer_xfer(imp, addr, len, true);
	} else {
		ret = vprime_importer_xfer(imp, addr, len, false);
		if (!ret)
			ret = vprime_importer_xfer(imp, imp->bounce_dma, len, true);
		for (i = 0; !ret && i < len / 4; i++) {
			if (imp->bounce[i] == vprime_importer_pattern(seed, off + 4 * i))
				continue;
			if (!r->mismatches++)
				r->first_mismatch = off + 4 * i;
		}
	}
	if (!ret)
		r->pages_accessed++;
	return ret;
}

/*
 * The device reads or writes the chosen pages.  Implicit sync first: wait
 * for the exporter's and others' writes (and, to write, their reads);
 * then the device's own access is published as a fence, so that a CPU
 * syncing through DMA_BUF_IOCTL_SYNC waits for it.  Caller holds
 * imp->lock and the reservation lock.
 */
static int vprime_importer_touch(struct vprime_import *im, u32 op, u32 seed,
				 u32 max_pages, struct vprime_importer_report *r)
{
	struct vprime_importer *imp = im->imp;
	bool write = op == VPRIME_IMPORTER_WRITE;
	u64 npages = DIV_ROUND_UP(im->dmabuf->size, VPRIME_IMPORTER_PAGE);
	u64 n = max_pages && max_pages < npages ? max_pages : npages;
	struct dma_fence *fence;
	long lret;
	int ret = 0;
	u64 k;

	lret = dma_resv_wait_timeout(im->dmabuf->resv, dma_resv_usage_rw(write),
				     true, msecs_to_jiffies(10000));
	if (lret <= 0)
		return lret ?: -ETIMEDOUT;

	fence = kzalloc(sizeof(*fence), GFP_KERNEL);
	if (!fence)
		return -ENOMEM;
	ret = dma_resv_reserve_fences(im->dmabuf->resv, 1);
	if (ret) {
		kfree(fence);
		return ret;
	}
	dma_fence_init(fence, &vprime_importer_fence_ops, &imp->fence_lock,
		       imp->fence_context, ++imp->fence_seqno);
	dma_resv_add_fence(im->dmabuf->resv, fence,
			   write ? DMA_RESV_USAGE_WRITE : DMA_RESV_USAGE_READ);

	for (k = 0; k < n && !ret; k++) {
		u64 page = n == npages ? k : n == 1 ? 0 : k * (npages - 1) / (n - 1);

		ret = vprime_importer_page(im, op, seed, page * VPRIME_IMPORTER_PAGE, r);
	}
	if (ret)
		dma_fence_set_error(fence, ret);
	dma_fence_signal(fence);
	dma_fence_put(fence);
	return ret;
}

/* ---- ioctls ----------------------------------------------------------------- */

static long vprime_importer_ioctl_caps(struct vprime_importer_file *vf,
				       void __user *arg)
{
	struct vprime_importer_caps caps = {};

	if (IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY))
		caps.flags |= VPRIME_IMPORTER_CAP_MOVE_NOTIFY;
	if (IS_ENABLED(CONFIG_PCI_P2PDMA))
		caps.flags |= VPRIME_IMPORTER_CAP_P2PDMA;
	mutex_lock(&vf->imp->lock);
	if (vf->imp->pdev)
		strscpy(caps.dev_name, pci_name(vf->imp->pdev), sizeof(caps.dev_name));
	mutex_unlock(&vf->imp->lock);
	return copy_to_user(arg, &caps, sizeof(caps)) ? -EFAULT : 0;
}

static void vprime_import_free(struct vprime_import *im)
{
	dma_resv_lock(im->dmabuf->resv, NULL);
	vprime_importer_unmap(im);
	dma_resv_unlock(im->dmabuf->resv);
	dma_buf_detach(im->dmabuf, im->attach);
	dma_buf_put(im->dmabuf);
	kfree(im);
}

static long vprime_importer_ioctl_attach(struct vprime_importer_file *vf,
					 void __user *arg)
{
	struct vprime_importer *imp = vf->imp;
	struct vprime_importer_attach args;
	const struct dma_buf_attach_ops *ops = NULL;
	struct vprime_import *im;
	u32 bits;
	int ret;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	bits = args.dma_bits ?: 64;
	if (args.pad || args.handle || (args.flags & ~VPRIME_IMPORTER_FLAGS) ||
	    bits < 32 || bits > 64 || args.max_segment % VPRIME_IMPORTER_PAGE)
		return -EINVAL;
	/* peer-to-peer addresses only for an importer the exporter can tell */
	if ((args.flags & VPRIME_IMPORTER_PEER2PEER) &&
	    !(args.flags & VPRIME_IMPORTER_DYNAMIC))
		return -EINVAL;
	if (args.flags & VPRIME_IMPORTER_DYNAMIC)
		ops = args.flags & VPRIME_IMPORTER_PEER2PEER ?
		      &vprime_importer_p2p_ops : &vprime_importer_dynamic_ops;

	im = kzalloc(sizeof(*im), GFP_KERNEL);
	if (!im)
		return -ENOMEM;
	im->imp = imp;
	im->flags = args.flags;
	im->dma_mask = DMA_BIT_MASK(bits);
	im->max_segment = args.max_segment ?: UINT_MAX;
	im->dmabuf = dma_buf_get(args.fd);
	if (IS_ERR(im->dmabuf)) {
		ret = PTR_ERR(im->dmabuf);
		kfree(im);
		return ret;
	}

	/*
	 * A static attachment to an exporter that moves buffers is mapped
	 * (and pinned) right here, with the device's constraints of now.
	 */
	mutex_lock(&imp->lock);
	ret = imp->pdev ? vprime_importer_constrain(im) : -ENODEV;
	if (!ret) {
		im->attach = dma_buf_dynamic_attach(im->dmabuf, &imp->pdev->dev,
						    ops, im);
		if (IS_ERR(im->attach))
			ret = PTR_ERR(im->attach);
	}
	mutex_unlock(&imp->lock);
	if (!ret)
		ret = xa_alloc(&vf->imports, &args.handle, im, xa_limit_32b,
			       GFP_KERNEL);
	if (ret) {
		if (!IS_ERR_OR_NULL(im->attach))
			dma_buf_detach(im->dmabuf, im->attach);
		dma_buf_put(im->dmabuf);
		kfree(im);
		return ret;
	}
	if (copy_to_user(arg, &args, sizeof(args))) {
		xa_erase(&vf->imports, args.handle);
		vprime_import_free(im);
		return -EFAULT;
	}
	return 0;
}

static long vprime_importer_ioctl_access(struct vprime_importer_file *vf,
					 void __user *arg)
{
	struct vprime_importer *imp = vf->imp;
	struct vprime_importer_access args;
	struct vprime_import *im;
	int ret;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if (args.op > VPRIME_IMPORTER_WRITE)
		return -EINVAL;
	memset(&args.report, 0, sizeof(args.report));
	/* the file's imports go only when the file does: no reference needed */
	im = xa_load(&vf->imports, args.handle);
	if (!im)
		return -ENOENT;

	mutex_lock(&imp->lock);
	if (!imp->pdev) {
		ret = -ENODEV;
		goto out_unlock;
	}
	ret = dma_resv_lock_interruptible(im->dmabuf->resv, NULL);
	if (ret)
		goto out_unlock;
	ret = vprime_importer_map(im);
	if (!ret) {
		vprime_importer_describe(im, &args.report);
		if (args.report.violations) {
			/* a device with these constraints could not use it */
			vprime_importer_unmap(im);
			ret = -EINVAL;
		} else if (args.op != VPRIME_IMPORTER_MAP) {
			ret = vprime_importer_touch(im, args.op, args.seed,
						    args.max_pages, &args.report);
		}
	}
	dma_resv_unlock(im->dmabuf->resv);
out_unlock:
	mutex_unlock(&imp->lock);
	if (copy_to_user(arg, &args, sizeof(args)))
		return -EFAULT;
	return ret;
}

static long vprime_importer_ioctl_detach(struct vprime_importer_file *vf,
					 void __user *arg)
{
	struct vprime_importer_detach args;
	struct vprime_import *im;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if (args.pad)
		return -EINVAL;
	im = xa_erase(&vf->imports, args.handle);
	if (!im)
		return -ENOENT;
	vprime_import_free(im);
	return 0;
}

static long vprime_importer_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	struct vprime_importer_file *vf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VPRIME_IMPORTER_IOCTL_CAPS:
		return vprime_importer_ioctl_caps(vf, uarg);
	case VPRIME_IMPORTER_IOCTL_ATTACH:
		return vprime_importer_ioctl_attach(vf, uarg);
	case VPRIME_IMPORTER_IOCTL_ACCESS:
		return vprime_importer_ioctl_access(vf, uarg);
	case VPRIME_IMPORTER_IOCTL_DETACH:
		return vprime_importer_ioctl_detach(vf, uarg);
	}
	return -ENOTTY;
}

static int vprime_importer_open(struct inode *inode, struct file *file)
{
	struct vprime_importer *imp = container_of(file->private_data,
						   struct vprime_importer, misc);
	struct vprime_importer_file *vf;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;
	kref_get(&imp->refcount);
	vf->imp = imp;
	xa_init_flags(&vf->imports, XA_FLAGS_ALLOC1);
	file->private_data = vf;
	return 0;
}

static int vprime_importer_release(struct inode *inode, struct file *file)
{
	struct vprime_importer_file *vf = file->private_data;
	struct vprime_import *im;
	unsigned long handle;

	xa_for_each(&vf->imports, handle, im)
		vprime_import_free(im);
	xa_destroy(&vf->imports);
	kref_put(&vf->imp->refcount, vprime_importer_release_dev);
	kfree(vf);
	return 0;
}

static const struct file_operations vprime_importer_fops = {
	.owner = THIS_MODULE,
	.open = vprime_importer_open,
	.release = vprime_importer_release,
	.unlocked_ioctl = vprime_importer_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* ---- test only: a planted bug --------------------------------------------- */

/*
 * vprime's own tests show with this that the debug kernel's checkers catch
 * a driver bug and that the run then fails: writing "use-after-free",
 * "lock-order" or "dma-unmap-size" to
 * /sys/module/vprime_importer/parameters/plant_bug makes the module read
 * freed memory (KASAN reports it), take two locks in both orders (lockdep
 * reports the possible deadlock; nothing deadlocks: one task takes them
 * one order after the other) or unmap a streaming DMA mapping with another
 * size than it mapped (DMA-API debugging reports it).  Nothing happens
 * unless someone writes it.  Delete this section in your copy.
 */
static DEFINE_MUTEX(vprime_plant_a);
static DEFINE_MUTEX(vprime_plant_b);

static noinline void vprime_plant_use_after_free(void)
{
	u32 *buf = kmalloc_array(8, sizeof(*buf), GFP_KERNEL);
	u32 *stale = buf;

	if (!buf)
		return;
	buf[0] = 0xed;
	kfree(buf);
	OPTIMIZER_HIDE_VAR(stale);	/* as KASAN's own tests: no compiler warning */
	pr_warn(DRIVER_NAME ": planted bug: read 0x%x after kfree()\n",
		READ_ONCE(stale[0]));
}

static noinline void vprime_plant_lock_order(void)
{
	mutex_lock(&vprime_plant_a);
	mutex_lock(&vprime_plant_b);
	mutex_unlock(&vprime_plant_b);
	mutex_unlock(&vprime_plant_a);

	mutex_lock(&vprime_plant_b);
	mutex_lock(&vprime_plant_a);
	pr_warn(DRIVER_NAME ": planted bug: took two locks in both orders\n");
	mutex_unlock(&vprime_plant_a);
	mutex_unlock(&vprime_plant_b);
}

/* a DMA-API misuse on the bound edu device: the unmap's size is wrong */
static noinline int vprime_plant_dma_unmap_size(void)
{
	struct device *dev;
	dma_addr_t addr;
	void *buf;
	int ret = 0;

	mutex_lock(&vprime_importer_bind_lock);
	if (!vprime_importer_bound) {
		ret = -ENODEV;
		goto out;
	}
	dev = &vprime_importer_bound->pdev->dev;
	buf = kzalloc(64, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	addr = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, addr)) {
		ret = -ENOMEM;
	} else {
		pr_warn(DRIVER_NAME ": planted bug: unmap a 64-byte DMA mapping as 32 bytes\n");
		dma_unmap_single(dev, addr, 32, DMA_TO_DEVICE);
	}
	kfree(buf);
out:
	mutex_unlock(&vprime_importer_bind_lock);
	return ret;
}

static int vprime_plant_bug_set(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "use-after-free"))
		vprime_plant_use_after_free();
	else if (sysfs_streq(val, "lock-order"))
		vprime_plant_lock_order();
	else if (sysfs_streq(val, "dma-unmap-size"))
		return vprime_plant_dma_unmap_size();
	else
		return -EINVAL;
	return 0;
}

static const struct kernel_param_ops vprime_plant_bug_ops = {
	.set = vprime_plant_bug_set,
};
module_param_cb(plant_bug, &vprime_plant_bug_ops, NULL, 0200);
MODULE_PARM_DESC(plant_bug,
		 "test only: write use-after-free, lock-order or dma-unmap-size to plant that bug now");

/* ---- the PCI driver ------------------------------------------------------- */

static int vprime_importer_probe(struct pci_dev *pdev,
				 const struct pci_device_id *id)
{
	struct vprime_importer *imp;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	imp = kzalloc(sizeof(*imp), GFP_KERNEL);
	if (!imp)
		return -ENOMEM;
	kref_init(&imp->refcount);
	mutex_init(&imp->lock);
	init_completion(&imp->dma_done);
	spin_lock_init(&imp->fence_lock);
	imp->pdev = pdev;
	imp->fence_context = dma_fence_context_alloc(1);
	ret = devm_add_action_or_reset(&pdev->dev, vprime_importer_put, imp);
	if (ret)
		return ret;

	imp->mmio = pcim_iomap_region(pdev, 0, DRIVER_NAME);
	if (IS_ERR(imp->mmio))
		return PTR_ERR(imp->mmio);
	if ((readl(imp->mmio + EDU_REG_IDENT) & 0xff) != 0xed) {
		dev_err(&pdev->dev, "not an edu device (ident 0x%x)\n",
			readl(imp->mmio + EDU_REG_IDENT));
		return -ENODEV;
	}
	pci_set_master(pdev);
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
	if (ret < 0)
		return ret;
	ret = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, 0),
			       vprime_importer_irq, IRQF_SHARED, DRIVER_NAME, imp);
	if (ret)
		return ret;
	/* the CPU's page, reachable whatever mask an attachment asks for */
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (ret)
		return ret;
	imp->bounce = dmam_alloc_coherent(&pdev->dev, EDU_BUF_SIZE,
					  &imp->bounce_dma, GFP_KERNEL);
	if (!imp->bounce)
		return -ENOMEM;

	mutex_lock(&vprime_importer_bind_lock);
	if (vprime_importer_bound) {
		ret = -EBUSY;	/* one /dev/vprime-importer */
	} else {
		imp->misc.minor = MISC_DYNAMIC_MINOR;
		imp->misc.name = "vprime-importer";
		imp->misc.fops = &vprime_importer_fops;
		imp->misc.parent = &pdev->dev;
		ret = misc_register(&imp->misc);
		if (!ret)
			vprime_importer_bound = imp;
	}
	mutex_unlock(&vprime_importer_bind_lock);
	if (ret)
		return ret;
	pci_set_drvdata(pdev, imp);
	dev_info(&pdev->dev, "dma-buf importer on /dev/vprime-importer%s%s\n",
		 IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY) ? ", dynamic" : "",
		 IS_ENABLED(CONFIG_PCI_P2PDMA) ? ", peer-to-peer" : "");
	return 0;
}

static void vprime_importer_remove(struct pci_dev *pdev)
{
	struct vprime_importer *imp = pci_get_drvdata(pdev);

	mutex_lock(&vprime_importer_bind_lock);
	misc_deregister(&imp->misc);
	vprime_importer_bound = NULL;
	mutex_unlock(&vprime_importer_bind_lock);
	/* open files keep the structure; their accesses fail from now on */
	mutex_lock(&imp->lock);
	imp->pdev = NULL;
	mutex_unlock(&imp->lock);
}

static const struct pci_device_id vprime_importer_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vprime_importer_ids);

static struct pci_driver vprime_importer_driver = {
	.name = DRIVER_NAME,
	.id_table = vprime_importer_ids,
	.probe = vprime_importer_probe,
	.remove = vprime_importer_remove,
};
module_pci_driver(vprime_importer_driver);

MODULE_AUTHOR("The vprime authors");
MODULE_DESCRIPTION("vprime example dma-buf importer (QEMU edu device)");
MODULE_LICENSE("GPL");
