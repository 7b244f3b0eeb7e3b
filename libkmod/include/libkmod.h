/*
 * libkmod.h: the C interface of rkmod's libkmod.so.2.
 *
 * Source-compatible with the header of kmod 34.2's libkmod: the same types,
 * functions, enumerations and values, so a program written for libkmod builds
 * unchanged against this one. Written for rkmod from the API's facts (names,
 * types, values); the comments are rkmod's own.
 *
 * Conventions of the whole API:
 * - contexts, modules and lists are owned by the caller of the function that
 *   returned them and released with the matching unref or free function;
 * - strings returned as `const char *` belong to the object they came from and
 *   stay valid while it lives;
 * - functions returning int answer 0 (or a count) on success and a negative
 *   errno value on failure.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 */
#pragma once
#ifndef _LIBKMOD_H_
#define _LIBKMOD_H_

/* O_TRUNC and O_NONBLOCK (enum kmod_remove), va_list (the log function), bool,
 * uint64_t: programs written for libkmod rely on these coming with the header. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <inttypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * The library context
 * ------------------------------------------------------------------------- */

/* A library context: the module directory, the configuration read from the
 * modprobe.d directories, the indexes once loaded, the log settings. */
struct kmod_ctx;

/* A new context (reference count 1). dirname: the module directory, NULL for
 * /lib/modules/`uname -r`; config_paths: a NULL-terminated list of
 * configuration files and directories, NULL for the system's default list.
 * NULL on failure. */
struct kmod_ctx *kmod_new(const char *dirname, const char *const *config_paths);

/* Take one more reference; returns ctx. */
struct kmod_ctx *kmod_ref(struct kmod_ctx *ctx);

/* Drop one reference; the last one frees the context. Returns NULL once freed,
 * ctx while references remain. */
struct kmod_ctx *kmod_unref(struct kmod_ctx *ctx);

/* Map the index files of the module directory now, rather than on first use. */
int kmod_load_resources(struct kmod_ctx *ctx);

/* Release the mapped indexes (they are mapped again when needed). */
void kmod_unload_resources(struct kmod_ctx *ctx);

/* What kmod_validate_resources() reports. */
enum kmod_resources {
	KMOD_RESOURCES_OK = 0,            /* indexes and configuration are current */
	KMOD_RESOURCES_MUST_RELOAD = 1,   /* an index changed: unload and load again */
	KMOD_RESOURCES_MUST_RECREATE = 2, /* the configuration changed: new context */
};

/* Whether the indexes and configuration the context holds are still those on
 * disk: one of enum kmod_resources. */
int kmod_validate_resources(struct kmod_ctx *ctx);

/* The index files kmod_dump_index() can print. */
enum kmod_index {
	KMOD_INDEX_MODULES_DEP = 0,
	KMOD_INDEX_MODULES_ALIAS,
	KMOD_INDEX_MODULES_SYMBOL,
	KMOD_INDEX_MODULES_BUILTIN_ALIAS,
	KMOD_INDEX_MODULES_BUILTIN,
	/* keeps the enumeration as wide as an unsigned int */
	_KMOD_INDEX_PAD = 1U << 31,
};

/* Write the contents of one index, as text, to the file descriptor fd. */
int kmod_dump_index(struct kmod_ctx *ctx, enum kmod_index type, int fd);

/* The least important priority (syslog's LOG_*) still logged. */
void kmod_set_log_priority(struct kmod_ctx *ctx, int priority);
int kmod_get_log_priority(const struct kmod_ctx *ctx);

/* Send the library's messages to log_fn instead of stderr; data is handed back
 * to it as its first argument. */
void kmod_set_log_fn(struct kmod_ctx *ctx,
		     void (*log_fn)(void *log_data, int priority, const char *file,
				    int line, const char *fn, const char *format,
				    va_list args),
		     const void *data);

/* A pointer of the caller's, kept in the context. */
void kmod_set_userdata(struct kmod_ctx *ctx, const void *userdata);
void *kmod_get_userdata(const struct kmod_ctx *ctx);

/* The module directory of the context. */
const char *kmod_get_dirname(const struct kmod_ctx *ctx);

