/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Messages between the guest tests and the host agent (tests/host/agent.py)
 * over the virtio-serial port org.vprime.control: one line of JSON each way.
 * Requests are built with the hmsg_* writer (strings escaped, nesting
 * tracked), replies read with the hreply_* reader; nobody formats or
 * searches JSON by hand.
 */
#ifndef VPRIME_HOST_MSG_H
#define VPRIME_HOST_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HMSG_MAX 8192
#define HMSG_DEPTH 8

/* A request: {"op": OP, ...} */
struct hmsg {
	char buf[HMSG_MAX];
	size_t len;
	int depth;
	bool first[HMSG_DEPTH];		/* nothing written yet at this level */
	char closer[HMSG_DEPTH];	/* '}' or ']' for each open level */
	bool overflow;			/* too long or too deep: not sent */
};

/* A reply line; ok is its "ok" member */
struct hreply {
	char text[HMSG_MAX];
	bool ok;
};

void hmsg_start(struct hmsg *m, const char *op);
/* Members of the innermost object (key), or elements of an array (key NULL) */
void hmsg_str(struct hmsg *m, const char *key, const char *v);
void hmsg_u64(struct hmsg *m, const char *key, uint64_t v);
void hmsg_int(struct hmsg *m, const char *key, long long v);
void hmsg_bool(struct hmsg *m, const char *key, bool v);
void hmsg_open(struct hmsg *m, const char *key, char bracket);	/* '{' or '[' */
void hmsg_close(struct hmsg *m);

int host_call(struct hmsg *req, struct hreply *rep, int timeout_s);

int hreply_str(const struct hreply *r, const char *key, char *out, size_t len);
int hreply_num(const struct hreply *r, const char *key, double *v);
int hreply_u64(const struct hreply *r, const char *key, uint64_t *v);
const char *hreply_why(const struct hreply *r);

/* The requests the tests make most */
int host_qom_set_str(const char *dev, const char *prop, const char *v);
int host_qom_set_bool(const char *dev, const char *prop, bool v);
int host_qom_get(const char *dev, const char *prop, struct hreply *r);
int host_cputime(double *main_s);
/*
 * Starts a "screendump" request: the host compares display0's head @head
 * (@w x @h) with the test pattern (frame, tag) pixel by pixel, and keeps
 * it as @save (NULL: not kept).  "bpc", "window" and "background" may
 * follow.
 */
void hmsg_screendump(struct hmsg *m, int head, uint64_t w, uint64_t h,
		     int frame, uint64_t tag, const char *save);

#endif
