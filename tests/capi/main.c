/*
 * main.c: command line of rkmod's libkmod API exerciser.
 *
 *   kmod-exerciser [--config PATH]... [--no-config] [--dirname MODULE_DIR]
 *                  [--fake-kernel DIR] [--sample N] [--every K] [--name NAME]...
 *                  [--ko FILE]... [--log-priority N] [--no-weakdeps]
 *                  [--no-real-probe] MODE...
 *
 * MODE: names config dump resources loaded kernel paths bad abi abi-extra
 * (see README.md; each mode_*.c says what it calls). The seccomp guard of
 * fake.c is installed before anything else, so no mode can load or unload a
 * module in the host kernel. Exit status 0 when every mode ran, 1 on a usage
 * error, 2 when the environment could not be set up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "exerciser.h"

struct options opt = {
	.log_priority = LOG_INFO,
	.every = 1,
	.weakdeps = true,
	.real_probe = true,
};

static const struct {
	const char *name;
	int (*run)(void);
	bool needs_dirname;
} modes[] = {
	{ "names", mode_names, true },
	{ "config", mode_config, true },
	{ "dump", mode_dump, true },
	{ "resources", mode_resources, true },
	{ "loaded", mode_loaded, true },
	{ "kernel", mode_kernel, true },
	{ "paths", mode_paths, true },
	{ "bad", mode_bad, false },
	{ "abi", mode_abi, false },
	{ "abi-extra", mode_abi_extra, false },
};

static void usage(FILE *f)
{
	fputs("usage: kmod-exerciser [--config PATH]... [--no-config] [--dirname MODULE_DIR]\n"
	      "         [--fake-kernel DIR] [--sample N] [--every K] [--name NAME]...\n"
	      "         [--ko FILE]... [--log-priority N] [--no-weakdeps] [--no-real-probe]\n"
	      "         MODE...\n"
	      "modes: names config dump resources loaded kernel paths bad abi abi-extra\n",
	      f);
}

static void add(const char ***v, int *n, const char *s)
{
	*v = realloc(*v, (*n + 2) * sizeof(char *));
	if (*v == NULL)
		abort();
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static long number(const char *flag, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0) {
		fprintf(stderr, "kmod-exerciser: %s: not a number: %s\n", flag, s);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	int (*run[32])(void);
	const char *run_names[32];
	int n_run = 0, err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--no-config") == 0) {
			opt.no_config = true;
		} else if (strcmp(a, "--no-weakdeps") == 0) {
			opt.weakdeps = false;
		} else if (strcmp(a, "--no-real-probe") == 0) {
			opt.real_probe = false;
		} else if (strncmp(a, "--", 2) == 0) {
			const char *v = argv[i + 1];

			if (!has_value) {
				fprintf(stderr, "kmod-exerciser: %s needs a value\n", a);
				return 1;
			}
			i++;
			if (strcmp(a, "--dirname") == 0)
				opt.dirname = v;
			else if (strcmp(a, "--config") == 0)
				add(&opt.config, &opt.n_config, v);
			else if (strcmp(a, "--name") == 0)
				add(&opt.names, &opt.n_names, v);
			else if (strcmp(a, "--ko") == 0)
				add(&opt.ko, &opt.n_ko, v);
			else if (strcmp(a, "--fake-kernel") == 0)
				opt.fake_kernel = v;
			else if (strcmp(a, "--sample") == 0)
				opt.sample = number(a, v);
			else if (strcmp(a, "--every") == 0)
				opt.every = number(a, v) ?: 1;
			else if (strcmp(a, "--log-priority") == 0)
				opt.log_priority = (int)number(a, v);
			else {
				fprintf(stderr, "kmod-exerciser: unknown option %s\n", a);
				usage(stderr);
				return 1;
			}
		} else {
			size_t m;

			for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
				if (strcmp(a, modes[m].name) == 0)
					break;
			if (m == sizeof(modes) / sizeof(modes[0])) {
				fprintf(stderr, "kmod-exerciser: unknown mode %s\n", a);
				usage(stderr);
				return 1;
			}
			if (n_run == 32) {
				fprintf(stderr, "kmod-exerciser: too many modes\n");
				return 1;
			}
			run_names[n_run] = modes[m].name;
			run[n_run++] = modes[m].run;
		}
	}
	if (n_run == 0) {
		usage(stderr);
		return 1;
	}
	for (int r = 0; r < n_run; r++) {
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
			if (modes[m].run == run[r] && modes[m].needs_dirname && !opt.dirname) {
				fprintf(stderr, "kmod-exerciser: mode %s needs --dirname\n", run_names[r]);
				return 1;
			}
	}

	/* Before any libkmod call: nothing may reach the kernel's module calls. */
	err = fake_syscalls_install();
	if (err < 0) {
		fprintf(stderr, "kmod-exerciser: cannot install the seccomp guard: %s\n", strerror(-err));
		return 2;
	}
	if (opt.fake_kernel && fake_kernel_enter(opt.fake_kernel) < 0)
		return 2;
	/* The library reads KMOD_LOG in kmod_new; resources mode sets it itself. */
	unsetenv("KMOD_LOG");
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	resolve_optional_symbols();
	if (opt.dirname) {
		/* as libkmod makes it absolute: against the cwd, no symlinks resolved */
		char cwd[PATH_MAX], abs[2 * PATH_MAX] = "";

		if (opt.dirname[0] == '/')
			snprintf(abs, sizeof(abs), "%s", opt.dirname);
		else if (getcwd(cwd, sizeof(cwd)))
			snprintf(abs, sizeof(abs), "%s/%s", cwd, opt.dirname);
		while (strlen(abs) > 1 && abs[strlen(abs) - 1] == '/')
			abs[strlen(abs) - 1] = '\0';
		scrub_add(abs, "$DIR");
	}
	for (int i = 0; i < opt.n_config && i < 4; i++) {
		char token[16];

		snprintf(token, sizeof(token), "$CONFIG%d", i + 1);
		scrub_add(opt.config[i], token);
	}

	for (int r = 0; r < n_run; r++) {
		if (run[r]() != 0) {
			fflush(stdout);
			fprintf(stderr, "kmod-exerciser: mode %s failed\n", run_names[r]);
			return 2;
		}
		fflush(stdout);
	}
	return 0;
}
