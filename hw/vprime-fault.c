/*
 * vprime: host-controlled fault injection (see vprime-fault.h and the
 * "Fault injection" section of vprime-spec.rst)
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/keyval.h"
#include "qapi/error.h"
#include "qapi/qobject-input-visitor.h"
#include "qapi/visitor.h"
#include "qobject/qdict.h"
#include "hw/qdev-core.h"
#include "vprime-fault.h"
#include "trace.h"

static const char *const kind_names[VPRIME_INJ__MAX] = {
    [VPRIME_INJ_HANG] = "hang",
    [VPRIME_INJ_LOST_IRQ] = "lost-irq",
    [VPRIME_INJ_LATE_IRQ] = "late-irq",
    [VPRIME_INJ_DMA_ERROR] = "dma-error",
    [VPRIME_INJ_SLOW_FENCE] = "slow-fence",
    [VPRIME_INJ_VRAM_RETIRE] = "vram-retire",
    [VPRIME_INJ_UNDERRUN] = "underrun",
    [VPRIME_INJ_UNPLUG] = "unplug",
    [VPRIME_INJ_REPLUG] = "replug",
};

/* Defaults: a late interrupt 100 ms late, a slow fence 10 ms slower */
#define LATE_IRQ_DELAY_NS   (100 * 1000 * 1000)
#define SLOW_FENCE_DELAY_NS (10 * 1000 * 1000)

static void fault_target_name(VPrimeFaults *f, uint32_t target, char *buf,
                        size_t len)
{
    if (target == VPRIME_INJ_ANY) {
        snprintf(buf, len, "any");
    } else if (f->target_names) {
        snprintf(buf, len, "%s", f->target_names[target]);
    } else {
        snprintf(buf, len, "%s%u", f->target_kind, target);
    }
}

static void fault_log(VPrimeFaults *f, VPrimeInjKind kind, uint32_t target,
                      const char *event, uint64_t seq, const char *detail)
{
    char tname[32];

    if (kind == VPRIME_INJ_VRAM_RETIRE) {
        snprintf(tname, sizeof(tname), "vram");
    } else {
        fault_target_name(f, target, tname, sizeof(tname));
    }
    f->nlog++;
    g_string_append_printf(f->log, "%" PRIu64 " %s %s %s=%" PRIu64 "%s%s\n",
                           f->nlog, kind_names[kind], tname, event, seq,
                           detail && *detail ? " " : "",
                           detail ? detail : "");
    f->stat[kind]++;
    f->core->stat_injected_faults++;
    trace_vprime_fault_inject(f->core->name ? f->core->name : "vprime",
                              kind_names[kind], tname, event, seq);
}

void vprime_fault_note(VPrimeFaults *f, VPrimeInjKind kind, uint32_t target,
                       const char *event, uint64_t seq, const char *detail)
{
    fault_log(f, kind, target, event, seq, detail);
}

