/*
 * exerciser.h: shared declarations of rkmod's libkmod API exerciser.
 *
 * The exerciser is a C program built against Debian's <libkmod.h> (kmod 30) and
 * linked with -lkmod. It calls every exported libkmod function and prints, one fact
 * a line, everything the library answers: return codes (negative errno as names),
 * strings (quoted, C-escaped), lists, and every message the library logs. The same
 * binary runs once with Debian's libkmod.so.2 and once with another implementation
 * (LD_LIBRARY_PATH), and the two outputs must be byte-identical.
 *
 * Output never depends on pointer values, time, or directory/hash order: where a
 * list's order comes from readdir (holders, sections) the exerciser sorts it and
 * says so in the output.
 *
 * Our own code for the rkmod project (no kmod code or tests copied).
 */
#ifndef RKMOD_EXERCISER_H
#define RKMOD_EXERCISER_H

#include <libkmod.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---- options (main.c) ---------------------------------------------------- */

struct options {
	const char *dirname;      /* --dirname: the module directory */
	const char **config;      /* --config (repeatable), NULL-terminated */
	int n_config;
	bool no_config;           /* --no-config: an empty config vector */
	int log_priority;         /* --log-priority (default LOG_INFO) */
	long sample;              /* --sample N: N evenly spaced items per kind (0: all) */
	long every;               /* --every K: every K-th item per kind (1: all) */
	const char **names;       /* --name (repeatable): lookups instead of the tree's */
	int n_names;
	const char **ko;          /* --ko (repeatable): files for `paths` */
	int n_ko;
	bool weakdeps;            /* call the kmod 33+ weakdep functions when exported */
	bool real_probe;          /* `names`: also a non-dry-run probe (fake syscalls) */
	const char *fake_kernel;  /* --fake-kernel DIR: private /proc and /sys/module */
};

extern struct options opt;

/* ---- output (util.c) ----------------------------------------------------- */

/* "-ENOENT" for -ENOENT, "0", "3", "-9999" for unknown codes. Static buffer. */
const char *rc(long err);
/* Prints s quoted with C escapes, or NULL. Registered texts (whole path
 * prefixes) print as their token: the module directory as $DIR, a temporary
 * directory as $TMP; so output does not depend on where the tree lives. Strings
 * over 1024 bytes print as a prefix, their length and FNV-1a hash. */
void pstr(const char *s);
void scrub_add(const char *text, const char *token);
void scrub_clear_last(void);
/* printf to stdout. */
void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Indentation helper: prints 2*depth spaces. */
void indent(int depth);
/* The indentation of lines printed from callbacks and the fake system calls. */
extern int call_depth;

/* A growing array of strings. */
struct strv {
	char **v;
	size_t n, cap;
};
void strv_add(struct strv *s, const char *str);
void strv_sort(struct strv *s);
void strv_uniq(struct strv *s);
void strv_free(struct strv *s);
/* The items this run covers, by --every and --sample (deterministic). */
void strv_select(struct strv *s);

/* Prints a kmod_module list as [name name ...] (kmod's order). */
void p_modlist(struct kmod_list *list);
/* Same, each with its path, one a line. */
void p_modlist_paths(int depth, struct kmod_list *list);

/* Lines of kmod_dump_index(ctx, type), or the return code when < 0. */
int dump_lines(struct kmod_ctx *ctx, enum kmod_index type, struct strv *lines);

/* A concrete string matched by an fnmatch(3) pattern, or NULL when we cannot make
 * one: '*' -> "", '?' -> "x", '[...]' -> the first allowed character. Caller frees. */
char *instantiate_pattern(const char *pattern);

/* FNV-1a 64 of a buffer (to print module images the fake kernel receives). */
uint64_t fnv1a(const void *p, size_t len);

/* ---- contexts and logging (ctx.c) ---------------------------------------- */

/* The log function: prints "log PRIO "message"" (message C-escaped; "%p" values
 * replaced by PTR). file/line/function are not printed: they differ by build. */
void log_to_stdout(void *data, int priority, const char *file, int line,
		   const char *fn, const char *format, va_list args);

