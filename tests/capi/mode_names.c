/*
 * mode_names.c: the `names` mode. One context for the whole run (as udevd keeps
 * one), indexes loaded with kmod_load_resources. The names come from the tree
 * itself, read through the API (kmod_dump_index) or, for alias patterns, from the
 * modules.alias text:
 *   - every module of modules.dep: kmod_module_new_from_lookup, and for each
 *     module found everything module.c prints (modinfo, versions, symbols, ...)
 *     plus every probe flag variant; kmod_module_new_from_name and
 *     kmod_module_new_from_name_lookup of the same name;
 *   - every key of the configuration (config aliases instantiated like the
 *     patterns below, install/remove/options/softdep/blacklist names), deep;
 *   - every builtin module (modules.builtin; deep), builtin alias, symbol alias
 *     ("symbol:NAME" of modules.symbols) and one concrete string per
 *     modules.alias pattern: the lookup, a lighter per-module report, and the
 *     probe variants a udev-like caller uses;
 *   - the kmod_module_apply_filter / kmod_module_get_filtered_blacklist results
 *     of every lookup list.
 * --name NAME (repeatable) looks up exactly those strings instead; --every and
 * --sample pick a deterministic subset of each kind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exerciser.h"

static void p_filters(int depth, struct kmod_ctx *ctx, struct kmod_list *list)
{
	static const struct {
		int filter;
		const char *name;
	} filters[] = {
		{ KMOD_FILTER_BLACKLIST, "BLACKLIST" },
		{ KMOD_FILTER_BUILTIN, "BUILTIN" },
		{ KMOD_FILTER_BLACKLIST | KMOD_FILTER_BUILTIN, "BLACKLIST|BUILTIN" },
		{ 0, "0" },
	};
	struct kmod_list *res;
	int err;

	indent(depth);
	out("filters:");
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		res = NULL;
		err = kmod_module_apply_filter(ctx, filters[i].filter, list, &res);
		out(" %s=%s", filters[i].name, rc(err));
		p_modlist(res);
		kmod_module_unref_list(res);
	}
	res = NULL;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	err = kmod_module_get_filtered_blacklist(ctx, list, &res);
#pragma GCC diagnostic pop
	out(" filtered_blacklist=%s", rc(err));
	p_modlist(res);
	kmod_module_unref_list(res);
	out("\n");
}

static void p_reverse(int depth, struct kmod_list *list)
{
	struct kmod_list *l;

	if (list == NULL || kmod_list_next(list, list) == NULL)
		return;
	indent(depth);
	out("reverse:");
	kmod_list_foreach_reverse(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		out(" %s", kmod_module_get_name(m));
		kmod_module_unref(m);
	}
	out("\n");
}

/* One name: lookup, per-module reports, filters; deep for module names. */
static void exercise(struct kmod_ctx *ctx, const char *kind, const char *name, bool deep)
{
	struct kmod_list *list = NULL, *l;
	struct kmod_module *mod = NULL, *first = NULL;
	int err;

	out("== %s ", kind);
	pstr(name);
	out("\n");
	err = kmod_module_new_from_lookup(ctx, name, &list);
	out("  lookup: %s ", rc(err));
	p_modlist(list);
	out("\n");
	p_reverse(2, list);
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		if (first == NULL)
			first = kmod_module_ref(m);
		report_module(2, m, deep);
		report_probes(3, m, deep);
		kmod_module_unref(m);
	}
	p_filters(2, ctx, list);
	kmod_module_unref_list(list);

	if (deep) {
		err = kmod_module_new_from_name(ctx, name, &mod);
		out("  new_from_name: %s ", rc(err));
		if (err == 0) {
			pstr(kmod_module_get_name(mod));
			out(" path=");
			pstr(kmod_module_get_path(mod));
			out(" same-object-as-lookup=%s", mod == first ? "yes" : "no");
			kmod_module_unref(mod);
		}
		out("\n");
	}
	if (x_new_from_name_lookup) {
		mod = NULL;
		err = x_new_from_name_lookup(ctx, name, &mod);
		out("  new_from_name_lookup: %s ", rc(err));
		if (mod) {
			pstr(kmod_module_get_name(mod));
			out(" path=");
			pstr(kmod_module_get_path(mod));
			kmod_module_unref(mod);
		} else {
			out("none");
		}
		out("\n");
	}
	kmod_module_unref(first);
}

/* First space-separated field of each line, optionally after a prefix. */
static void keys_of(struct strv *lines, const char *prefix, struct strv *keys)
{
	size_t plen = prefix ? strlen(prefix) : 0;

	for (size_t i = 0; i < lines->n; i++) {
		char *s = lines->v[i], *sp;

		if (plen) {
			if (strncmp(s, prefix, plen) != 0)
				continue;
			s += plen;
		}
		sp = strchr(s, ' ');
		if (sp)
			*sp = '\0';
		if (*s)
			strv_add(keys, s);
	}
}