bool vprime_fault_check(VPrimeFaults *f, VPrimeInjKind kind, uint32_t target,
                        const char *event, uint64_t seq, uint64_t addr,
                        uint64_t len, VPrimeFaultHit *hit)
{
    g_autofree char *detail = NULL;
    VPrimeFault *flt = NULL;
    guint i;

    for (i = 0; i < f->armed->len; i++) {
        VPrimeFault *c = &g_array_index(f->armed, VPrimeFault, i);

        if (c->kind != kind ||
            (c->target != VPRIME_INJ_ANY && c->target != target)) {
            continue;
        }
        if (kind == VPRIME_INJ_DMA_ERROR) {
            if (c->size && (addr + len <= c->start ||
                            addr >= c->start + c->size)) {
                continue;
            }
            /* one candidate per command, however many runs it moves */
            if (c->seen && c->last_seq == seq) {
                continue;
            }
            c->last_seq = seq;
        }
        if (++c->seen <= c->after) {
            continue;
        }
        if (c->prob < 100 && vprime_rand(&f->rng) % 100 >= c->prob) {
            continue;
        }
        flt = c;
        break;
    }
    if (!flt) {
        return false;
    }

    memset(hit, 0, sizeof(*hit));
    hit->delay_ns = flt->delay_ns;
    if (flt->jitter_ns) {
        hit->delay_ns += vprime_rand(&f->rng) % (flt->jitter_ns + 1);
    }
    hit->bytes = flt->bytes;
    hit->replug = flt->replug;
    switch (kind) {
    case VPRIME_INJ_LATE_IRQ:
    case VPRIME_INJ_SLOW_FENCE:
        detail = g_strdup_printf("+%" PRIu64 "ns", hit->delay_ns);
        break;
    case VPRIME_INJ_DMA_ERROR:
        /*
         * Where in the range, not the address: guest memory layout differs
         * from boot to boot (KASLR, page allocator shuffling), and the log
         * must not.  The address itself is traced.
         */
        trace_vprime_fault_dma(f->core->name, target, addr);
        if (flt->size) {
            detail = g_strdup_printf("offset=0x%" PRIx64,
                                     addr > flt->start ? addr - flt->start : 0);
        }
        break;
    case VPRIME_INJ_UNPLUG:
        if (flt->replug) {
            detail = g_strdup_printf("replug=%" PRIu64, flt->replug);
        }
        break;
    default:
        break;
    }
    fault_log(f, kind, target, event, seq, detail);
    if (flt->count && ++flt->hits >= flt->count) {
        g_array_remove_index(f->armed, flt - &g_array_index(f->armed,
                                                            VPrimeFault, 0));
    }
    return true;
}

/*
 * ---- the script -----------------------------------------------------------
 *
 * A script is faults separated by ';', each "KIND[:KEY=VALUE,...]".  What
 * follows the colon is QEMU's own KEY=VALUE syntax: keyval_parse() reads
 * it and a keyval QObject input visitor takes each key the kind has, as a
 * number or a size, so that unknown keys and bad values get QEMU's usual
 * messages.
 */

#define ALL_KINDS       (BIT(VPRIME_INJ__MAX) - 1)
#define DELAY_KINDS     (BIT(VPRIME_INJ_LATE_IRQ) | BIT(VPRIME_INJ_SLOW_FENCE))
/* Kinds that name an engine or a head (vram-retire acts on the VRAM) */
#define TARGET_KINDS    (ALL_KINDS & ~BIT(VPRIME_INJ_VRAM_RETIRE))

/* The numeric keys of a fault: which kinds take them, where they go */
static const struct {
    const char *name;
    uint32_t kinds;             /* BIT(VPRIME_INJ_*) */
    size_t offset;              /* of a uint64_t in VPrimeFault */
    bool size;                  /* a size ("1M"), not just a number */
} fault_keys[] = {
    { "after", ALL_KINDS, offsetof(VPrimeFault, after) },
    { "count", ALL_KINDS, offsetof(VPrimeFault, count) },
    { "prob", ALL_KINDS, offsetof(VPrimeFault, prob) },
    { "delay-ns", DELAY_KINDS, offsetof(VPrimeFault, delay_ns) },
    { "jitter-ns", DELAY_KINDS, offsetof(VPrimeFault, jitter_ns) },
    { "start", BIT(VPRIME_INJ_DMA_ERROR), offsetof(VPrimeFault, start) },
    { "size", BIT(VPRIME_INJ_DMA_ERROR), offsetof(VPrimeFault, size), true },
    { "bytes", BIT(VPRIME_INJ_VRAM_RETIRE), offsetof(VPrimeFault, bytes),
      true },
    { "replug", BIT(VPRIME_INJ_UNPLUG), offsetof(VPrimeFault, replug) },
};