/* kmod_new(dirname, configured paths) with stderr captured during the call: what
 * the default logger prints there (before a log function can be set) is printed as
 * "stderr PRIO "message"", normalised the same way. Then sets our log function and
 * the log priority. Prints "kmod_new: ok" or "kmod_new: NULL". */
struct kmod_ctx *new_ctx(const char *dirname);
/* As new_ctx, without printing: what kmod_new logs is dropped (for contexts
 * made again and again on the same config). */
struct kmod_ctx *new_ctx_quiet(const char *dirname);
/* As new_ctx with an explicit config vector (NULL: library default). */
struct kmod_ctx *new_ctx_with(const char *dirname, const char *const *config);
/* Both; without print, nothing is printed and what kmod_new logs is dropped (a
 * context on the host's /lib/modules/$(uname -r) or the cwd reads files there). */
struct kmod_ctx *new_ctx_ex(const char *dirname, const char *const *config, bool print);
/* fd 2 captured from begin to end; end prints what was written as "stderr ..."
 * lines (when print) and restores fd 2. */
void capture_stderr_begin(void);
void capture_stderr_end(bool print);

/* ---- optional symbols (ctx.c) -------------------------------------------- */

/* kmod_module_new_from_name_lookup: Debian 12 exports it at LIBKMOD_5, upstream at
 * LIBKMOD_30; resolved by name at run time so one binary runs on both. */
extern int (*x_new_from_name_lookup)(struct kmod_ctx *, const char *, struct kmod_module **);
/* kmod 33+: NULL when the library lacks them or --no-weakdeps. */
extern int (*x_module_get_weakdeps)(const struct kmod_module *, struct kmod_list **);
extern struct kmod_config_iter *(*x_config_get_weakdeps)(const struct kmod_ctx *);
void resolve_optional_symbols(void);

/* ---- fake kernel (fake.c) ------------------------------------------------ */

/* What the fake module system calls return (0 or a positive errno). */
struct fake_syscalls {
	int finit_errno;
	int init_errno;
	int delete_errno;
};
extern struct fake_syscalls fake;
/* A seccomp filter so init_module, finit_module and delete_module never reach the
 * kernel: they trap, print what they were given, and return fake.*_errno. Installed
 * before any libkmod call; the exerciser refuses to run without it. */
int fake_syscalls_install(void);
/* --fake-kernel DIR: a private mount namespace where DIR/proc/modules,
 * DIR/proc/cmdline and DIR/sys/module replace the real ones. */
int fake_kernel_enter(const char *dir);

/* ---- per-module reports (module.c) --------------------------------------- */

/* Everything about one module object; depth is the indentation. */
void report_module(int depth, struct kmod_module *mod, bool deep);
/* The probe variants: dry runs under each flag; with all_variants and real_probe
 * also two through the fake kernel (run_install prints instead of running). */
void report_probes(int depth, struct kmod_module *mod, bool all_variants);
/* One probe, its actions and result. */
void probe_one(int depth, struct kmod_module *mod, unsigned int flags,
	       const char *extra, int install_ret);
/* Lists from the ELF / modinfo queries. */
void p_info(int depth, struct kmod_module *mod);
void p_versions(int depth, struct kmod_module *mod);
void p_symbols(int depth, struct kmod_module *mod);
void p_dependency_symbols(int depth, struct kmod_module *mod);
/* Flag names "DRY_RUN|IGNORE_LOADED". Static buffer. */
const char *probe_flags_str(unsigned int flags);

/* ---- modes ---------------------------------------------------------------- */

int mode_names(void);     /* mode_names.c */
int mode_config(void);    /* mode_config.c */
int mode_dump(void);      /* mode_config.c */
int mode_resources(void); /* mode_resources.c */
int mode_loaded(void);    /* mode_kernel.c */
int mode_kernel(void);    /* mode_kernel.c */
int mode_paths(void);     /* mode_kernel.c */
int mode_bad(void);       /* mode_bad.c */
int mode_abi(void);       /* mode_abi.c */
int mode_abi_extra(void); /* mode_abi.c */

#endif
