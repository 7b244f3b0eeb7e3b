/*
 * module.c: what the exerciser prints about one struct kmod_module: name, path,
 * options, install/remove commands, dependencies, soft (and weak) dependencies,
 * initstate/refcnt/size/holders/sections, modinfo (kmod_module_get_info, signature
 * fields included), __versions, exported symbols, dependency symbols; and
 * kmod_module_probe_insert_module with its print_action and run_install callbacks
 * under each probe flag.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exerciser.h"

const char *probe_flags_str(unsigned int flags)
{
	static char buf[256];
	static const struct {
		unsigned int flag;
		const char *name;
	} names[] = {
		{ KMOD_PROBE_FORCE_VERMAGIC, "FORCE_VERMAGIC" },
		{ KMOD_PROBE_FORCE_MODVERSION, "FORCE_MODVERSION" },
		{ KMOD_PROBE_IGNORE_COMMAND, "IGNORE_COMMAND" },
		{ KMOD_PROBE_IGNORE_LOADED, "IGNORE_LOADED" },
		{ KMOD_PROBE_DRY_RUN, "DRY_RUN" },
		{ KMOD_PROBE_FAIL_ON_LOADED, "FAIL_ON_LOADED" },
		{ KMOD_PROBE_APPLY_BLACKLIST_ALL, "APPLY_BLACKLIST_ALL" },
		{ KMOD_PROBE_APPLY_BLACKLIST, "APPLY_BLACKLIST" },
		{ KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY, "APPLY_BLACKLIST_ALIAS_ONLY" },
	};

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & names[i].flag) {
			if (buf[0])
				strcat(buf, "|");
			strcat(buf, names[i].name);
			flags &= ~names[i].flag;
		}
	}
	if (!buf[0] && !flags)
		strcpy(buf, "0");
	else if (flags)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s0x%x", buf[0] ? "|" : "", flags);
	return buf;
}

void p_info(int depth, struct kmod_module *mod)
{
	struct kmod_list *list = NULL, *l;
	int n = kmod_module_get_info(mod, &list);

	indent(depth);
	out("info: %s\n", rc(n));
	kmod_list_foreach(l, list) {
		indent(depth + 1);
		pstr(kmod_module_info_get_key(l));
		out(" = ");
		pstr(kmod_module_info_get_value(l));
		putchar('\n');
	}
	kmod_module_info_free_list(list);
}

void p_versions(int depth, struct kmod_module *mod)
{
	struct kmod_list *list = NULL, *l;
	int n = kmod_module_get_versions(mod, &list);

	indent(depth);
	out("versions: %s\n", rc(n));
	kmod_list_foreach(l, list) {
		indent(depth + 1);
		pstr(kmod_module_version_get_symbol(l));
		out(" crc=0x%08llx\n", (unsigned long long)kmod_module_version_get_crc(l));
	}
	kmod_module_versions_free_list(list);
}

void p_symbols(int depth, struct kmod_module *mod)
{
	struct kmod_list *list = NULL, *l;
	int n = kmod_module_get_symbols(mod, &list);

	indent(depth);
	out("symbols: %s\n", rc(n));
	kmod_list_foreach(l, list) {
		indent(depth + 1);
		pstr(kmod_module_symbol_get_symbol(l));
		out(" crc=0x%08llx\n", (unsigned long long)kmod_module_symbol_get_crc(l));
	}
	kmod_module_symbols_free_list(list);
}

void p_dependency_symbols(int depth, struct kmod_module *mod)
{
	struct kmod_list *list = NULL, *l;
	int n = kmod_module_get_dependency_symbols(mod, &list);

	indent(depth);
	out("dependency_symbols: %s\n", rc(n));
	kmod_list_foreach(l, list) {
		int bind = kmod_module_dependency_symbol_get_bind(l);

		indent(depth + 1);
		pstr(kmod_module_dependency_symbol_get_symbol(l));
		out(" crc=0x%08llx bind=", (unsigned long long)kmod_module_dependency_symbol_get_crc(l));
		if (bind > 0x20 && bind < 0x7f)
			out("'%c'\n", bind);
		else
			out("%d\n", bind);
	}
	kmod_module_dependency_symbols_free_list(list);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Holders and sections come from readdir of /sys/module/NAME/...: printed sorted. */