static bool parse_target(VPrimeFaults *f, const char *val, uint32_t *out,
                         Error **errp)
{
    uint64_t n;
    uint32_t i;

    if (!strcmp(val, "any")) {
        *out = VPRIME_INJ_ANY;
        return true;
    }
    for (i = 0; f->target_names && f->target_names[i]; i++) {
        if (!strcmp(val, f->target_names[i])) {
            *out = i;
            return true;
        }
    }
    if (qemu_strtou64(val, NULL, 0, &n) || n >= f->ntargets) {
        g_autoptr(GString) names = g_string_new("");

        for (i = 0; f->target_names && f->target_names[i]; i++) {
            g_string_append_printf(names, "%s, ", f->target_names[i]);
        }
        error_setg(errp, "%s=%s: no such %s: allowed are %s0 to %u and any",
                   f->target_kind, val, f->target_kind, names->str,
                   f->ntargets - 1);
        return false;
    }
    *out = n;
    return true;
}

/* The kind's defaults, before its keys */
static void fault_defaults(VPrimeFault *flt, VPrimeInjKind k)
{
    memset(flt, 0, sizeof(*flt));
    flt->kind = k;
    flt->target = VPRIME_INJ_ANY;
    flt->count = 1;
    flt->prob = 100;
    if (k == VPRIME_INJ_LATE_IRQ) {
        flt->delay_ns = LATE_IRQ_DELAY_NS;
    } else if (k == VPRIME_INJ_SLOW_FENCE) {
        flt->delay_ns = SLOW_FENCE_DELAY_NS;
    } else if (k == VPRIME_INJ_UNDERRUN || k == VPRIME_INJ_UNPLUG ||
               k == VPRIME_INJ_REPLUG) {
        flt->target = 0;        /* one head, not every head */
    }
}

static bool parse_kind(VPrimeFaults *f, const char *kind, VPrimeInjKind *out,
                       Error **errp)
{
    g_autoptr(GString) allowed = g_string_new("");
    int k;

    for (k = 0; k < VPRIME_INJ__MAX; k++) {
        if (!(f->kinds & BIT(k))) {
            continue;
        }
        if (!strcmp(kind, kind_names[k])) {
            *out = k;
            return true;
        }
        g_string_append_printf(allowed, "%s, ", kind_names[k]);
    }
    g_string_truncate(allowed, allowed->len - 2);
    error_setg(errp, "unknown fault kind '%s' for %s: allowed are %s and "
               "clear", kind, object_get_typename(f->obj), allowed->str);
    return false;
}

/* Visit the keys a fault of flt->kind takes; any other key is an error */
static bool visit_fault_keys(VPrimeFaults *f, Visitor *v, VPrimeFault *flt,
                             Error **errp)
{
    g_autofree char *target = NULL;
    bool present;
    size_t i;

    if ((TARGET_KINDS & BIT(flt->kind)) &&
        visit_optional(v, f->target_kind, &present) &&
        (!visit_type_str(v, f->target_kind, &target, errp) ||
         !parse_target(f, target, &flt->target, errp))) {
        return false;
    }
    for (i = 0; i < ARRAY_SIZE(fault_keys); i++) {
        uint64_t *val = (uint64_t *)((char *)flt + fault_keys[i].offset);

        if (!(fault_keys[i].kinds & BIT(flt->kind)) ||
            !visit_optional(v, fault_keys[i].name, &present)) {
            continue;
        }
        if (fault_keys[i].size ?
            !visit_type_size(v, fault_keys[i].name, val, errp) :
            !visit_type_uint64(v, fault_keys[i].name, val, errp)) {
            return false;
        }
    }
    return visit_check_struct(v, errp);
}

/* The keys a kind takes, for the hint after a refusal */
static char *fault_keys_of(VPrimeFaults *f, VPrimeInjKind k)
{
    GString *keys = g_string_new("");
    size_t i;

    if (TARGET_KINDS & BIT(k)) {
        g_string_append(keys, f->target_kind);
    }
    for (i = 0; i < ARRAY_SIZE(fault_keys); i++) {
        if (fault_keys[i].kinds & BIT(k)) {
            g_string_append_printf(keys, "%s%s", keys->len ? ", " : "",
                                   fault_keys[i].name);
        }
    }
    return g_string_free(keys, false);
}

