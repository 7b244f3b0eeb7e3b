/*
 * mode_kernel.c: the modes that meet the (fake) kernel.
 *   loaded: kmod_module_new_from_loaded on the /proc/modules of --fake-kernel,
 *           and for each module, and for every entry of /sys/module:
 *           kmod_module_get_initstate (+ kmod_module_initstate_str), refcnt,
 *           size, holders and sections (sorted: readdir order), path, and the
 *           probe flags whose result depends on "already loaded".
 *   kernel: kmod_module_insert_module (every flag, options), kmod_module_remove_module
 *           (every flag) and non-dry-run kmod_module_probe_insert_module, with the
 *           fake system calls (fake.c) accepting or failing with chosen errors;
 *           the module image init_module receives is printed as length + hash, so
 *           decompression and --force stripping are compared too.
 *   paths:  kmod_module_new_from_path on --ko files (plain, signed, compressed):
 *           everything module.c prints, plus what init_module would receive;
 *           the same name by two paths, a path after a name.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exerciser.h"

int mode_loaded(void)
{
	struct kmod_ctx *ctx;
	struct kmod_list *list = NULL, *l;
	struct strv names = { 0 };
	DIR *d;
	struct dirent *e;
	int err;

	out("### loaded\n");
	ctx = new_ctx(opt.dirname);
	if (ctx == NULL)
		return 1;
	err = kmod_module_new_from_loaded(ctx, &list);
	out("new_from_loaded: %s ", rc(err));
	p_modlist(list);
	out("\n");
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		report_module(1, m, true);
		probe_one(2, m, KMOD_PROBE_DRY_RUN, NULL, 0);
		probe_one(2, m, KMOD_PROBE_DRY_RUN | KMOD_PROBE_FAIL_ON_LOADED, NULL, 0);
		probe_one(2, m, KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED, NULL, 0);
		probe_one(2, m, 0, NULL, 0);
		probe_one(2, m, KMOD_PROBE_FAIL_ON_LOADED, NULL, 0);
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);

	/* every /sys/module entry, sorted by us */
	d = opendir("/sys/module");
	while (d && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			strv_add(&names, e->d_name);
	if (d)
		closedir(d);
	strv_sort(&names);
	for (int i = 0; i < opt.n_names; i++)
		strv_add(&names, opt.names[i]);
	out("# /sys/module entries (sorted) and --name: %zu\n", names.n);
	for (size_t i = 0; i < names.n; i++) {
		struct kmod_module *m = NULL;

		err = kmod_module_new_from_name(ctx, names.v[i], &m);
		out("new_from_name %s: %s\n", names.v[i], rc(err));
		if (err == 0) {
			report_module(1, m, false);
			probe_one(2, m, KMOD_PROBE_DRY_RUN | KMOD_PROBE_FAIL_ON_LOADED, NULL, 0);
			kmod_module_unref(m);
		}
	}
	strv_free(&names);
	ctx = kmod_unref(ctx);
	out("kmod_unref: %s\n", ctx ? "ctx" : "NULL");
	return 0;
}

static void set_fake(int finit, int init, int del)
{
	fake.finit_errno = finit;
	fake.init_errno = init;
	fake.delete_errno = del;
	out("    [fake kernel: finit_module %s,", rc(-finit));
	out(" init_module %s,", rc(-init));
	out(" delete_module %s]\n", rc(-del));
}

static void insert(struct kmod_module *m, unsigned int flags, const char *options)
{
	int err;

	out("    insert_module flags=%s options=",
	    flags == 0 ? "0" :
	    flags == KMOD_INSERT_FORCE_VERMAGIC ? "FORCE_VERMAGIC" :
	    flags == KMOD_INSERT_FORCE_MODVERSION ? "FORCE_MODVERSION" :
	    "FORCE_VERMAGIC|FORCE_MODVERSION");
	pstr(options);
	out("\n");
	call_depth = 3;
	err = kmod_module_insert_module(m, flags, options);
	out("      => %s\n", rc(err));
}

static void removal(struct kmod_module *m, unsigned int flags)
{
	int err;

	out("    remove_module flags=%s%s%s\n", flags ? "" : "0",
	    flags & KMOD_REMOVE_FORCE ? "FORCE" : "",
	    flags & KMOD_REMOVE_NOLOG ? (flags & KMOD_REMOVE_FORCE ? "|NOLOG" : "NOLOG") : "");
	call_depth = 3;
	err = kmod_module_remove_module(m, flags);
	out("      => %s\n", rc(err));
}

/* Each forced init_module (the path that strips __versions or the vermagic) on a
 * fresh context and module object. */