/* ---------------------------------------------------------------------------
 * Lists
 * ------------------------------------------------------------------------- */

/* A node of a list returned by the library; the list is its first node, NULL
 * when empty. What a node holds is read with the getter of the function that
 * returned the list. */
struct kmod_list;

/* The node after curr, NULL after the last one. */
struct kmod_list *kmod_list_next(const struct kmod_list *list,
				 const struct kmod_list *curr);

/* The node before curr, NULL before the first one. */
struct kmod_list *kmod_list_prev(const struct kmod_list *list,
				 const struct kmod_list *curr);

/* The last node of list, NULL if it is empty. */
struct kmod_list *kmod_list_last(const struct kmod_list *list);

/* for each node `entry` of `list`, first to last */
#define kmod_list_foreach(entry, list) \
	for (entry = list; entry != NULL; entry = kmod_list_next(list, entry))

/* for each node `entry` of `list`, last to first */
#define kmod_list_foreach_reverse(entry, list) \
	for (entry = kmod_list_last(list); entry != NULL; \
	     entry = kmod_list_prev(list, entry))

/* ---------------------------------------------------------------------------
 * The configuration, as data
 * ------------------------------------------------------------------------- */

/* An iterator over one kind of configuration entry: call
 * kmod_config_iter_next() before reading the first entry. */
struct kmod_config_iter;

/* `blacklist` entries (keys only). */
struct kmod_config_iter *kmod_config_get_blacklists(const struct kmod_ctx *ctx);
/* `install` commands: module name, command line. */
struct kmod_config_iter *kmod_config_get_install_commands(const struct kmod_ctx *ctx);
/* `remove` commands: module name, command line. */
struct kmod_config_iter *kmod_config_get_remove_commands(const struct kmod_ctx *ctx);
/* `alias` entries: alias pattern, module name. */
struct kmod_config_iter *kmod_config_get_aliases(const struct kmod_ctx *ctx);
/* `options` entries: module name, options. */
struct kmod_config_iter *kmod_config_get_options(const struct kmod_ctx *ctx);
/* `softdep` entries: module name, "pre: ... post: ...". */
struct kmod_config_iter *kmod_config_get_softdeps(const struct kmod_ctx *ctx);
/* `weakdep` entries: module name, the modules (kmod 33). */
struct kmod_config_iter *kmod_config_get_weakdeps(const struct kmod_ctx *ctx);

/* The key and value of the current entry. */
const char *kmod_config_iter_get_key(const struct kmod_config_iter *iter);
const char *kmod_config_iter_get_value(const struct kmod_config_iter *iter);

/* Move to the next entry; false when there is none. */
bool kmod_config_iter_next(struct kmod_config_iter *iter);

/* Free the iterator. */
void kmod_config_iter_free_iter(struct kmod_config_iter *iter);

/* ---------------------------------------------------------------------------
 * Modules
 * ------------------------------------------------------------------------- */

/* A kernel module (a file of the module directory, a builtin module or one
 * only the running kernel knows), reference counted. */
struct kmod_module;

/* The module called name (aliases are not resolved). */
int kmod_module_new_from_name(struct kmod_ctx *ctx, const char *name,
			      struct kmod_module **mod);

/* The module in the file at path. */
int kmod_module_new_from_path(struct kmod_ctx *ctx, const char *path,
			      struct kmod_module **mod);

/* Every module a name or alias resolves to (configuration aliases, then
 * modules.dep, modules.alias, modules.symbols, builtin modules), as a list
 * the caller frees with kmod_module_unref_list(). */
int kmod_module_new_from_lookup(struct kmod_ctx *ctx, const char *given_alias,
				struct kmod_list **list);

/* The module of that name if modules.dep or the builtin lists know it (no
 * aliases). When none does it returns 0 and leaves *mod as it was: set it to
 * NULL first. */
int kmod_module_new_from_name_lookup(struct kmod_ctx *ctx, const char *modname,
				     struct kmod_module **mod);

/* The modules the running kernel has loaded (/proc/modules). */
int kmod_module_new_from_loaded(struct kmod_ctx *ctx, struct kmod_list **list);

/* Take one more reference; returns mod. */
struct kmod_module *kmod_module_ref(struct kmod_module *mod);

