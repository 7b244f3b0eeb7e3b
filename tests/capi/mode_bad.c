/*
 * mode_bad.c: the `bad` mode. Every function with NULL and invalid arguments
 * where libkmod checks them, missing directories and files, and odd lookup
 * strings (empty, brackets, wildcards, very long, dashes, ".ko" suffixes).
 *
 * Not called, because Debian's libkmod (kmod 30) crashes or aborts on them:
 *   kmod_get_dirname(NULL)                       dereferences ctx
 *   kmod_config_iter_free_iter(NULL)             dereferences iter
 *   kmod_module_get_info/versions/symbols/dependency_symbols with *list != NULL
 *                                                assert()
 *   kmod_module_get_softdeps with *pre or *post != NULL   assert()
 *   kmod_module_section_*, info_*, version_*, symbol_*, dependency_symbol_* on
 *   list entries of another kind                 reads the wrong struct
 *   kmod_module_get_sections when a section file does not hold a number: its
 *   error path frees the section list as a module list
 *   kmod_module_probe_insert_module without run_install on a module with an
 *   install command                              runs it with system(3)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exerciser.h"

static void lookup(struct kmod_ctx *ctx, const char *what, const char *s)
{
	struct kmod_list *list = NULL;
	int err = kmod_module_new_from_lookup(ctx, s, &list);

	out("lookup %s: %s ", what, rc(err));
	p_modlist(list);
	out("\n");
	kmod_module_unref_list(list);
	if (x_new_from_name_lookup && s) {
		struct kmod_module *m = NULL;

		err = x_new_from_name_lookup(ctx, s, &m);
		out("name_lookup %s: %s ", what, rc(err));
		pstr(m ? kmod_module_get_name(m) : NULL);
		out("\n");
		kmod_module_unref(m);
	}
	if (s) {
		struct kmod_module *m = NULL;

		err = kmod_module_new_from_name(ctx, s, &m);
		out("new_from_name %s: %s name=", what, rc(err));
		pstr(m ? kmod_module_get_name(m) : NULL);
		out(" path=");
		pstr(m ? kmod_module_get_path(m) : NULL);
		out("\n");
		kmod_module_unref(m);
	}
}

static void null_module_calls(void)
{
	struct kmod_list *l = NULL, *l2 = NULL;

	out("module_ref(NULL): %s\n", kmod_module_ref(NULL) ? "obj" : "NULL");
	out("module_unref(NULL): %s\n", kmod_module_unref(NULL) ? "obj" : "NULL");
	out("module_unref_list(NULL): %s\n", rc(kmod_module_unref_list(NULL)));
	out("get_module(NULL): %s\n", kmod_module_get_module(NULL) ? "obj" : "NULL");
	out("get_name(NULL): ");
	pstr(kmod_module_get_name(NULL));
	out("\nget_path(NULL): ");
	pstr(kmod_module_get_path(NULL));
	out("\nget_options(NULL): ");
	pstr(kmod_module_get_options(NULL));
	out("\nget_install_commands(NULL): ");
	pstr(kmod_module_get_install_commands(NULL));
	out("\nget_remove_commands(NULL): ");
	pstr(kmod_module_get_remove_commands(NULL));
	out("\n");
	out("get_dependencies(NULL): %s\n", kmod_module_get_dependencies(NULL) ? "list" : "NULL");
	out("get_softdeps(NULL): %s\n", rc(kmod_module_get_softdeps(NULL, &l, &l2)));
	if (x_module_get_weakdeps)
		out("get_weakdeps(NULL): %s\n", rc(x_module_get_weakdeps(NULL, &l)));
	out("remove_module(NULL): %s\n", rc(kmod_module_remove_module(NULL, 0)));
	out("insert_module(NULL): %s\n", rc(kmod_module_insert_module(NULL, 0, NULL)));
	out("probe_insert_module(NULL): %s\n",
	    rc(kmod_module_probe_insert_module(NULL, KMOD_PROBE_DRY_RUN, NULL, NULL, NULL, NULL)));
	for (int s = -1; s <= 4; s++) {
		out("initstate_str(%d): ", s);
		pstr(kmod_module_initstate_str((enum kmod_module_initstate)s));
		out("\n");
	}
	out("get_initstate(NULL): %s\n", rc(kmod_module_get_initstate(NULL)));
	out("get_refcnt(NULL): %s\n", rc(kmod_module_get_refcnt(NULL)));
	out("get_holders(NULL): %s\n", kmod_module_get_holders(NULL) ? "list" : "NULL");
	out("get_sections(NULL): %s\n", kmod_module_get_sections(NULL) ? "list" : "NULL");
	out("section_get_name(NULL): ");
	pstr(kmod_module_section_get_name(NULL));
	out("\nsection_get_address(NULL): 0x%lx\n", kmod_module_section_get_address(NULL));
	kmod_module_section_free_list(NULL);
	out("get_size(NULL): %s\n", rc(kmod_module_get_size(NULL)));
	l = NULL;
	out("get_info(NULL): %s\n", rc(kmod_module_get_info(NULL, &l)));
	out("info_get_key(NULL): ");
	pstr(kmod_module_info_get_key(NULL));
	out("\ninfo_get_value(NULL): ");
	pstr(kmod_module_info_get_value(NULL));
	out("\n");
	kmod_module_info_free_list(NULL);
	out("get_versions(NULL): %s\n", rc(kmod_module_get_versions(NULL, &l)));
	out("version_get_symbol(NULL): ");
	pstr(kmod_module_version_get_symbol(NULL));
	out("\nversion_get_crc(NULL): %llu\n", (unsigned long long)kmod_module_version_get_crc(NULL));
	kmod_module_versions_free_list(NULL);
	out("get_symbols(NULL): %s\n", rc(kmod_module_get_symbols(NULL, &l)));
	out("symbol_get_symbol(NULL): ");
	pstr(kmod_module_symbol_get_symbol(NULL));
	out("\nsymbol_get_crc(NULL): %llu\n", (unsigned long long)kmod_module_symbol_get_crc(NULL));
	kmod_module_symbols_free_list(NULL);
	out("get_dependency_symbols(NULL): %s\n", rc(kmod_module_get_dependency_symbols(NULL, &l)));
	out("dependency_symbol_get_symbol(NULL): ");
	pstr(kmod_module_dependency_symbol_get_symbol(NULL));
	out("\ndependency_symbol_get_crc(NULL): %llu\n",
	    (unsigned long long)kmod_module_dependency_symbol_get_crc(NULL));
	out("dependency_symbol_get_bind(NULL): %d\n", kmod_module_dependency_symbol_get_bind(NULL));
	kmod_module_dependency_symbols_free_list(NULL);
	out("list_next(NULL, NULL): %s\n", kmod_list_next(NULL, NULL) ? "node" : "NULL");
	out("list_prev(NULL, NULL): %s\n", kmod_list_prev(NULL, NULL) ? "node" : "NULL");
	out("list_last(NULL): %s\n", kmod_list_last(NULL) ? "node" : "NULL");
}

static void null_ctx_calls(void)
{
	struct kmod_module *m = NULL;
	struct kmod_list *l = NULL;

	out("kmod_ref(NULL): %s\n", kmod_ref(NULL) ? "ctx" : "NULL");
	out("kmod_unref(NULL): %s\n", kmod_unref(NULL) ? "ctx" : "NULL");
	out("get_log_priority(NULL): %d\n", kmod_get_log_priority(NULL));
	kmod_set_log_priority(NULL, 7);
	kmod_set_log_fn(NULL, log_to_stdout, NULL);
	out("get_userdata(NULL): %s\n", kmod_get_userdata(NULL) ? "set" : "NULL");
	kmod_set_userdata(NULL, &m);
	out("load_resources(NULL): %s\n", rc(kmod_load_resources(NULL)));
	kmod_unload_resources(NULL);
	out("validate_resources(NULL): %s\n", rc(kmod_validate_resources(NULL)));
	out("dump_index(NULL): %s\n", rc(kmod_dump_index(NULL, KMOD_INDEX_MODULES_DEP, 1)));
	out("config_get_blacklists(NULL): %s\n", kmod_config_get_blacklists(NULL) ? "iter" : "NULL");
	out("config_get_install_commands(NULL): %s\n",
	    kmod_config_get_install_commands(NULL) ? "iter" : "NULL");
	out("config_get_remove_commands(NULL): %s\n",
	    kmod_config_get_remove_commands(NULL) ? "iter" : "NULL");
	out("config_get_aliases(NULL): %s\n", kmod_config_get_aliases(NULL) ? "iter" : "NULL");
	out("config_get_options(NULL): %s\n", kmod_config_get_options(NULL) ? "iter" : "NULL");
	out("config_get_softdeps(NULL): %s\n", kmod_config_get_softdeps(NULL) ? "iter" : "NULL");
	if (x_config_get_weakdeps)
		out("config_get_weakdeps(NULL): %s\n", x_config_get_weakdeps(NULL) ? "iter" : "NULL");
	out("config_iter_get_key(NULL): ");
	pstr(kmod_config_iter_get_key(NULL));
	out("\nconfig_iter_get_value(NULL): ");
	pstr(kmod_config_iter_get_value(NULL));
	out("\nconfig_iter_next(NULL): %s\n", kmod_config_iter_next(NULL) ? "true" : "false");
	out("new_from_name(NULL ctx): %s\n", rc(kmod_module_new_from_name(NULL, "x", &m)));
	out("new_from_path(NULL ctx): %s\n", rc(kmod_module_new_from_path(NULL, "/x.ko", &m)));
	out("new_from_lookup(NULL ctx): %s\n", rc(kmod_module_new_from_lookup(NULL, "x", &l)));
	if (x_new_from_name_lookup)
		out("new_from_name_lookup(NULL ctx): %s\n", rc(x_new_from_name_lookup(NULL, "x", &m)));
	out("new_from_loaded(NULL ctx): %s\n", rc(kmod_module_new_from_loaded(NULL, &l)));
	out("apply_filter(NULL ctx): %s\n",
	    rc(kmod_module_apply_filter(NULL, KMOD_FILTER_BLACKLIST, NULL, &l)));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	out("get_filtered_blacklist(NULL ctx): %s\n", rc(kmod_module_get_filtered_blacklist(NULL, NULL, &l)));
#pragma GCC diagnostic pop
}

static void bad_args_with_ctx(struct kmod_ctx *ctx)
{
	struct kmod_module *m = NULL, *hello = NULL;
	struct kmod_list *l = NULL, *out_list = (struct kmod_list *)1, *pre = NULL;
	char *longname;
	int err;

	out("new_from_name(name NULL): %s\n", rc(kmod_module_new_from_name(ctx, NULL, &m)));
	out("new_from_name(mod NULL): %s\n", rc(kmod_module_new_from_name(ctx, "x", NULL)));
	out("new_from_path(path NULL): %s\n", rc(kmod_module_new_from_path(ctx, NULL, &m)));
	out("new_from_path(mod NULL): %s\n", rc(kmod_module_new_from_path(ctx, "/x.ko", NULL)));
	out("new_from_path(missing file): %s\n",
	    rc(kmod_module_new_from_path(ctx, "/nonexistent/dir/missing.ko", &m)));
	err = kmod_module_new_from_path(ctx, "/", &m);
	out("new_from_path(\"/\"): %s\n", rc(err));
	if (err == 0) {
		out("  name=");
		pstr(kmod_module_get_name(m));
		out("\n");
		kmod_module_unref(m);
		m = NULL;
	}
	err = kmod_module_new_from_path(ctx, "/dev/null", &m);
	out("new_from_path(\"/dev/null\"): %s\n", rc(err));
	if (err == 0) {
		out("  name=");
		pstr(kmod_module_get_name(m));
		out("\n");
		p_info(1, m);
		p_versions(1, m);
		p_symbols(1, m);
		p_dependency_symbols(1, m);
		kmod_module_unref(m);
		m = NULL;
	}
	out("new_from_lookup(alias NULL): %s\n", rc(kmod_module_new_from_lookup(ctx, NULL, &l)));
	out("new_from_lookup(list NULL): %s\n", rc(kmod_module_new_from_lookup(ctx, "x", NULL)));
	if (x_new_from_name_lookup) {
		out("new_from_name_lookup(name NULL): %s\n", rc(x_new_from_name_lookup(ctx, NULL, &m)));
		out("new_from_name_lookup(mod NULL): %s\n", rc(x_new_from_name_lookup(ctx, "x", NULL)));
	}
	out("new_from_loaded(list NULL): %s\n", rc(kmod_module_new_from_loaded(ctx, NULL)));
	err = kmod_module_apply_filter(ctx, KMOD_FILTER_BLACKLIST, NULL, &out_list);
	out("apply_filter(input NULL): %s output=%s\n", rc(err), out_list ? "list" : "NULL");
	out("apply_filter(output NULL): %s\n",
	    rc(kmod_module_apply_filter(ctx, KMOD_FILTER_BLACKLIST, NULL, NULL)));
	out("dump_index(type 99): %s\n", rc(kmod_dump_index(ctx, (enum kmod_index)99, 1)));
	out("dump_index(type -1): %s\n", rc(kmod_dump_index(ctx, (enum kmod_index)-1, 1)));

	/* lookups of odd strings */
	lookup(ctx, "empty", "");
	lookup(ctx, "NULL", NULL);
	lookup(ctx, "brackets-open", "foo[bar");
	lookup(ctx, "brackets-closed", "foo[ab]");
	lookup(ctx, "bracket-close-only", "foo]bar");
	lookup(ctx, "star", "*");
	lookup(ctx, "question", "?");
	lookup(ctx, "dashes", "chain-a");
	lookup(ctx, "dot-ko", "hello.ko");
	lookup(ctx, "dot-ko-xz", "hello_soft.ko.xz");
	lookup(ctx, "path", "kernel/misc/hello.ko");
	lookup(ctx, "colon", "symbol:");
	lookup(ctx, "symbol-missing", "symbol:no_such_symbol_xyz");
	lookup(ctx, "space", "hello world");
	lookup(ctx, "uppercase", "HELLO");
	lookup(ctx, "utf8", "h\xc3\xa9llo");
	longname = malloc(PATH_MAX + 100);
	memset(longname, 'a', PATH_MAX + 99);
	longname[PATH_MAX + 99] = '\0';
	longname[PATH_MAX - 10] = '-';
	lookup(ctx, "longer-than-PATH_MAX", longname);
	longname[PATH_MAX - 1] = '\0';
	lookup(ctx, "PATH_MAX-1", longname);
	free(longname);

	/* a module that does not exist */
	err = kmod_module_new_from_name(ctx, "no_such_module_xyz", &m);
	out("new_from_name(no_such_module_xyz): %s\n", rc(err));
	if (err == 0) {
		report_module(1, m, true);
		probe_one(1, m, KMOD_PROBE_DRY_RUN, NULL, 0);
		probe_one(1, m, 0, NULL, 0);
		out("insert_module: %s\n", rc(kmod_module_insert_module(m, 0, NULL)));
		err = kmod_module_get_softdeps(m, NULL, &pre);
		out("get_softdeps(pre NULL): %s\n", rc(err));
		err = kmod_module_get_softdeps(m, &pre, NULL);
		out("get_softdeps(post NULL): %s\n", rc(err));
		out("get_info(list NULL): %s\n", rc(kmod_module_get_info(m, NULL)));
		out("get_versions(list NULL): %s\n", rc(kmod_module_get_versions(m, NULL)));
		out("get_symbols(list NULL): %s\n", rc(kmod_module_get_symbols(m, NULL)));
		out("get_dependency_symbols(list NULL): %s\n",
		    rc(kmod_module_get_dependency_symbols(m, NULL)));
		if (x_module_get_weakdeps)
			out("get_weakdeps(list NULL): %s\n", rc(x_module_get_weakdeps(m, NULL)));
		out("module_ref: %s\n", kmod_module_ref(m) == m ? "same" : "other");
		out("module_unref: %s\n", kmod_module_unref(m) ? "obj" : "NULL");
		out("module_unref: %s\n", kmod_module_unref(m) ? "obj" : "NULL");
	}
	/* a list: next/prev/last with a foreign current node */
	err = kmod_module_new_from_lookup(ctx, "hello", &l);
	if (err == 0 && l) {
		hello = kmod_module_get_module(l);
		out("list_next(list, last): %s\n",
		    kmod_list_next(l, kmod_list_last(l)) ? "node" : "NULL");
		out("list_prev(list, first): %s\n", kmod_list_prev(l, l) ? "node" : "NULL");
		out("list_next(NULL, list): %s\n", kmod_list_next(NULL, l) ? "node" : "NULL");
		out("list_prev(list, NULL): %s\n", kmod_list_prev(l, NULL) ? "node" : "NULL");
		out("list_last(list) is list (one element): %s\n", kmod_list_last(l) == l ? "yes" : "no");
		pre = (struct kmod_list *)1;
		err = kmod_module_new_from_lookup(ctx, "hello", &pre);
		out("new_from_lookup(non-empty list): %s\n", rc(err));
		kmod_module_unref(hello);
	}
	kmod_module_unref_list(l);
}