static void fresh_forced_inserts(const char *name)
{
	static const unsigned int flags[] = {
		KMOD_INSERT_FORCE_MODVERSION, KMOD_INSERT_FORCE_VERMAGIC,
		KMOD_INSERT_FORCE_VERMAGIC | KMOD_INSERT_FORCE_MODVERSION,
	};

	out("  fresh objects:\n");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct kmod_ctx *ctx;
		struct kmod_module *m = NULL;

		ctx = new_ctx_quiet(opt.dirname);
		if (ctx == NULL || kmod_module_new_from_name(ctx, name, &m) < 0) {
			out("    (no context or module)\n");
			kmod_unref(ctx);
			continue;
		}
		set_fake(ENOSYS, 0, 0);
		insert(m, flags[i], NULL);
		kmod_module_unref(m);
		kmod_unref(ctx);
	}
	set_fake(0, 0, 0);
}

/* The insert/remove/probe scenarios on one module object. */
static void kernel_scenarios(struct kmod_module *m)
{
	set_fake(0, 0, 0);
	insert(m, 0, NULL);
	insert(m, 0, "p=1 q=\"two words\"");
	set_fake(ENOSYS, 0, 0);
	insert(m, 0, "a=b");
	set_fake(EEXIST, ENOEXEC, EBUSY);
	insert(m, 0, NULL);
	set_fake(ENOSYS, ENOEXEC, EBUSY);
	insert(m, 0, NULL);
	removal(m, 0);
	removal(m, KMOD_REMOVE_NOLOG);
	set_fake(0, 0, 0);
	removal(m, 0);
	removal(m, KMOD_REMOVE_FORCE);
	removal(m, KMOD_REMOVE_FORCE | KMOD_REMOVE_NOLOG);
	set_fake(ENOENT, 0, ENOENT);
	removal(m, 0);

	set_fake(0, 0, 0);
	probe_one(2, m, 0, NULL, 0);
	probe_one(2, m, KMOD_PROBE_IGNORE_COMMAND, "opt=1", -EINVAL);
	set_fake(EEXIST, EEXIST, 0);
	probe_one(2, m, 0, NULL, 0);
	probe_one(2, m, KMOD_PROBE_FAIL_ON_LOADED, NULL, 0);
	set_fake(EPERM, EPERM, 0);
	probe_one(2, m, 0, NULL, -EPERM);
	probe_one(2, m, KMOD_PROBE_APPLY_BLACKLIST_ALL, NULL, 1);
	set_fake(0, 0, 0);
}

/* Forced inserts one after another on the same module object: through
 * finit_module (flags passed to the kernel), through init_module (the library
 * strips __versions or the vermagic; compressed modules always take this path),
 * and a forced probe. kmod 30 strips the object's cached ELF image itself, so each
 * call sees what the previous ones stripped (and logs that the vermagic is already
 * gone); kmod 34 strips a copy. Printed last, under its own header, so a
 * comparison can tell this known kmod 30/34 difference apart. */
static void forced_inserts_in_sequence(struct kmod_module *m)
{
	const unsigned int both = KMOD_INSERT_FORCE_VERMAGIC | KMOD_INSERT_FORCE_MODVERSION;

	out("  forced inserts in sequence on one object:\n");
	set_fake(0, 0, 0);
	insert(m, KMOD_INSERT_FORCE_VERMAGIC, "p=1");
	insert(m, both, "");
	set_fake(ENOSYS, 0, 0);
	insert(m, KMOD_INSERT_FORCE_MODVERSION, NULL);
	insert(m, KMOD_INSERT_FORCE_VERMAGIC, NULL);
	insert(m, both, NULL);
	set_fake(0, 0, 0);
	probe_one(2, m, KMOD_PROBE_FORCE_VERMAGIC | KMOD_PROBE_FORCE_MODVERSION, NULL, 0);
}