/* "kind[:key=value,...]" */
static bool parse_fault(VPrimeFaults *f, const char *text, VPrimeFault *flt,
                        Error **errp)
{
    ERRP_GUARD();
    const char *colon = strchr(text, ':');
    g_autofree char *kind = g_strndup(text, colon ? colon - text
                                                  : strlen(text));
    g_autoptr(QDict) keys = NULL;
    VPrimeInjKind k;
    Visitor *v;
    bool ok;

    if (!parse_kind(f, kind, &k, errp)) {
        return false;
    }
    fault_defaults(flt, k);
    keys = keyval_parse(colon ? colon + 1 : "", NULL, NULL, errp);
    if (!keys) {
        return false;
    }
    v = qobject_input_visitor_new_keyval(QOBJECT(keys));
    ok = visit_start_struct(v, NULL, NULL, 0, errp);
    if (ok) {
        ok = visit_fault_keys(f, v, flt, errp);
        visit_end_struct(v, NULL);
    }
    visit_free(v);
    if (!ok) {
        g_autofree char *allowed = fault_keys_of(f, k);

        error_append_hint(errp, "%s takes %s\n", kind, allowed);
        return false;
    }
    if (flt->prob < 1 || flt->prob > 100) {
        error_setg(errp, "prob=%" PRIu64 " is not a percentage, 1 to 100",
                   flt->prob);
        return false;
    }
    if (flt->start + flt->size < flt->start) {
        error_setg(errp, "the dma-error range wraps around");
        return false;
    }
    return true;
}

static void fault_arm(VPrimeFaults *f, VPrimeFault *flt)
{
    if (flt->kind == VPRIME_INJ_VRAM_RETIRE) {
        g_autofree char *detail = g_strdup_printf("bytes=%" PRIu64,
                                                  flt->bytes);

        /* acts when armed: the device's state changes, no event waits */
        if (f->arm) {
            f->arm(f->opaque, flt);
        }
        fault_log(f, flt->kind, VPRIME_INJ_ANY, "armed", ++f->narmed,
                  detail);
        return;
    }
    g_array_append_val(f->armed, *flt);
    /* the device may have to watch for its events now (display vblanks) */
    if (f->arm) {
        f->arm(f->opaque, flt);
    }
}

static void set_fault(Object *obj, Visitor *v, const char *name, void *opaque,
                      Error **errp)
{
    ERRP_GUARD();
    VPrimeFaults *f = opaque;
    g_autofree char *script = NULL;
    g_autoptr(GArray) parsed = g_array_new(false, false, sizeof(VPrimeFault));
    g_auto(GStrv) parts = NULL;
    bool clear = false;
    guint i;

    if (!visit_type_str(v, name, &script, errp)) {
        return;
    }
    /* the whole script is checked before anything is armed */
    parts = g_strsplit(script, ";", -1);
    for (i = 0; parts[i]; i++) {
        VPrimeFault flt;
        char *t = g_strstrip(parts[i]);

        if (!*t) {
            continue;
        }
        if (!strcmp(t, "clear")) {
            clear = true;
            continue;
        }
        if (!parse_fault(f, t, &flt, errp)) {
            error_prepend(errp, "fault '%s': ", t);
            return;
        }
        g_array_append_val(parsed, flt);
    }
    if (clear) {
        g_array_set_size(f->armed, 0);
    }
    for (i = 0; i < parsed->len; i++) {
        VPrimeFault *flt = &g_array_index(parsed, VPrimeFault, i);

        if (flt->kind == VPRIME_INJ_VRAM_RETIRE && !DEVICE(obj)->realized) {
            g_array_append_val(f->armed, *flt);    /* applied at realize */
        } else {
            fault_arm(f, flt);
        }
    }
}

/* Reading "fault" gives what is still armed, in the script's syntax */
static void get_fault(Object *obj, Visitor *v, const char *name, void *opaque,
                      Error **errp)
{
    VPrimeFaults *f = opaque;
    g_autoptr(GString) s = g_string_new("");
    g_autofree char *val = NULL;
    guint i;

    for (i = 0; i < f->armed->len; i++) {
        VPrimeFault *c = &g_array_index(f->armed, VPrimeFault, i);
        char tname[32];

        fault_target_name(f, c->target, tname, sizeof(tname));
        g_string_append_printf(s, "%s%s:%s=%s,after=%" PRIu64 ",count=%"
                               PRIu64, s->len ? ";" : "", kind_names[c->kind],
                               f->target_kind, tname,
                               c->after > c->seen ? c->after - c->seen : 0,
                               c->count ? c->count - c->hits : 0);
    }
    val = g_string_free(g_steal_pointer(&s), false);
    visit_type_str(v, name, &val, errp);
}