int mode_bad(void)
{
	static const char *const none[] = { NULL };
	static const char *const missing[] = { "/nonexistent/modprobe.d", "/nonexistent.conf", NULL };
	struct kmod_ctx *ctx;
	struct kmod_list *l = NULL;

	out("### bad\n");
	null_ctx_calls();
	null_module_calls();

	out("-- missing module directory\n");
	ctx = new_ctx_with("/nonexistent/lib/modules/0.0", none);
	if (ctx) {
		out("dirname: ");
		pstr(kmod_get_dirname(ctx));
		out("\nload_resources: %s\n", rc(kmod_load_resources(ctx)));
		out("validate_resources: %s\n", rc(kmod_validate_resources(ctx)));
		out("dump_index: %s\n", rc(kmod_dump_index(ctx, KMOD_INDEX_MODULES_DEP, 1)));
		lookup(ctx, "hello", "hello");
		out("new_from_loaded: %s\n", rc(kmod_module_new_from_loaded(ctx, &l)));
		kmod_module_unref_list(l);
		kmod_unref(ctx);
	}
	out("-- missing config paths\n");
	ctx = new_ctx_with("/nonexistent/lib/modules/0.0", missing);
	if (ctx) {
		out("validate_resources: %s\n", rc(kmod_validate_resources(ctx)));
		kmod_unref(ctx);
	}
	out("-- empty dirname\n");
	/* the cwd's modules.softdep is read: what it logs is not printed */
	ctx = new_ctx_ex("", none, false);
	out("kmod_new: %s\n", ctx ? "ok" : "NULL");
	if (ctx) {
		char cwd[PATH_MAX];
		const char *d = kmod_get_dirname(ctx);
		size_t n = getcwd(cwd, sizeof(cwd)) ? strlen(cwd) : 0;

		out("dirname: ");
		if (d && n && strncmp(d, cwd, n) == 0) {
			out("$CWD");
			pstr(d + n);
		} else {
			pstr(d);
		}
		out("\n");
		kmod_unref(ctx);
	}
	if (opt.dirname) {
		out("-- the tree\n");
		ctx = new_ctx(opt.dirname);
		if (ctx) {
			bad_args_with_ctx(ctx);
			ctx = kmod_unref(ctx);
			out("kmod_unref: %s\n", ctx ? "ctx" : "NULL");
		}
	}
	return 0;
}