/* Drop one reference; NULL once the module object is freed. */
struct kmod_module *kmod_module_unref(struct kmod_module *mod);

/* Drop the references of every module of list and free the list. */
int kmod_module_unref_list(struct kmod_list *list);

/* The module of a node of a module list, with a new reference. */
struct kmod_module *kmod_module_get_module(const struct kmod_list *entry);

/* Flags of kmod_module_insert_module(). */
enum kmod_insert {
	KMOD_INSERT_FORCE_VERMAGIC = 0x1,   /* ignore the version magic */
	KMOD_INSERT_FORCE_MODVERSION = 0x2, /* ignore the symbol versions */
};

/* Load the module alone (no dependencies, no install commands) with the
 * parameters in options. */
int kmod_module_insert_module(struct kmod_module *mod, unsigned int flags,
			      const char *options);

/* Flags of kmod_module_probe_insert_module(). */
enum kmod_probe {
	KMOD_PROBE_FORCE_VERMAGIC = 0x00001,
	KMOD_PROBE_FORCE_MODVERSION = 0x00002,
	KMOD_PROBE_IGNORE_COMMAND = 0x00004, /* do not run install commands */
	KMOD_PROBE_IGNORE_LOADED = 0x00008,  /* act on loaded modules too */
	KMOD_PROBE_DRY_RUN = 0x00010,        /* report, change nothing */
	KMOD_PROBE_FAIL_ON_LOADED = 0x00020, /* -EEXIST if already loaded */

	/* the blacklist flags are also what the function returns when the
	 * blacklist stopped the probe */
	KMOD_PROBE_APPLY_BLACKLIST_ALL = 0x10000,
	KMOD_PROBE_APPLY_BLACKLIST = 0x20000,
	KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY = 0x40000,
};

/* Load the module the way modprobe does: soft and hard dependencies first,
 * install commands and configured options honoured. extra_options are added to
 * the module's own options. run_install, when not NULL, is called instead of
 * running an install command (with data); print_action, when not NULL, is told
 * of each step. */
int kmod_module_probe_insert_module(
	struct kmod_module *mod, unsigned int flags, const char *extra_options,
	int (*run_install)(struct kmod_module *m, const char *cmdline, void *data),
	const void *data,
	void (*print_action)(struct kmod_module *m, bool install, const char *options));

/* Flags of kmod_module_remove_module(). */
enum kmod_remove {
	KMOD_REMOVE_FORCE = O_TRUNC,     /* the kernel's forced removal */
	KMOD_REMOVE_NOWAIT = O_NONBLOCK, /* always passed to the kernel */
	KMOD_REMOVE_NOLOG = 1,           /* the library's own: log nothing */
};

/* Unload the module. */
int kmod_module_remove_module(struct kmod_module *mod, unsigned int flags);

/* The module's name, file (NULL for builtin modules), configured options, and
 * configured install and remove commands (NULL when there are none). */
const char *kmod_module_get_name(const struct kmod_module *mod);
const char *kmod_module_get_path(const struct kmod_module *mod);
const char *kmod_module_get_options(const struct kmod_module *mod);
const char *kmod_module_get_install_commands(const struct kmod_module *mod);
const char *kmod_module_get_remove_commands(const struct kmod_module *mod);

/* The modules of the module's modules.dep line, as a module list. */
struct kmod_list *kmod_module_get_dependencies(const struct kmod_module *mod);

/* The module's soft dependencies from the configuration and the module's
 * modinfo, as module lists: those to load before it and those after it. */
int kmod_module_get_softdeps(const struct kmod_module *mod, struct kmod_list **pre,
			     struct kmod_list **post);

/* The module's weak dependencies, as a module list (kmod 33). */
int kmod_module_get_weakdeps(const struct kmod_module *mod, struct kmod_list **weak);

/* Filters of kmod_module_apply_filter(). */
enum kmod_filter {
	KMOD_FILTER_BLACKLIST = 0x00001, /* drop blacklisted modules */
	KMOD_FILTER_BUILTIN = 0x00002,   /* drop builtin modules */
};

