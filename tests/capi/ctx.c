/*
 * ctx.c: library contexts and the library's messages. kmod_new with the configured
 * paths (stderr captured while it runs, because the library logs there until a log
 * function is set), the log function that prints every message in order, and the
 * optional symbols resolved at run time (kmod_module_new_from_name_lookup, whose
 * version node differs between kmod 30 and later, and the kmod 33+ weakdep calls).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "exerciser.h"

int (*x_new_from_name_lookup)(struct kmod_ctx *, const char *, struct kmod_module **);
int (*x_module_get_weakdeps)(const struct kmod_module *, struct kmod_list **);
struct kmod_config_iter *(*x_config_get_weakdeps)(const struct kmod_ctx *);

void resolve_optional_symbols(void)
{
	x_new_from_name_lookup = (int (*)(struct kmod_ctx *, const char *, struct kmod_module **))
		dlsym(RTLD_DEFAULT, "kmod_module_new_from_name_lookup");
	if (opt.weakdeps) {
		x_module_get_weakdeps = (int (*)(const struct kmod_module *, struct kmod_list **))
			dlsym(RTLD_DEFAULT, "kmod_module_get_weakdeps");
		x_config_get_weakdeps = (struct kmod_config_iter * (*)(const struct kmod_ctx *))
			dlsym(RTLD_DEFAULT, "kmod_config_get_weakdeps");
	}
}

static const char *prio_name(int priority)
{
	static char buf[16];

	switch (priority) {
	case LOG_EMERG: return "emerg";
	case LOG_ALERT: return "alert";
	case LOG_CRIT: return "crit";
	case LOG_ERR: return "err";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	case LOG_DEBUG: return "debug";
	}
	snprintf(buf, sizeof(buf), "%d", priority);
	return buf;
}

/* Replaces pointer values in s (printed by %p: "0x..." or "(nil)"): when min_hex is
 * 0, any 0x-number; else only those with at least min_hex digits. In place. */
static void scrub_pointers(char *s, int min_hex)
{
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == '0' && r[1] == 'x' && isxdigit((unsigned char)r[2])) {
			int n = 0;

			while (isxdigit((unsigned char)r[2 + n]))
				n++;
			if (n >= min_hex) {
				memcpy(w, "PTR", 3);
				w += 3;
				r += 2 + n;
				continue;
			}
		}
		if (strncmp(r, "(nil)", 5) == 0) {
			memcpy(w, "PTR", 3);
			w += 3;
			r += 5;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

void log_to_stdout(void *data, int priority, const char *file, int line,
		   const char *fn, const char *format, va_list args)
{
	char small[512], *msg = small;
	va_list copy;
	int n;

	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	va_copy(copy, args);
	n = vsnprintf(small, sizeof(small), format, copy);
	va_end(copy);
	if (n >= (int)sizeof(small)) {
		msg = malloc(n + 1);
		if (msg == NULL)
			abort();
		vsnprintf(msg, n + 1, format, args);
	}
	/* A library that formats its messages itself passes them through "%s": there,
	 * only long 0x-numbers (addresses, at least 8 digits) are pointers. */
	if (strstr(format, "%p"))
		scrub_pointers(msg, 0);
	else if (strcmp(format, "%s") == 0)
		scrub_pointers(msg, 8);
	out("log %s ", prio_name(priority));
	pstr(msg);
	putchar('\n');
	if (msg != small)
		free(msg);
}

static int saved_stderr = -1, capture_fd = -1;

void capture_stderr_begin(void)
{
	fflush(stderr);
	capture_fd = memfd_create("kmod-stderr", MFD_CLOEXEC);
	saved_stderr = dup(2);
	if (capture_fd < 0 || saved_stderr < 0 || dup2(capture_fd, 2) < 0) {
		perror("capture stderr");
		exit(2);
	}
}

/* One line of the library's default logger: "libkmod: " then, by build, "PRIO
 * file:line fn: ", "PRIO: fn: " or "fn: ", then the message. Printed as
 * "stderr PRIO "message"" (PRIO "?" when the build does not print it). */
static void print_stderr_line(char *line)
{
	const char *prio = "?";
	char *p = line, *msg;

	if (strncmp(p, "libkmod: ", 9) != 0) {
		out("stderr-raw ");
		pstr(line);
		putchar('\n');
		return;
	}
	p += 9;
	if (isupper((unsigned char)*p) || strncmp(p, "L:", 2) == 0) {
		char *e = p;

		while (*e && *e != ' ' && !(e[0] == ':' && e[1] == ' '))
			e++;
		if (*e) {
			prio = p;
			*e = '\0';
			p = e + 1;
			if (*p == ' ')
				p++;
		}
	}
	msg = strstr(p, ": ");
	msg = msg ? msg + 2 : p;
	scrub_pointers(msg, 8);
	out("stderr %s ", prio);
	pstr(msg);
	putchar('\n');
}

void capture_stderr_end(bool print)
{
	off_t size;
	char *buf, *p, *nl;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	size = lseek(capture_fd, 0, SEEK_END);
	buf = malloc(size + 1);
	if (buf == NULL || pread(capture_fd, buf, size, 0) != size) {
		perror("read captured stderr");
		exit(2);
	}
	buf[size] = '\0';
	close(capture_fd);
	for (p = buf; print && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		print_stderr_line(p);
		if (!nl)
			break;
	}
	free(buf);
}

struct kmod_ctx *new_ctx_ex(const char *dirname, const char *const *config, bool print)
{
	struct kmod_ctx *ctx;

	capture_stderr_begin();
	ctx = kmod_new(dirname, config);
	capture_stderr_end(print);
	if (print)
		out("kmod_new: %s\n", ctx ? "ok" : "NULL");
	if (ctx == NULL)
		return NULL;
	kmod_set_log_fn(ctx, log_to_stdout, NULL);
	kmod_set_log_priority(ctx, opt.log_priority);
	return ctx;
}

struct kmod_ctx *new_ctx_with(const char *dirname, const char *const *config)
{
	return new_ctx_ex(dirname, config, true);
}

static const char *const *configured(void)
{
	static const char *const none[] = { NULL };

	if (opt.no_config)
		return none;
	return opt.n_config ? opt.config : NULL;
}

struct kmod_ctx *new_ctx(const char *dirname)
{
	return new_ctx_ex(dirname, configured(), true);
}

struct kmod_ctx *new_ctx_quiet(const char *dirname)
{
	return new_ctx_ex(dirname, configured(), false);
}
