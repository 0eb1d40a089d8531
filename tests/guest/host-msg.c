// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest side of the host control channel (see host-msg.h): a JSON writer
 * for requests, a JSON reader for the agent's replies, and the line
 * transport over the virtio-serial port the launcher's --control socket
 * sits behind.  The reader validates the whole reply and finds a member
 * of the top-level object by key; nested values are skipped as a whole,
 * so a key inside a nested object or a string never matches.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-test.h"
#include "host-msg.h"

/* ---- writer ------------------------------------------------------------ */

static void put(struct hmsg *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct hmsg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->len, sizeof(m->buf) - m->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(m->buf) - m->len)
		m->overflow = true;
	else
		m->len += n;
}

static void put_string(struct hmsg *m, const char *s)
{
	put(m, "\"");
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			put(m, "\\%c", ch);
		else if (ch < 0x20)
			put(m, "\\u%04x", ch);
		else
			put(m, "%c", ch);
	}
	put(m, "\"");
}

/* The separator and, inside an object, the key */
static void member(struct hmsg *m, const char *key)
{
	if (m->depth <= 0) {
		m->overflow = true;
		return;
	}
	if (!m->first[m->depth - 1])
		put(m, ", ");
	m->first[m->depth - 1] = false;
	if (key) {
		put_string(m, key);
		put(m, ": ");
	}
}

void hmsg_open(struct hmsg *m, const char *key, char bracket)
{
	member(m, key);
	if (m->depth >= HMSG_DEPTH) {
		m->overflow = true;
		return;
	}
	put(m, "%c", bracket);
	m->closer[m->depth] = bracket == '[' ? ']' : '}';
	m->first[m->depth++] = true;
}

void hmsg_close(struct hmsg *m)
{
	if (m->depth <= 0) {
		m->overflow = true;
		return;
	}
	m->depth--;
	put(m, "%c", m->closer[m->depth]);
}

void hmsg_start(struct hmsg *m, const char *op)
{
	m->len = 0;
	m->depth = 0;
	m->overflow = false;
	m->buf[0] = 0;
	m->first[0] = true;
	m->closer[0] = '}';
	put(m, "{");
	m->depth = 1;
	hmsg_str(m, "op", op);
}

void hmsg_str(struct hmsg *m, const char *key, const char *v)
{
	member(m, key);
	put_string(m, v);
}

void hmsg_u64(struct hmsg *m, const char *key, uint64_t v)
{
	member(m, key);
	put(m, "%" PRIu64, v);
}

void hmsg_int(struct hmsg *m, const char *key, long long v)
{
	member(m, key);
	put(m, "%lld", v);
}

void hmsg_bool(struct hmsg *m, const char *key, bool v)
{
	member(m, key);
	put(m, "%s", v ? "true" : "false");
}

/* ---- reader ------------------------------------------------------------ */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Past a JSON string starting at p ('"'), or NULL; unescaped into out */
static const char *scan_string(const char *p, char *out, size_t len)
{
	size_t n = 0;

	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		char ch = *p;

		if ((unsigned char)ch < 0x20)
			return NULL;
		if (ch == '\\') {
			p++;
			switch (*p) {
			case '"': case '\\': case '/': ch = *p; break;
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			case 't': ch = '\t'; break;
			case 'u': {
				unsigned int u, i;

				for (i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				sscanf(p + 1, "%4x", &u);
				ch = u < 0x80 ? (char)u : '?';	/* ASCII is all we send */
				p += 4;
				break;
			}
			default:
				return NULL;
			}
		}
		if (out && n + 1 < len)
			out[n++] = ch;
	}
	if (out && len)
		out[n] = 0;
	return *p == '"' ? p + 1 : NULL;
}

/* Past one JSON value at p, or NULL if it is not one */
static const char *skip_value(const char *p, int depth)
{
	char *end;

	p = ws(p);
	if (depth > 32)
		return NULL;
	if (*p == '"')
		return scan_string(p, NULL, 0);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = scan_string(ws(p), NULL, 0);
				if (!p || *(p = ws(p)) != ':')
					return NULL;
				p++;
			}
			p = skip_value(p, depth + 1);
			if (!p)
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	strtod(p, &end);
	return end == p ? NULL : end;
}

/*
 * The value of member key of the top-level object in text, or NULL when
 * text is not a JSON object or has no such member
 */
static const char *find_member(const char *text, const char *key)
{
	const char *p = ws(text), *found = NULL;
	char name[64];

	if (*p++ != '{')
		return NULL;
	p = ws(p);
	if (*p == '}')
		return NULL;
	for (;;) {
		p = scan_string(ws(p), name, sizeof(name));
		if (!p || *(p = ws(p)) != ':')
			return NULL;
		p = ws(p + 1);
		if (!found && !strcmp(name, key))
			found = p;
		p = skip_value(p, 1);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == '}')
			return *ws(p + 1) ? NULL : found;
		if (*p++ != ',')
			return NULL;
	}
}

/* 0, -ENOENT (no such member), -EINVAL (not a string) */
int hreply_str(const struct hreply *r, const char *key, char *out, size_t len)
{
	const char *v = find_member(r->text, key);

	if (!v)
		return -ENOENT;
	return scan_string(v, out, len) ? 0 : -EINVAL;
}

int hreply_num(const struct hreply *r, const char *key, double *v)
{
	const char *p = find_member(r->text, key);
	char *end;

	if (!p)
		return -ENOENT;
	*v = strtod(p, &end);
	return end == p ? -EINVAL : 0;
}