static void get_log(Object *obj, Visitor *v, const char *name, void *opaque,
                    Error **errp)
{
    VPrimeFaults *f = opaque;
    g_autofree char *val = g_strdup(f->log->str);

    visit_type_str(v, name, &val, errp);
}

static void get_seed(Object *obj, Visitor *v, const char *name, void *opaque,
                     Error **errp)
{
    VPrimeFaults *f = opaque;

    visit_type_uint64(v, name, &f->seed, errp);
}

static void set_seed(Object *obj, Visitor *v, const char *name, void *opaque,
                     Error **errp)
{
    VPrimeFaults *f = opaque;
    uint64_t seed;

    if (!visit_type_uint64(v, name, &seed, errp)) {
        return;
    }
    f->seed = seed;
    f->rng = seed;      /* the sequence starts again */
}

void vprime_faults_init(VPrimeFaults *f, Object *obj, VPrimeCore *core,
                        uint32_t kinds, const char *target_kind,
                        const char *const *target_names)
{
    int k;

    f->obj = obj;
    f->core = core;
    f->kinds = kinds;
    f->target_kind = target_kind;
    f->target_names = target_names;
    f->ntargets = 1;
    for (k = 0; target_names && target_names[k]; k++) {
        f->ntargets = k + 1;
    }
    f->armed = g_array_new(false, false, sizeof(VPrimeFault));
    f->log = g_string_new("");
    f->rng = f->seed;

    object_property_add(obj, "fault", "str", get_fault, set_fault, NULL, f);
    object_property_set_description(obj, "fault",
                                    "fault script: KIND[:KEY=VALUE,...];... "
                                    "or clear (hw/vprime-spec.rst)");
    object_property_add(obj, "fault-seed", "uint64", get_seed, set_seed,
                        NULL, f);
    object_property_set_description(obj, "fault-seed",
                                    "seed of the faults' prob and jitter-ns");
    object_property_add(obj, "fault-log", "str", get_log, NULL, NULL, f);
    object_property_set_description(obj, "fault-log",
                                    "one line per injected event");
    for (k = 0; k < VPRIME_INJ__MAX; k++) {
        g_autofree char *stat = NULL;

        if (!(kinds & BIT(k))) {
            continue;
        }
        stat = g_strdup_printf("stat-injected-%s", kind_names[k]);
        object_property_add_uint64_ptr(obj, stat, &f->stat[k],
                                       OBJ_PROP_FLAG_READ);
    }
}

bool vprime_faults_realize(VPrimeFaults *f, uint32_t ntargets, Error **errp)
{
    g_autoptr(GArray) armed = f->armed;
    guint i;

    f->ntargets = ntargets;
    f->armed = g_array_new(false, false, sizeof(VPrimeFault));
    for (i = 0; i < armed->len; i++) {
        VPrimeFault *c = &g_array_index(armed, VPrimeFault, i);

        if (c->target != VPRIME_INJ_ANY && c->target >= ntargets) {
            error_setg(errp, "fault '%s:%s=%u': no such %s: the device "
                       "has %ss 0 to %u", kind_names[c->kind], f->target_kind,
                       c->target, f->target_kind, f->target_kind,
                       ntargets - 1);
            return false;
        }
        fault_arm(f, c);
    }
    return true;
}

void vprime_faults_fini(VPrimeFaults *f)
{
    g_array_free(f->armed, true);
    g_string_free(f->log, true);
}

void vprime_faults_stats_reset(VPrimeFaults *f)
{
    memset(f->stat, 0, sizeof(f->stat));
    g_string_truncate(f->log, 0);
    f->nlog = 0;
}
