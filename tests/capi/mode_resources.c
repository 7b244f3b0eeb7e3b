/*
 * mode_resources.c: the `resources` mode, on a private copy of the tree's index
 * files (the tree itself is never touched) and a config directory and file of
 * our own:
 *   kmod_get_dirname (absolute, relative, default from uname), KMOD_LOG and
 *   kmod_get/set_log_priority, kmod_get/set_userdata, kmod_ref/kmod_unref
 *   counts; kmod_load_resources (twice), kmod_validate_resources before and after
 *   bumping an index's mtime, replacing an index by rename (new and same mtime),
 *   touching a config file inside a config directory and a config file given
 *   directly, adding a config file, removing an optional and a required index;
 *   lookups served from the old mapping and after reloading;
 *   kmod_unload_resources (twice).
 * Paths under the private copy print as $TMP (also in the library's messages).
 * The copy holds the index files; the module directories are symlinks to the tree.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "exerciser.h"

static char tmp[1024];

static void die(const char *what)
{
	fprintf(stderr, "kmod-exerciser: resources: %s: %m\n", what);
	exit(2);
}

static void copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), o;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		die(from);
	o = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o < 0)
		die(to);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(o, buf, n) != n)
			die(to);
	if (n < 0)
		die(from);
	close(in);
	close(o);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		die(path);
}

static void set_mtime(const char *path, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	if (utimensat(AT_FDCWD, path, ts, 0) < 0)
		die(path);
}

static char *at(const char *rel)
{
	static char bufs[4][PATH_MAX];
	static int i;
	char *b = bufs[i++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", tmp, rel);
	return b;
}

static void validate(struct kmod_ctx *ctx, const char *when)
{
	int r = kmod_validate_resources(ctx);
	const char *name = r == KMOD_RESOURCES_OK ? "OK" :
			   r == KMOD_RESOURCES_MUST_RELOAD ? "MUST_RELOAD" :
			   r == KMOD_RESOURCES_MUST_RECREATE ? "MUST_RECREATE" : "?";

	out("validate_resources (%s): %s %s\n", when, rc(r), name);
}

static void load(struct kmod_ctx *ctx, const char *when)
{
	out("load_resources (%s): %s\n", when, rc(kmod_load_resources(ctx)));
}

static void lookup(struct kmod_ctx *ctx, const char *name, const char *when)
{
	struct kmod_list *list = NULL, *l;
	int err = kmod_module_new_from_lookup(ctx, name, &list);

	out("lookup %s (%s): %s ", name, when, rc(err));
	p_modlist(list);
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		out(" path=");
		pstr(kmod_module_get_path(m));
		kmod_module_unref(m);
	}
	out("\n");
	kmod_module_unref_list(list);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void log_env_checks(const char *dirname)
{
	static const char *const values[] = { "3", "info", "debug", "err", "7 ", "bogus", "" };
	static const char *const none[] = { NULL };
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC), saved = dup(2);

	/* With KMOD_LOG=debug the library logs its internals to stderr while kmod_new
	 * runs: that is not compared, only the priority it ends up with. */
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct kmod_ctx *c;

		setenv("KMOD_LOG", values[i], 1);
		fflush(stderr);
		dup2(devnull, 2);
		c = kmod_new(dirname, none);
		fflush(stderr);
		dup2(saved, 2);
		out("KMOD_LOG=");
		pstr(values[i]);
		out(": log_priority %d\n", c ? kmod_get_log_priority(c) : -999);
		if (c) {
			kmod_set_log_fn(c, log_to_stdout, NULL);
			kmod_set_log_priority(c, opt.log_priority);
			kmod_unref(c);
		}
	}
	unsetenv("KMOD_LOG");
	close(devnull);
	close(saved);
}