int mode_kernel(void)
{
	struct kmod_ctx *ctx;
	struct strv items = { 0 };
	size_t total;

	out("### kernel\n");
	ctx = new_ctx(opt.dirname);
	if (ctx == NULL)
		return 1;
	if (opt.n_names) {
		for (int i = 0; i < opt.n_names; i++)
			strv_add(&items, opt.names[i]);
	} else {
		struct strv lines = { 0 };

		dump_lines(ctx, KMOD_INDEX_MODULES_DEP, &lines);
		for (size_t i = 0; i < lines.n; i++) {
			char *sp = strchr(lines.v[i], ' ');

			if (sp)
				*sp = '\0';
			strv_add(&items, lines.v[i]);
		}
		strv_free(&lines);
		strv_sort(&items);
	}
	total = items.n;
	strv_select(&items);
	out("# kernel: %zu of %zu\n", items.n, total);
	for (size_t i = 0; i < items.n; i++) {
		struct kmod_module *m = NULL;
		int err = kmod_module_new_from_name(ctx, items.v[i], &m);

		out("== kernel %s: new_from_name %s\n", items.v[i], rc(err));
		if (err == 0) {
			out("  path: ");
			pstr(kmod_module_get_path(m));
			out("\n");
			kernel_scenarios(m);
			fresh_forced_inserts(items.v[i]);
			forced_inserts_in_sequence(m);
			kmod_module_unref(m);
		}
		fflush(stdout);
	}
	strv_free(&items);
	ctx = kmod_unref(ctx);
	out("kmod_unref: %s\n", ctx ? "ctx" : "NULL");
	return 0;
}

int mode_paths(void)
{
	struct kmod_ctx *ctx;
	struct kmod_module *m, *m2;
	char cwd[PATH_MAX];
	int err;

	out("### paths\n");
	for (int i = 0; i < opt.n_ko; i++) {
		out("== path ");
		pstr(opt.ko[i]);
		out("\n");
		ctx = new_ctx(opt.dirname);
		if (ctx == NULL)
			return 1;
		m = NULL;
		err = kmod_module_new_from_path(ctx, opt.ko[i], &m);
		out("  new_from_path: %s\n", rc(err));
		if (err == 0) {
			report_module(1, m, true);
			set_fake(ENOSYS, 0, 0);
			insert(m, 0, NULL);
			set_fake(0, 0, 0);
			insert(m, 0, NULL);
			kmod_module_unref(m);
		}
		ctx = kmod_unref(ctx);
		out("  kmod_unref: %s\n", ctx ? "ctx" : "NULL");
	}

	/* one context for all: same names by different paths, a name first */
	out("== all paths in one context\n");
	ctx = new_ctx(opt.dirname);
	if (ctx == NULL)
		return 1;
	for (int i = 0; i < opt.n_ko; i++) {
		m = NULL;
		m2 = NULL;
		err = kmod_module_new_from_path(ctx, opt.ko[i], &m);
		out("  new_from_path ");
		pstr(opt.ko[i]);
		out(": %s", rc(err));
		if (err == 0) {
			out(" name=");
			pstr(kmod_module_get_name(m));
			err = kmod_module_new_from_path(ctx, opt.ko[i], &m2);
			out(" again: %s same-object=%s", rc(err), m2 == m ? "yes" : "no");
			kmod_module_unref(m2);
		}
		out("\n");
		kmod_module_unref(m);
	}
	ctx = kmod_unref(ctx);
	out("  kmod_unref: %s\n", ctx ? "ctx" : "NULL");

	if (opt.n_ko > 0) {
		char *dup1 = strdup(opt.ko[0]), *dup2 = strdup(opt.ko[0]);
		const char *dir = dirname(dup1), *base = basename(dup2);
		char name[256];
		struct kmod_module *byname = NULL;

		out("== a name, then its path; a relative path\n");
		ctx = new_ctx(opt.dirname);
		if (ctx == NULL)
			return 1;
		snprintf(name, sizeof(name), "%s", base);
		name[strcspn(name, ".")] = '\0';
		err = kmod_module_new_from_name(ctx, name, &byname);
		out("  new_from_name %s: %s path=", name, rc(err));
		pstr(byname ? kmod_module_get_path(byname) : NULL);
		out("\n");
		m = NULL;
		err = kmod_module_new_from_path(ctx, opt.ko[0], &m);
		out("  new_from_path: %s same-object=%s path=", rc(err),
		    m && m == byname ? "yes" : "no");
		pstr(m ? kmod_module_get_path(m) : NULL);
		out("\n");
		if (getcwd(cwd, sizeof(cwd)) && chdir(dir) == 0) {
			m2 = NULL;
			err = kmod_module_new_from_path(ctx, base, &m2);
			out("  new_from_path relative ");
			pstr(base);
			out(": %s same-object=%s\n", rc(err), m2 && m2 == m ? "yes" : "no");
			kmod_module_unref(m2);
			if (chdir(cwd) < 0)
				perror("chdir");
		}
		kmod_module_unref(m);
		kmod_module_unref(byname);
		ctx = kmod_unref(ctx);
		out("  kmod_unref: %s\n", ctx ? "ctx" : "NULL");
		free(dup1);
		free(dup2);
	}
	return 0;
}