static void p_holders(int depth, struct kmod_module *mod)
{
	struct kmod_list *list = kmod_module_get_holders(mod), *l;
	struct strv names = { 0 };

	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		strv_add(&names, m ? kmod_module_get_name(m) : "(null-entry)");
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
	strv_sort(&names);
	indent(depth);
	out("holders (sorted): %s[", list ? "" : "NULL ");
	for (size_t i = 0; i < names.n; i++)
		out("%s%s", i ? " " : "", names.v[i]);
	out("]\n");
	strv_free(&names);
}

static void p_sections(int depth, struct kmod_module *mod)
{
	struct kmod_list *list = kmod_module_get_sections(mod), *l;
	struct strv lines = { 0 };

	kmod_list_foreach(l, list) {
		char buf[512];
		const char *name = kmod_module_section_get_name(l);

		snprintf(buf, sizeof(buf), "%s 0x%lx", name ? name : "NULL",
			 kmod_module_section_get_address(l));
		strv_add(&lines, buf);
	}
	kmod_module_section_free_list(list);
	if (lines.n)
		qsort(lines.v, lines.n, sizeof(char *), cmp_str);
	indent(depth);
	out("sections (sorted): %s%zu\n", list ? "" : "NULL ", lines.n);
	for (size_t i = 0; i < lines.n; i++) {
		indent(depth + 1);
		out("%s\n", lines.v[i]);
	}
	strv_free(&lines);
}

static void p_kernel_state(int depth, struct kmod_module *mod, bool with_lists)
{
	/* each call before printing, so the library's messages fall between lines */
	int state = kmod_module_get_initstate(mod);
	const char *state_str = state >= 0 ? kmod_module_initstate_str(state) : NULL;
	int refcnt = kmod_module_get_refcnt(mod);
	long size = kmod_module_get_size(mod);

	indent(depth);
	out("initstate: %s", rc(state));
	if (state >= 0) {
		out(" ");
		pstr(state_str);
	}
	out(" refcnt: %s", rc(refcnt));
	out(" size: %s\n", rc(size));
	if (with_lists) {
		p_holders(depth, mod);
		p_sections(depth, mod);
	}
}

/* "label: value" for a string getter, the call made before anything is printed. */
static void p_field(int depth, const char *label, const char *value)
{
	indent(depth);
	out("%s: ", label);
	pstr(value);
	out("\n");
}

void report_module(int depth, struct kmod_module *mod, bool deep)
{
	struct kmod_list *deps, *pre = NULL, *post = NULL;
	int err;

	indent(depth);
	out("module ");
	pstr(kmod_module_get_name(mod));
	out("\n");
	depth++;
	p_field(depth, "path", kmod_module_get_path(mod));
	p_field(depth, "options", kmod_module_get_options(mod));
	p_field(depth, "install_commands", kmod_module_get_install_commands(mod));
	p_field(depth, "remove_commands", kmod_module_get_remove_commands(mod));

	deps = kmod_module_get_dependencies(mod);
	indent(depth);
	out("dependencies: ");
	p_modlist(deps);
	out("\n");
	if (deep)
		p_modlist_paths(depth + 1, deps);
	kmod_module_unref_list(deps);

	err = kmod_module_get_softdeps(mod, &pre, &post);
	indent(depth);
	out("softdeps: %s pre=", rc(err));
	p_modlist(pre);
	out(" post=");
	p_modlist(post);
	out("\n");
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);

	if (x_module_get_weakdeps) {
		struct kmod_list *weak = NULL;

		err = x_module_get_weakdeps(mod, &weak);
		indent(depth);
		out("weakdeps: %s ", rc(err));
		p_modlist(weak);
		out("\n");
		kmod_module_unref_list(weak);
	}

	p_kernel_state(depth, mod, deep);
	if (deep) {
		p_info(depth, mod);
		p_versions(depth, mod);
		p_symbols(depth, mod);
		p_dependency_symbols(depth, mod);
	}
}