int hreply_u64(const struct hreply *r, const char *key, uint64_t *v)
{
	const char *p = find_member(r->text, key);
	char *end;

	if (!p)
		return -ENOENT;
	if (*p == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoull(p, &end, 10);
	return end == p || errno || *end == '.' || *end == 'e' || *end == 'E' ? -EINVAL : 0;
}

/* Why a reply is not ok: its "error", else its "detail", else the line */
const char *hreply_why(const struct hreply *r)
{
	static char why[1024];

	if (hreply_str(r, "error", why, sizeof(why)) &&
	    hreply_str(r, "detail", why, sizeof(why)))
		snprintf(why, sizeof(why), "%s", r->text);
	return why;
}

/* ---- transport ----------------------------------------------------------- */

static int control_fd = -1;

/* The agent's port, opened once; -ENODEV when the launcher has none */
static int control_open(void)
{
	char name[128], path[PATH_MAX];
	int i;

	for (i = 0; i < 32 && control_fd < 0; i++) {
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/vport%dp%d/name",
			 i / 8, i % 8);
		if (read_file(path, name, sizeof(name)) < 0 ||
		    strncmp(name, "org.vprime.control", 18))
			continue;
		snprintf(path, sizeof(path), "/dev/vport%dp%d", i / 8, i % 8);
		control_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	}
	return control_fd < 0 ? -ENODEV : 0;
}

/*
 * Send req, read the reply line: 0 (rep->ok tells the agent's verdict),
 * -ENODEV without a host agent, -ETIMEDOUT, -EIO, -EMSGSIZE (request too
 * long), -EBADMSG (the reply is not a JSON object with a boolean "ok")
 */
int host_call(struct hmsg *req, struct hreply *rep, int timeout_s)
{
	struct pollfd pfd;
	const char *ok;
	size_t got = 0;
	int ret;

	rep->text[0] = 0;
	rep->ok = false;
	while (req->depth > 0 && !req->overflow)
		hmsg_close(req);
	if (req->overflow)
		return -EMSGSIZE;
	ret = control_open();
	if (ret)
		return ret;
	if (dprintf(control_fd, "%s\n", req->buf) < 0)
		return -ENODEV;
	pfd.fd = control_fd;
	pfd.events = POLLIN;
	while (got < sizeof(rep->text) - 1) {
		ssize_t r;

		if (poll(&pfd, 1, timeout_s * 1000) <= 0)
			return -ETIMEDOUT;
		r = read(control_fd, rep->text + got, 1);
		if (r < 0 && errno == EAGAIN)
			continue;
		if (r <= 0)
			return -EIO;
		if (rep->text[got] == '\n')
			break;
		got++;
	}
	rep->text[got] = 0;
	ok = find_member(rep->text, "ok");
	if (!ok || (strncmp(ok, "true", 4) && strncmp(ok, "false", 5)))
		return -EBADMSG;
	rep->ok = !strncmp(ok, "true", 4);
	return 0;
}

/* ---- common requests ----------------------------------------------------- */

static int host_qom_set(struct hmsg *m)
{
	struct hreply r;
	int ret = host_call(m, &r, 30);

	if (!ret && !r.ok) {
		diag("host: %s", hreply_why(&r));
		ret = -EIO;
	}
	return ret;
}

/* dev: a QOM id (gpu0, display0) or a full QOM path */
int host_qom_set_str(const char *dev, const char *prop, const char *v)
{
	struct hmsg m;

	hmsg_start(&m, "qom-set");
	hmsg_str(&m, "path", dev);
	hmsg_str(&m, "property", prop);
	hmsg_str(&m, "value", v);
	return host_qom_set(&m);
}

int host_qom_set_bool(const char *dev, const char *prop, bool v)
{
	struct hmsg m;

	hmsg_start(&m, "qom-set");
	hmsg_str(&m, "path", dev);
	hmsg_str(&m, "property", prop);
	hmsg_bool(&m, "value", v);
	return host_qom_set(&m);
}

/* The property in r's "value"; 0, -ENODEV, -EIO (the host could not) */
int host_qom_get(const char *dev, const char *prop, struct hreply *r)
{
	struct hmsg m;
	int ret;

	hmsg_start(&m, "qom-get");
	hmsg_str(&m, "path", dev);
	hmsg_str(&m, "property", prop);
	ret = host_call(&m, r, 30);
	if (!ret && !r->ok) {
		diag("host: qom-get %s %s: %s", dev, prop, hreply_why(r));
		ret = -EIO;
	}
	return ret;
}

/* QEMU's main-loop thread CPU seconds; 0, -ENODEV, or why not */
int host_cputime(double *main_s)
{
	struct hreply r;
	struct hmsg m;
	int ret;

	hmsg_start(&m, "cputime");
	ret = host_call(&m, &r, 30);
	if (ret)
		return ret;
	if (!r.ok) {
		diag("host: cputime: %s", hreply_why(&r));
		return -EIO;
	}
	return hreply_num(&r, "main_s", main_s);
}

void hmsg_screendump(struct hmsg *m, int head, uint64_t w, uint64_t h,
		     int frame, uint64_t tag, const char *save)
{
	hmsg_start(m, "screendump");
	hmsg_str(m, "device", "display0");
	hmsg_int(m, "head", head);
	hmsg_u64(m, "width", w);
	hmsg_u64(m, "height", h);
	hmsg_int(m, "frame", frame);
	hmsg_u64(m, "tag", tag);
	if (save)
		hmsg_str(m, "save", save);
}
