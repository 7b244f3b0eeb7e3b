/*
 * util.c: the exerciser's output primitives (return codes as errno names, quoted
 * strings, module lists), string arrays with the --every/--sample selection, index
 * dumps read back as lines, and concrete strings made from fnmatch patterns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exerciser.h"

#define E(x) { x, #x }
static const struct {
	int code;
	const char *name;
} errnames[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR),
	E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(EFBIG),
	E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM), E(ERANGE),
	E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS), E(ENOTEMPTY),
	E(ELOOP), E(ENOMSG), E(ENODATA), E(ETIME), E(EBADMSG), E(EOVERFLOW),
	E(EILSEQ), E(ENOTSUP), E(ECANCELED), E(EKEYREJECTED), E(ENOKEY),
	E(EPROTO), E(ESTALE), E(ETIMEDOUT), E(ENOPKG), E(EUCLEAN),
};
#undef E

const char *rc(long err)
{
	static char buf[64];
	size_t i;

	if (err < 0) {
		for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
			if (errnames[i].code == -err) {
				snprintf(buf, sizeof(buf), "-%s", errnames[i].name);
				return buf;
			}
	}
	snprintf(buf, sizeof(buf), "%ld", err);
	return buf;
}

void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
}

int call_depth;

void indent(int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", stdout);
}

static struct {
	char *text, *token;
	size_t len;
} scrubs[8];
static int n_scrubs;

void scrub_add(const char *text, const char *token)
{
	if (n_scrubs == 8)
		abort();
	scrubs[n_scrubs].text = strdup(text);
	scrubs[n_scrubs].token = strdup(token);
	scrubs[n_scrubs].len = strlen(text);
	n_scrubs++;
}

void scrub_clear_last(void)
{
	if (n_scrubs > 0) {
		n_scrubs--;
		free(scrubs[n_scrubs].text);
		free(scrubs[n_scrubs].token);
	}
}

/* The registered text starting at p (a whole path prefix: not followed by a
 * character that would continue a file name), or -1. */
static int scrub_at(const char *p)
{
	for (int i = 0; i < n_scrubs; i++) {
		char next;

		if (strncmp(p, scrubs[i].text, scrubs[i].len) != 0)
			continue;
		next = p[scrubs[i].len];
		if (next == '\0' || next == '/' || next == '\'' || next == '"' || next == ' ' ||
		    next == ':' || next == '\n')
			return i;
	}
	return -1;
}

void pstr(const char *s)
{
	size_t len, shown;

	if (s == NULL) {
		fputs("NULL", stdout);
		return;
	}
	/* very long strings (lookups of PATH_MAX names): a prefix, length and hash */
	len = strlen(s);
	shown = len > 1024 ? 64 : len;
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; p < (const unsigned char *)s + shown; p++) {
		int sc = n_scrubs ? scrub_at((const char *)p) : -1;

		if (sc >= 0) {
			fputs(scrubs[sc].token, stdout);
			p += scrubs[sc].len - 1;
			continue;
		}
		switch (*p) {
		case '\n': fputs("\\n", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '"': fputs("\\\"", stdout); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				printf("\\x%02x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
	if (shown < len)
		printf("...(%zu bytes, fnv1a 0x%016llx)", len, (unsigned long long)fnv1a(s, len));
}

void strv_add(struct strv *s, const char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof(char *));
		if (s->v == NULL)
			abort();
	}
	s->v[s->n] = strdup(str);
	if (s->v[s->n] == NULL)
		abort();
	s->n++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(struct strv *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(char *), cmp_str);
}

void strv_uniq(struct strv *s)
{
	size_t j = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (j > 0 && strcmp(s->v[j - 1], s->v[i]) == 0) {
			free(s->v[i]);
			continue;
		}
		s->v[j++] = s->v[i];
	}
	s->n = j;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

void strv_select(struct strv *s)
{
	size_t j = 0;

	if (opt.every > 1) {
		for (size_t i = 0; i < s->n; i++) {
			if (i % (size_t)opt.every == 0)
				s->v[j++] = s->v[i];
			else
				free(s->v[i]);
		}
		s->n = j;
	}
	if (opt.sample > 0 && (size_t)opt.sample < s->n) {
		/* N evenly spaced items: i * n / N for i in 0..N. */
		size_t n = s->n, want = (size_t)opt.sample, next = 0;
		char **keep = calloc(want, sizeof(char *));

		if (keep == NULL)
			abort();
		j = 0;
		for (size_t i = 0; i < n; i++) {
			if (j < want && i == next) {
				keep[j++] = s->v[i];
				next = (j * n) / want;
			} else {
				free(s->v[i]);
			}
		}
		free(s->v);
		s->v = keep;
		s->n = j;
		s->cap = want;
	}
}

void p_modlist(struct kmod_list *list)
{
	struct kmod_list *l;
	bool first = true;

	putchar('[');
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		if (!first)
			putchar(' ');
		first = false;
		fputs(m ? kmod_module_get_name(m) : "(null-entry)", stdout);
		kmod_module_unref(m);
	}
	putchar(']');
}

void p_modlist_paths(int depth, struct kmod_list *list)
{
	struct kmod_list *l;

	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		indent(depth);
		if (m == NULL) {
			out("(null-entry)\n");
			continue;
		}
		out("%s path=", kmod_module_get_name(m));
		pstr(kmod_module_get_path(m));
		putchar('\n');
		kmod_module_unref(m);
	}
}

int dump_lines(struct kmod_ctx *ctx, enum kmod_index type, struct strv *lines)
{
	int fd = memfd_create("kmod-dump", MFD_CLOEXEC);
	int err;
	off_t size;
	char *buf, *p, *nl;

	if (fd < 0) {
		perror("memfd_create");
		exit(2);
	}
	err = kmod_dump_index(ctx, type, fd);
	if (err < 0) {
		close(fd);
		return err;
	}
	size = lseek(fd, 0, SEEK_END);
	buf = malloc(size + 1);
	if (buf == NULL || pread(fd, buf, size, 0) != size) {
		perror("pread");
		exit(2);
	}
	buf[size] = '\0';
	close(fd);
	for (p = buf; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL) {
			strv_add(lines, p);
			break;
		}
		*nl = '\0';
		strv_add(lines, p);
	}
	free(buf);
	return err;
}

char *instantiate_pattern(const char *pattern)
{
	size_t len = strlen(pattern);
	char *s = malloc(len + 1), *o = s;
	const char *p = pattern;

	if (s == NULL)
		abort();
	while (*p) {
		if (*p == '*') {
			p++;
		} else if (*p == '?') {
			*o++ = 'x';
			p++;
		} else if (*p == '[') {
			const char *q = p + 1;

			if (*q == '!' || *q == '^' || *q == '\0' || *q == ']')
				goto fail; /* negated or odd sets: not instantiated */
			*o++ = *q;
			/* skip to the closing bracket (a ']' right after '[' is literal) */
			q++;
			while (*q && *q != ']')
				q++;
			if (*q != ']')
				goto fail;
			p = q + 1;
		} else if (*p == '\\') {
			if (p[1] == '\0')
				goto fail;
			*o++ = p[1];
			p += 2;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	if (fnmatch(pattern, s, 0) != 0)
		goto fail;
	return s;
fail:
	free(s);
	return NULL;
}

uint64_t fnv1a(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