static void run_kind(struct kmod_ctx *ctx, const char *kind, struct strv *items, bool deep)
{
	size_t total;

	strv_sort(items);
	strv_uniq(items);
	total = items->n;
	strv_select(items);
	out("# %s: %zu of %zu\n", kind, items->n, total);
	for (size_t i = 0; i < items->n; i++)
		exercise(ctx, kind, items->v[i], deep);
	fflush(stdout);
}

/* One concrete string per pattern of DIR/modules.alias (the text file depmod
 * writes; patterns as modules declare them). Falls back to the alias index. */
static void alias_strings(struct kmod_ctx *ctx, struct strv *out_strings, long *skipped)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	FILE *f;
	struct strv patterns = { 0 };

	snprintf(path, sizeof(path), "%s/modules.alias", kmod_get_dirname(ctx));
	f = fopen(path, "re");
	if (f) {
		while (getline(&line, &cap, f) > 0) {
			char *p, *sp;

			if (strncmp(line, "alias ", 6) != 0)
				continue;
			p = line + 6;
			sp = strchr(p, ' ');
			if (sp == NULL)
				continue;
			*sp = '\0';
			strv_add(&patterns, p);
		}
		free(line);
		fclose(f);
	} else {
		struct strv lines = { 0 };

		dump_lines(ctx, KMOD_INDEX_MODULES_ALIAS, &lines);
		keys_of(&lines, "alias ", &patterns);
		strv_free(&lines);
	}
	*skipped = 0;
	for (size_t i = 0; i < patterns.n; i++) {
		char *s = instantiate_pattern(patterns.v[i]);

		if (s == NULL) {
			(*skipped)++;
			continue;
		}
		strv_add(out_strings, s);
		free(s);
	}
	strv_free(&patterns);
}

/* The keys of every configuration entry (alias patterns instantiated). */
static void config_names(struct kmod_ctx *ctx, struct strv *names)
{
	struct kmod_config_iter *(*const getters[])(const struct kmod_ctx *) = {
		kmod_config_get_blacklists, kmod_config_get_install_commands,
		kmod_config_get_remove_commands, kmod_config_get_aliases,
		kmod_config_get_options, kmod_config_get_softdeps,
	};

	for (size_t i = 0; i < sizeof(getters) / sizeof(getters[0]); i++) {
		struct kmod_config_iter *it = getters[i](ctx);

		while (it && kmod_config_iter_next(it)) {
			const char *key = kmod_config_iter_get_key(it);
			char *s = key ? instantiate_pattern(key) : NULL;

			if (s)
				strv_add(names, s);
			free(s);
		}
		if (it)
			kmod_config_iter_free_iter(it);
	}
}

int mode_names(void)
{
	struct kmod_ctx *ctx;
	int err;

	out("### names\n");
	ctx = new_ctx(opt.dirname);
	if (ctx == NULL)
		return 1;
	err = kmod_load_resources(ctx);
	out("load_resources: %s\n", rc(err));

	if (opt.n_names) {
		struct strv items = { 0 };

		for (int i = 0; i < opt.n_names; i++)
			strv_add(&items, opt.names[i]);
		/* given order, not sorted */
		out("# given: %zu\n", items.n);
		for (size_t i = 0; i < items.n; i++)
			exercise(ctx, "given", items.v[i], true);
		strv_free(&items);
	} else {
		struct strv lines = { 0 }, items = { 0 };
		long skipped;

		err = dump_lines(ctx, KMOD_INDEX_MODULES_DEP, &lines);
		out("dump modules.dep: %s\n", rc(err));
		keys_of(&lines, NULL, &items);
		strv_free(&lines);
		run_kind(ctx, "module", &items, true);
		strv_free(&items);

		err = dump_lines(ctx, KMOD_INDEX_MODULES_BUILTIN, &lines);
		out("dump modules.builtin: %s\n", rc(err));
		keys_of(&lines, NULL, &items);
		strv_free(&lines);
		run_kind(ctx, "builtin", &items, true);
		strv_free(&items);

		err = dump_lines(ctx, KMOD_INDEX_MODULES_BUILTIN_ALIAS, &lines);
		out("dump modules.builtin.alias: %s\n", rc(err));
		keys_of(&lines, NULL, &items);
		strv_free(&lines);
		run_kind(ctx, "builtin-alias", &items, false);
		strv_free(&items);

		err = dump_lines(ctx, KMOD_INDEX_MODULES_SYMBOL, &lines);
		out("dump modules.symbols: %s\n", rc(err));
		keys_of(&lines, "alias ", &items);
		strv_free(&lines);
		run_kind(ctx, "symbol", &items, false);
		strv_free(&items);

		config_names(ctx, &items);
		run_kind(ctx, "config", &items, true);
		strv_free(&items);

		alias_strings(ctx, &items, &skipped);
		out("# alias patterns not instantiated: %ld\n", skipped);
		run_kind(ctx, "alias", &items, false);
		strv_free(&items);
	}
	ctx = kmod_unref(ctx);
	out("kmod_unref: %s\n", ctx ? "ctx" : "NULL");
	return 0;
}
