/*
 * mode_config.c: the `config` and `dump` modes.
 *   config: every kmod_config_get_* iterator (blacklists, install and remove
 *           commands, aliases, options, softdeps; weakdeps when the library has
 *           kmod 33's kmod_config_get_weakdeps) walked with kmod_config_iter_next,
 *           printing kmod_config_iter_get_key/get_value; the iterator before its
 *           first next, its restart after the end, and get_value asked twice.
 *   dump:   kmod_dump_index of every index type, byte for byte, from the files
 *           (no resources loaded) and again from the mmapped indexes after
 *           kmod_load_resources; out-of-range types.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exerciser.h"

static void walk(struct kmod_ctx *ctx, const char *name,
		 struct kmod_config_iter *(*get)(const struct kmod_ctx *))
{
	struct kmod_config_iter *it = get(ctx);
	int n = 0;
	bool again;

	out("config %s: %s\n", name, it ? "iter" : "NULL");
	if (it == NULL)
		return;
	out("  before next: key=");
	pstr(kmod_config_iter_get_key(it));
	out(" value=");
	pstr(kmod_config_iter_get_value(it));
	out("\n");
	while (kmod_config_iter_next(it)) {
		const char *v1, *k = kmod_config_iter_get_key(it);
		char *v1copy;

		v1 = kmod_config_iter_get_value(it);
		v1copy = v1 ? strdup(v1) : NULL;
		out("  ");
		pstr(k);
		out(" = ");
		pstr(v1);
		/* softdep values are built on request: a second call must agree */
		v1 = kmod_config_iter_get_value(it);
		if ((v1 == NULL) != (v1copy == NULL) || (v1 && strcmp(v1, v1copy) != 0)) {
			out(" second-get_value=");
			pstr(v1);
		}
		free(v1copy);
		out("\n");
		n++;
	}
	out("  entries: %d; after end: key=", n);
	pstr(kmod_config_iter_get_key(it));
	again = kmod_config_iter_next(it);
	out(" next-again=%s", again ? "true" : "false");
	if (again) {
		out(" first-key=");
		pstr(kmod_config_iter_get_key(it));
	}
	out("\n");
	kmod_config_iter_free_iter(it);
}

int mode_config(void)
{
	struct kmod_ctx *ctx;

	out("### config\n");
	ctx = new_ctx(opt.dirname);
	if (ctx == NULL)
		return 1;
	walk(ctx, "blacklists", kmod_config_get_blacklists);
	walk(ctx, "install_commands", kmod_config_get_install_commands);
	walk(ctx, "remove_commands", kmod_config_get_remove_commands);
	walk(ctx, "aliases", kmod_config_get_aliases);
	walk(ctx, "options", kmod_config_get_options);
	walk(ctx, "softdeps", kmod_config_get_softdeps);
	if (x_config_get_weakdeps)
		walk(ctx, "weakdeps", x_config_get_weakdeps);
	ctx = kmod_unref(ctx);
	out("kmod_unref: %s\n", ctx ? "ctx" : "NULL");
	return 0;
}

static const char *const index_names[] = {
	"modules.dep", "modules.alias", "modules.symbols", "modules.builtin.alias",
	"modules.builtin",
};

/* kmod_dump_index into a memfd: its contents in *buf, the return code. */
static int dump_to_buf(struct kmod_ctx *ctx, int type, char **buf, off_t *size)
{
	int fd = memfd_create("kmod-dump", MFD_CLOEXEC), err;

	if (fd < 0) {
		perror("memfd_create");
		exit(2);
	}
	err = kmod_dump_index(ctx, (enum kmod_index)type, fd);
	*size = lseek(fd, 0, SEEK_END);
	*buf = malloc(*size + 1);
	if (*buf == NULL || pread(fd, *buf, *size, 0) != *size) {
		perror("pread");
		exit(2);
	}
	close(fd);
	return err;
}

int mode_dump(void)
{
	struct kmod_ctx *ctx;
	char *first[5] = { 0 };
	off_t first_size[5] = { 0 };
	int err;

	out("### dump\n");
	ctx = new_ctx(opt.dirname);
	if (ctx == NULL)
		return 1;
	for (int t = 0; t < 5; t++) {
		err = dump_to_buf(ctx, t, &first[t], &first_size[t]);
		out("dump %s (files): %s, %lld bytes\n", index_names[t], rc(err),
		    (long long)first_size[t]);
		fflush(stdout);
		fwrite(first[t], 1, first_size[t], stdout);
		if (first_size[t] && first[t][first_size[t] - 1] != '\n')
			out("\n(no newline at end)\n");
	}
	err = kmod_load_resources(ctx);
	out("load_resources: %s\n", rc(err));
	for (int t = 0; t < 5; t++) {
		char *buf;
		off_t size;

		err = dump_to_buf(ctx, t, &buf, &size);
		out("dump %s (loaded): %s, %lld bytes, ", index_names[t], rc(err), (long long)size);
		if (size == first_size[t] && memcmp(buf, first[t], size) == 0) {
			out("same as from the files\n");
		} else {
			out("differs from the files:\n");
			fwrite(buf, 1, size, stdout);
		}
		free(buf);
		free(first[t]);
	}
	for (int t = 5; t <= 6; t++) {
		char *buf;
		off_t size;

		err = dump_to_buf(ctx, t, &buf, &size);
		out("dump type %d: %s, %lld bytes\n", t, rc(err), (long long)size);
		free(buf);
	}
	ctx = kmod_unref(ctx);
	out("kmod_unref: %s\n", ctx ? "ctx" : "NULL");
	return 0;
}
