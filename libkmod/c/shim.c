/*
 * shim.c: the two things of libkmod's ABI that Rust cannot express.
 *
 * 1. The log function takes a va_list (kmod_set_log_fn): Rust cannot build one, so
 *    rkmod_libkmod_log calls the program's function through a variadic helper, with
 *    the format "%s" and the finished message as its one argument.
 * 2. kmod_module_new_from_name_lookup exists at two version nodes: LIBKMOD_30 (the
 *    default, where kmod 31+ defines it) and LIBKMOD_5 (where Debian 12's kmod 30
 *    put it), so programs linked against either library resolve it.
 *
 * Written for rkmod; no kmod code.
 */
#include <stdarg.h>

typedef void (*rkmod_log_fn)(void *data, int priority, const char *file, int line,
			     const char *fn, const char *format, va_list args);

static void call_log(rkmod_log_fn f, void *data, int priority, const char *file,
		     int line, const char *fn, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	f(data, priority, file, line, fn, format, args);
	va_end(args);
}

void rkmod_libkmod_log(void *f, void *data, int priority, const char *file, int line,
		       const char *fn, const char *message)
{
	call_log((rkmod_log_fn)f, data, priority, file, line, fn, "%s", message);
}

struct kmod_ctx;
struct kmod_module;

int rkmod_libkmod_new_from_name_lookup(struct kmod_ctx *ctx, const char *modname,
				       struct kmod_module **mod);

int rkmod_name_lookup_v5(struct kmod_ctx *ctx, const char *modname, struct kmod_module **mod)
{
	return rkmod_libkmod_new_from_name_lookup(ctx, modname, mod);
}

int rkmod_name_lookup_v30(struct kmod_ctx *ctx, const char *modname, struct kmod_module **mod)
{
	return rkmod_libkmod_new_from_name_lookup(ctx, modname, mod);
}

__asm__(".symver rkmod_name_lookup_v5,kmod_module_new_from_name_lookup@LIBKMOD_5");
__asm__(".symver rkmod_name_lookup_v30,kmod_module_new_from_name_lookup@@LIBKMOD_30");
