/*
 * libkmod-udev.c: udev's use of libkmod, as a benchmark (bench/libkmod.sh).
 *
 *   libkmod-udev udev DIRNAME STRINGS   one context for the whole run, indexes loaded
 *                                       (as udevd keeps it); for every line of STRINGS
 *                                       (a modalias), kmod_module_new_from_lookup and a
 *                                       dry-run probe of each module found with udev's
 *                                       flags (KMOD_PROBE_APPLY_BLACKLIST)
 *   libkmod-udev start DIRNAME NAME     a process's start cost: kmod_new,
 *                                       kmod_load_resources, one lookup
 *
 * No configuration is read (an empty config list): both libraries see the same
 * input. Prints the number of lookups and of modules found, to check both libraries
 * did the same work. Written for rkmod; no kmod code.
 */
#define _GNU_SOURCE
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct kmod_ctx *context(const char *dirname)
{
	static const char *const no_config[] = { NULL };
	struct kmod_ctx *ctx = kmod_new(dirname, no_config);

	if (ctx == NULL || kmod_load_resources(ctx) < 0) {
		fprintf(stderr, "libkmod-udev: no context on %s\n", dirname);
		exit(2);
	}
	return ctx;
}

static long lookup(struct kmod_ctx *ctx, const char *s, int probe)
{
	struct kmod_list *list = NULL, *l;
	long found = 0;

	if (kmod_module_new_from_lookup(ctx, s, &list) < 0)
		return 0;
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		if (probe)
			kmod_module_probe_insert_module(mod, KMOD_PROBE_DRY_RUN | KMOD_PROBE_APPLY_BLACKLIST,
							NULL, NULL, NULL, NULL);
		kmod_module_unref(mod);
		found++;
	}
	kmod_module_unref_list(list);
	return found;
}

int main(int argc, char **argv)
{
	struct kmod_ctx *ctx;

	if (argc == 4 && strcmp(argv[1], "udev") == 0) {
		FILE *f = fopen(argv[3], "re");
		char *line = NULL;
		size_t cap = 0;
		long n = 0, found = 0;

		if (f == NULL) {
			perror(argv[3]);
			return 2;
		}
		ctx = context(argv[2]);
		while (getline(&line, &cap, f) > 0) {
			line[strcspn(line, "\n")] = '\0';
			found += lookup(ctx, line, 1);
			n++;
		}
		free(line);
		fclose(f);
		kmod_unref(ctx);
		printf("%ld lookups, %ld modules\n", n, found);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "start") == 0) {
		long found;

		ctx = context(argv[2]);
		found = lookup(ctx, argv[3], 0);
		kmod_unref(ctx);
		printf("%ld modules\n", found);
		return 0;
	}
	fputs("usage: libkmod-udev udev DIRNAME STRINGS | start DIRNAME NAME\n", stderr);
	return 1;
}