/* A new module list: the modules of input that the filters let through. */
int kmod_module_apply_filter(const struct kmod_ctx *ctx, enum kmod_filter filter_type,
			     const struct kmod_list *input, struct kmod_list **output);

/* kmod_module_apply_filter() with KMOD_FILTER_BLACKLIST. */
int kmod_module_get_filtered_blacklist(const struct kmod_ctx *ctx,
				       const struct kmod_list *input,
				       struct kmod_list **output)
	__attribute__((deprecated));

/* ---------------------------------------------------------------------------
 * The running kernel's view of a module
 * ------------------------------------------------------------------------- */

/* States of a module in the kernel (kmod_module_get_initstate()). */
enum kmod_module_initstate {
	KMOD_MODULE_BUILTIN = 0,
	KMOD_MODULE_LIVE,
	KMOD_MODULE_COMING,
	KMOD_MODULE_GOING,
	/* keeps the enumeration as wide as an unsigned int */
	_KMOD_MODULE_PAD = 1U << 31,
};

/* The state's name ("builtin", "live", "coming", "going"); NULL otherwise. */
const char *kmod_module_initstate_str(enum kmod_module_initstate state);

/* One of enum kmod_module_initstate, -ENOENT when the module is not loaded. */
int kmod_module_get_initstate(const struct kmod_module *mod);

/* How many references the kernel counts on the loaded module. */
int kmod_module_get_refcnt(const struct kmod_module *mod);

/* The loaded modules that use this one, as a module list. */
struct kmod_list *kmod_module_get_holders(const struct kmod_module *mod);

/* The loaded module's sections: a list read with the section getters and
 * freed with kmod_module_section_free_list(). */
struct kmod_list *kmod_module_get_sections(const struct kmod_module *mod);
const char *kmod_module_section_get_name(const struct kmod_list *entry);
unsigned long kmod_module_section_get_address(const struct kmod_list *entry);
void kmod_module_section_free_list(struct kmod_list *list);

/* The memory the loaded module takes, in bytes. */
long kmod_module_get_size(const struct kmod_module *mod);

/* ---------------------------------------------------------------------------
 * What the module file says (ELF)
 * ------------------------------------------------------------------------- */

/* The modinfo fields (and the signature's) as key/value nodes; returns how
 * many. */
int kmod_module_get_info(const struct kmod_module *mod, struct kmod_list **list);
const char *kmod_module_info_get_key(const struct kmod_list *entry);
const char *kmod_module_info_get_value(const struct kmod_list *entry);
void kmod_module_info_free_list(struct kmod_list *list);

/* The symbol versions the module was built against (__versions). */
int kmod_module_get_versions(const struct kmod_module *mod, struct kmod_list **list);
const char *kmod_module_version_get_symbol(const struct kmod_list *entry);
uint64_t kmod_module_version_get_crc(const struct kmod_list *entry);
void kmod_module_versions_free_list(struct kmod_list *list);

/* The symbols the module exports. */
int kmod_module_get_symbols(const struct kmod_module *mod, struct kmod_list **list);
const char *kmod_module_symbol_get_symbol(const struct kmod_list *entry);
uint64_t kmod_module_symbol_get_crc(const struct kmod_list *entry);
void kmod_module_symbols_free_list(struct kmod_list *list);

/* How a symbol the module needs is bound
 * (kmod_module_dependency_symbol_get_bind()). */
enum kmod_symbol_bind {
	KMOD_SYMBOL_NONE = '\0',
	KMOD_SYMBOL_LOCAL = 'L',
	KMOD_SYMBOL_GLOBAL = 'G',
	KMOD_SYMBOL_WEAK = 'W',
	KMOD_SYMBOL_UNDEF = 'U',
};

/* The symbols the module needs from others. */
int kmod_module_get_dependency_symbols(const struct kmod_module *mod,
				       struct kmod_list **list);
const char *kmod_module_dependency_symbol_get_symbol(const struct kmod_list *entry);
int kmod_module_dependency_symbol_get_bind(const struct kmod_list *entry);
uint64_t kmod_module_dependency_symbol_get_crc(const struct kmod_list *entry);
void kmod_module_dependency_symbols_free_list(struct kmod_list *list);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _LIBKMOD_H_ */
