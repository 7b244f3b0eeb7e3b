/*
 * fake.c: the exerciser's fake kernel.
 *
 * 1. A seccomp filter, installed before any libkmod call: init_module,
 *    finit_module and delete_module never reach the host kernel. They trap
 *    (SIGSYS); the handler prints what the library passed (the module file of
 *    finit_module's fd, the length and FNV-1a hash of init_module's image, the
 *    parameters, the flags) and makes the call return what `fake` says. So the
 *    exerciser can run non-dry-run probes, insert_module and remove_module on any
 *    tree and compare what two libraries would have asked of the kernel; and a
 *    library under test cannot load anything by mistake.
 * 2. --fake-kernel DIR: a private mount namespace (needs root) in which
 *    /proc/modules and /proc/cmdline are DIR/proc/modules and DIR/proc/cmdline
 *    and /sys/module is DIR/sys/module: the paths libkmod reads directly (loaded
 *    modules, their sysfs attributes, modprobe.blacklist= and MOD.PARAM= on the
 *    kernel command line). DIR is made by make-fake-kernel.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "exerciser.h"

struct fake_syscalls fake;

#if defined(__x86_64__)
#define ARCH_NR AUDIT_ARCH_X86_64
#define REG_NR(uc) ((uc)->uc_mcontext.gregs[REG_RAX])
#define REG_ARG(uc, i) ((uc)->uc_mcontext.gregs[(int[]){ REG_RDI, REG_RSI, REG_RDX, REG_R10 }[i]])
#define REG_RET(uc) ((uc)->uc_mcontext.gregs[REG_RAX])
#elif defined(__aarch64__)
#define ARCH_NR AUDIT_ARCH_AARCH64
#define REG_NR(uc) ((uc)->uc_mcontext.regs[8])
#define REG_ARG(uc, i) ((uc)->uc_mcontext.regs[i])
#define REG_RET(uc) ((uc)->uc_mcontext.regs[0])
#else
#error "the exerciser's fake kernel supports x86_64 and aarch64"
#endif

static void print_flags(unsigned long flags, bool delete)
{
	if (delete) {
		bool first = true;

		if (flags & O_NONBLOCK) {
			out("O_NONBLOCK");
			first = false;
			flags &= ~(unsigned long)O_NONBLOCK;
		}
		if (flags & O_TRUNC) {
			out("%sO_TRUNC", first ? "" : "|");
			first = false;
			flags &= ~(unsigned long)O_TRUNC;
		}
		if (flags || first)
			out("%s0x%lx", first ? "" : "|", flags);
		return;
	}
	out("0x%lx", flags);
}

static void on_sigsys(int sig, siginfo_t *info, void *context)
{
	ucontext_t *uc = context;
	int nr = info->si_syscall, err = ENOSYS;
	int saved_errno = errno;

	(void)sig;
	indent(call_depth);
	if (nr == __NR_finit_module) {
		char link[64], path[PATH_MAX];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", (int)REG_ARG(uc, 0));
		n = readlink(link, path, sizeof(path) - 1);
		path[n < 0 ? 0 : n] = '\0';
		out("syscall finit_module file=");
		pstr(n < 0 ? NULL : path);
		out(" params=");
		pstr((const char *)REG_ARG(uc, 1));
		out(" flags=");
		print_flags(REG_ARG(uc, 2), false);
		err = fake.finit_errno;
	} else if (nr == __NR_init_module) {
		const void *mem = (const void *)REG_ARG(uc, 0);
		unsigned long len = REG_ARG(uc, 1);

		out("syscall init_module len=%lu fnv1a=0x%016llx params=", len,
		    (unsigned long long)fnv1a(mem, len));
		pstr((const char *)REG_ARG(uc, 2));
		err = fake.init_errno;
	} else if (nr == __NR_delete_module) {
		out("syscall delete_module name=");
		pstr((const char *)REG_ARG(uc, 0));
		out(" flags=");
		print_flags(REG_ARG(uc, 1), true);
		err = fake.delete_errno;
	} else {
		out("syscall %d (unexpected)", nr);
	}
	out(" -> %s\n", rc(-err));
	REG_RET(uc) = err ? -err : 0;
	errno = saved_errno;
}

int fake_syscalls_install(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_NR, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
		/* x32 system calls (bit 30) could reach the same entry points. */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_init_module, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_finit_module, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_delete_module, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