int mode_resources(void)
{
	const char *conf[] = { NULL, NULL, NULL };
	struct kmod_ctx *ctx, *ctx2;
	struct strv lines = { 0 };
	struct utsname u;
	DIR *d;
	struct dirent *e;
	char cwd[PATH_MAX], expect[PATH_MAX + 64], name[256] = "";
	int marker, err;

	out("### resources\n");
	snprintf(tmp, sizeof(tmp), "%s/kmod-exerciser-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	if (mkdtemp(tmp) == NULL)
		die("mkdtemp");
	if (mkdir(at("modules"), 0755) < 0 || mkdir(at("conf"), 0755) < 0)
		die("mkdir");
	d = opendir(opt.dirname);
	if (d == NULL)
		die(opt.dirname);
	while ((e = readdir(d)) != NULL) {
		char from[PATH_MAX], to[PATH_MAX];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/%s", opt.dirname, e->d_name);
		snprintf(to, sizeof(to), "%s/modules/%s", tmp, e->d_name);
		if (strncmp(e->d_name, "modules.", 8) != 0 || stat(from, &st) < 0 ||
		    !S_ISREG(st.st_mode)) {
			/* module directories are shared, not copied */
			char abs[PATH_MAX];

			if (realpath(from, abs) == NULL || symlink(abs, to) < 0)
				die(from);
			continue;
		}
		copy_file(from, to);
		set_mtime(to, 1500000000);
	}
	closedir(d);
	write_file(at("conf/a.conf"), "alias res_alias_a res_target_a\n");
	write_file(at("single.conf"), "alias res_alias_b res_target_b\n");
	set_mtime(at("conf/a.conf"), 1500000000);
	set_mtime(at("conf"), 1500000000);
	set_mtime(at("single.conf"), 1500000000);
	conf[0] = strdup(at("conf"));
	conf[1] = strdup(at("single.conf"));
	scrub_add(tmp, "$TMP");

	/* dirname: absolute, relative to the cwd, default */
	ctx = new_ctx_with(at("modules"), conf);
	if (ctx == NULL)
		return 1;
	out("dirname: ");
	pstr(kmod_get_dirname(ctx));
	out("\n");
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(tmp) < 0)
		die("chdir");
	ctx2 = new_ctx_with("modules", conf);
	out("dirname of \"modules\" from $TMP: ");
	pstr(ctx2 ? kmod_get_dirname(ctx2) : NULL);
	out("\n");
	kmod_unref(ctx2);
	ctx2 = new_ctx_with("./modules/", conf);
	out("dirname of \"./modules/\" from $TMP: ");
	pstr(ctx2 ? kmod_get_dirname(ctx2) : NULL);
	out("\n");
	kmod_unref(ctx2);
	if (chdir(cwd) < 0)
		die("chdir back");
	/* the host's module directory: its modules.softdep is read, and not printed */
	ctx2 = new_ctx_ex(NULL, conf, false);
	uname(&u);
	snprintf(expect, sizeof(expect), "/lib/modules/%s", u.release);
	out("dirname of NULL is /lib/modules/$(uname -r): %s\n",
	    ctx2 && strcmp(kmod_get_dirname(ctx2), expect) == 0 ? "yes" : "no");
	kmod_unref(ctx2);

	/* log priority, userdata, references */
	out("log_priority: %d\n", kmod_get_log_priority(ctx));
	kmod_set_log_priority(ctx, 3);
	out("log_priority after set 3: %d\n", kmod_get_log_priority(ctx));
	kmod_set_log_priority(ctx, 7);
	out("log_priority after set 7: %d\n", kmod_get_log_priority(ctx));
	kmod_set_log_priority(ctx, opt.log_priority);
	log_env_checks(at("modules"));
	out("userdata initially: %s\n", kmod_get_userdata(ctx) ? "set" : "NULL");
	kmod_set_userdata(ctx, &marker);
	out("userdata after set: %s\n", kmod_get_userdata(ctx) == &marker ? "same" : "other");
	kmod_set_userdata(ctx, NULL);
	out("userdata after set NULL: %s\n", kmod_get_userdata(ctx) ? "set" : "NULL");
	out("kmod_ref: %s\n", kmod_ref(ctx) == ctx ? "same" : "other");
	out("kmod_ref: %s\n", kmod_ref(ctx) == ctx ? "same" : "other");
	out("kmod_unref: %s\n", kmod_unref(ctx) == ctx ? "ctx" : "NULL");
	out("kmod_unref: %s\n", kmod_unref(ctx) == ctx ? "ctx" : "NULL");

	/* a module name of the tree to look up */
	err = dump_lines(ctx, KMOD_INDEX_MODULES_DEP, &lines);
	if (err == 0 && lines.n) {
		char *sp = strchr(lines.v[0], ' ');

		if (sp)
			*sp = '\0';
		snprintf(name, sizeof(name), "%s", lines.v[0]);
	}
	strv_free(&lines);
	out("name: %s\n", name);

	validate(ctx, "nothing loaded");
	load(ctx, "first");
	load(ctx, "second");
	validate(ctx, "loaded");
	lookup(ctx, name, "loaded");

	set_mtime(at("modules/modules.alias.bin"), 1600000000);
	validate(ctx, "modules.alias.bin mtime bumped");
	kmod_unload_resources(ctx);
	validate(ctx, "unloaded");
	load(ctx, "after unload");
	validate(ctx, "reloaded");

	copy_file(at("modules/modules.dep.bin"), at("modules/modules.dep.bin.new"));
	set_mtime(at("modules/modules.dep.bin.new"), 1700000000);
	if (rename(at("modules/modules.dep.bin.new"), at("modules/modules.dep.bin")) < 0)
		die("rename");
	validate(ctx, "modules.dep.bin replaced");
	lookup(ctx, name, "old mapping");
	kmod_unload_resources(ctx);
	load(ctx, "after replace");
	validate(ctx, "reloaded");
	lookup(ctx, name, "new mapping");

	copy_file(at("modules/modules.symbols.bin"), at("modules/modules.symbols.bin.new"));
	set_mtime(at("modules/modules.symbols.bin.new"), 1500000000);
	if (rename(at("modules/modules.symbols.bin.new"), at("modules/modules.symbols.bin")) < 0)
		die("rename");
	validate(ctx, "modules.symbols.bin replaced, same mtime");

	set_mtime(at("conf/a.conf"), 1600000000);
	validate(ctx, "file in config dir touched");
	set_mtime(at("single.conf"), 1600000000);
	validate(ctx, "config file touched");
	ctx = kmod_unref(ctx);
	out("kmod_unref: %s\n", ctx ? "ctx" : "NULL");

	ctx = new_ctx_with(at("modules"), conf);
	if (ctx == NULL)
		return 1;
	load(ctx, "recreated");
	validate(ctx, "recreated");
	write_file(at("conf/b.conf"), "alias res_alias_c res_target_c\n");
	set_mtime(at("conf"), 1600000000);
	validate(ctx, "file added to config dir");
	ctx = kmod_unref(ctx);
	out("kmod_unref: %s\n", ctx ? "ctx" : "NULL");

	ctx = new_ctx_with(at("modules"), conf);
	if (ctx == NULL)
		return 1;
	load(ctx, "recreated");
	lookup(ctx, "res_alias_c", "alias from added file");
	if (unlink(at("modules/modules.builtin.alias.bin")) < 0)
		die("unlink");
	validate(ctx, "modules.builtin.alias.bin removed");
	kmod_unload_resources(ctx);
	load(ctx, "without modules.builtin.alias.bin");
	validate(ctx, "reloaded");
	if (unlink(at("modules/modules.symbols.bin")) < 0)
		die("unlink");
	validate(ctx, "modules.symbols.bin removed");
	kmod_unload_resources(ctx);
	load(ctx, "without modules.symbols.bin");
	validate(ctx, "after failed load");
	lookup(ctx, name, "after failed load");
	kmod_unload_resources(ctx);
	kmod_unload_resources(ctx);
	out("unload_resources twice: done\n");
	validate(ctx, "unloaded");
	ctx = kmod_unref(ctx);
	out("kmod_unref: %s\n", ctx ? "ctx" : "NULL");

	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	scrub_clear_last();
	free((char *)conf[0]);
	free((char *)conf[1]);
	return 0;
}