/* ---- probes ----------------------------------------------------------------- */

static void print_action(struct kmod_module *m, bool install, const char *options)
{
	const char *name = kmod_module_get_name(m);
	const char *what = install ? kmod_module_get_install_commands(m) : kmod_module_get_path(m);
	/* what modprobe asks when there is no path: builtin or not */
	int state = !install && what == NULL ? kmod_module_get_initstate(m) : 0;

	indent(call_depth);
	out("action %s ", install ? "install" : "insmod");
	pstr(name);
	out(install ? " command=" : " path=");
	pstr(what);
	if (!install && what == NULL)
		out(" initstate=%s", rc(state));
	out(" options=");
	pstr(options);
	out("\n");
}

static int run_install(struct kmod_module *m, const char *cmdline, void *data)
{
	int ret = *(const int *)data;

	indent(call_depth);
	out("run_install ");
	pstr(kmod_module_get_name(m));
	out(" cmdline=");
	pstr(cmdline);
	out(" -> %s\n", rc(ret));
	return ret;
}

void probe_one(int depth, struct kmod_module *mod, unsigned int flags,
	       const char *extra, int install_ret)
{
	int err;

	indent(depth);
	out("probe %s extra=", probe_flags_str(flags));
	pstr(extra);
	out("\n");
	call_depth = depth + 1;
	err = kmod_module_probe_insert_module(mod, flags, extra, run_install,
					      &install_ret, print_action);
	indent(depth + 1);
	out("=> %s", rc(err));
	if (err > 0)
		out(" (%s)", probe_flags_str(err));
	out("\n");
}

void report_probes(int depth, struct kmod_module *mod, bool all_variants)
{
	/* modprobe --show-depends: IGNORE_LOADED|DRY_RUN|APPLY_BLACKLIST_ALIAS_ONLY;
	 * udevd: APPLY_BLACKLIST */
	static const unsigned int all[] = {
		KMOD_PROBE_DRY_RUN,
		KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED | KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY,
		KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED,
		KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_COMMAND,
		KMOD_PROBE_DRY_RUN | KMOD_PROBE_FAIL_ON_LOADED,
		KMOD_PROBE_DRY_RUN | KMOD_PROBE_APPLY_BLACKLIST,
		KMOD_PROBE_DRY_RUN | KMOD_PROBE_APPLY_BLACKLIST_ALL,
		KMOD_PROBE_DRY_RUN | KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY,
		KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED | KMOD_PROBE_IGNORE_COMMAND |
			KMOD_PROBE_APPLY_BLACKLIST_ALL,
	};
	static const unsigned int few[] = {
		KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED | KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY,
		KMOD_PROBE_DRY_RUN | KMOD_PROBE_APPLY_BLACKLIST,
		KMOD_PROBE_DRY_RUN | KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY,
	};
	const unsigned int *v = all_variants ? all : few;
	size_t n = all_variants ? sizeof(all) / sizeof(all[0]) : sizeof(few) / sizeof(few[0]);

	for (size_t i = 0; i < n; i++)
		probe_one(depth, mod, v[i], NULL, 0);
	if (all_variants) {
		probe_one(depth, mod, KMOD_PROBE_DRY_RUN, "extra_opt=1 other=\"a b\"", 0);
		if (opt.real_probe) {
			/* Not a dry run: install commands go to run_install, module
			 * loads to the fake kernel (fake.c), which accepts them. */
			probe_one(depth, mod, 0, "x=1", 0);
			probe_one(depth, mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, 0);
		}
	}
}