static int bind_over(const char *dir, const char *rel, const char *target)
{
	char src[PATH_MAX];

	snprintf(src, sizeof(src), "%s/%s", dir, rel);
	if (mount(src, target, "none", MS_BIND | MS_REC, NULL) < 0) {
		fprintf(stderr, "kmod-exerciser: --fake-kernel: bind %s over %s: %m\n", src, target);
		return -1;
	}
	return 0;
}

static int copy_into_proc(const char *dir, const char *name)
{
	char src[PATH_MAX], dst[PATH_MAX], buf[65536];
	int in, o;
	ssize_t n;

	snprintf(src, sizeof(src), "%s/proc/%s", dir, name);
	snprintf(dst, sizeof(dst), "/proc/%s", name);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		fprintf(stderr, "kmod-exerciser: --fake-kernel: %s: %m\n", src);
		return -1;
	}
	o = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (o < 0) {
		fprintf(stderr, "kmod-exerciser: --fake-kernel: %s: %m\n", dst);
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(o, buf, n) != n)
			n = -1;
	close(in);
	close(o);
	return n < 0 ? -1 : 0;
}

/*
 * The host may have no /proc/modules at all (a kernel without module support),
 * so no file can be bound over it. Instead /proc becomes a tmpfs holding our
 * `modules` and `cmdline`, the real /proc is moved to /proc/.host, and every other
 * top-level name of the real /proc (self, thread-self, sys, mounts, ...) is a
 * symlink into it, so the process still sees its own /proc/self.
 */
int fake_kernel_enter(const char *dir)
{
	char stage[] = "/tmp/kmod-exerciser-proc-XXXXXX";
	struct strv names = { 0 };
	DIR *d;
	struct dirent *e;

	d = opendir("/proc");
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || (e->d_name[0] >= '0' && e->d_name[0] <= '9') ||
		    strcmp(e->d_name, "modules") == 0 || strcmp(e->d_name, "cmdline") == 0)
			continue;
		strv_add(&names, e->d_name);
	}
	if (d)
		closedir(d);
	if (unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr, "kmod-exerciser: --fake-kernel needs root (unshare -m): %m\n");
		return -1;
	}
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "kmod-exerciser: --fake-kernel: make / private: %m\n");
		return -1;
	}
	if (mkdtemp(stage) == NULL || mount("/proc", stage, "none", MS_BIND | MS_REC, NULL) < 0) {
		fprintf(stderr, "kmod-exerciser: --fake-kernel: bind /proc: %m\n");
		return -1;
	}
	if (mount("capi-proc", "/proc", "tmpfs", 0, "mode=0755") < 0 ||
	    mkdir("/proc/.host", 0555) < 0 ||
	    mount(stage, "/proc/.host", "none", MS_MOVE, NULL) < 0) {
		fprintf(stderr, "kmod-exerciser: --fake-kernel: a tmpfs /proc: %m\n");
		return -1;
	}
	rmdir(stage);
	for (size_t i = 0; i < names.n; i++) {
		char target[PATH_MAX], link[PATH_MAX];

		snprintf(target, sizeof(target), ".host/%s", names.v[i]);
		snprintf(link, sizeof(link), "/proc/%s", names.v[i]);
		if (symlink(target, link) < 0) {
			fprintf(stderr, "kmod-exerciser: --fake-kernel: %s: %m\n", link);
			return -1;
		}
	}
	strv_free(&names);
	if (copy_into_proc(dir, "modules") < 0 || copy_into_proc(dir, "cmdline") < 0)
		return -1;
	if (bind_over(dir, "sys/module", "/sys/module") < 0)
		return -1;
	return 0;
}
