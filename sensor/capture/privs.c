/* privs.c - giving up privileges once the capture is open (see privs.h): switch to an
 * unprivileged user and keep no Linux capability (capabilities(7), prctl(2) PR_CAPBSET_DROP,
 * PR_CAP_AMBIENT, PR_SET_NO_NEW_PRIVS). */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif
#ifdef HAVE_LINUX_CAPABILITY_H
#include <linux/capability.h>
#include <sys/syscall.h>
#endif

#include "privs.h"

#ifdef HAVE_LINUX_CAPABILITY_H
/* The process's effective, permitted and inheritable sets (capget(2) without libcap). */
static bool caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	memset(data, 0, 2 * sizeof(data[0]));
	return syscall(SYS_capget, &hdr, data) == 0;
}

static bool caps_clear(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	return syscall(SYS_capset, &hdr, data) == 0;
}

static bool caps_any(void)
{
	struct __user_cap_data_struct d[2];
	if (!caps_get(d))
		return true; /* cannot tell: assume the worst */
	for (int i = 0; i < 2; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return true;
	return false;
}
#endif

/* Highest capability number the kernel knows (cap_last_cap), or a safe default. */
static int last_cap(void)
{
	int n = 40;
	FILE *fp = fopen("/proc/sys/kernel/cap_last_cap", "r");
	if (fp) {
		if (fscanf(fp, "%d", &n) != 1 || n < 0 || n > 63)
			n = 63;
		fclose(fp);
	}
	return n;
}

/* Empty the bounding and ambient sets; needs CAP_SETPCAP for the bounding set.
 * Returns false (errno set) when the bounding set could not be emptied. */
static bool drop_bounding_and_ambient(void)
{
#ifdef HAVE_SYS_PRCTL_H
#ifdef PR_CAP_AMBIENT
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); /* EINVAL on kernels < 4.3: none to clear */
#endif
	int n = last_cap();
	for (int c = 0; c <= n; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
			return false;
	}
#endif
	return true;
}

/* No execve() may ever grant privileges again (set-user-ID binaries, file capabilities). */
static bool no_new_privs(void)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_NO_NEW_PRIVS)
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
#else
	return true;
#endif
}

/* Staying the same user: empty the bounding and ambient sets (best effort: needs CAP_SETPCAP),
 * then the effective, permitted and inheritable ones, and set no_new_privs. */
static bool keep_user_shed_caps(char *errbuf, size_t errlen)
{
#ifdef HAVE_LINUX_CAPABILITY_H
	drop_bounding_and_ambient();
	if (!caps_clear() || caps_any()) {
		snprintf(errbuf, errlen, "cannot give up capabilities: %s", strerror(errno));
		return false;
	}
#endif
	if (!no_new_privs()) {
		snprintf(errbuf, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return false;
	}
	return true;
}

/* Contract: called once the capture handles, and nothing else, are open.
 * - With -u USER as root: empties the bounding and ambient capability sets,
 *   switches group list, real/effective/saved gid and uid to USER, checks that
 *   no capability is left and that root cannot be regained, and sets
 *   no_new_privs. Any failure is an error: kagami does not run half-dropped.
 * - With -u USER when already running as USER: only the capabilities go.
 * - Without -u, a non-root process started with capabilities (file capabilities,
 *   systemd AmbientCapabilities=) gives them all up; root without -u stays root.
 */
bool privs_drop(const char *user, char *errbuf, size_t errlen)
{
	if (!user) {
		if (geteuid() == 0)
			return true;
#ifdef HAVE_LINUX_CAPABILITY_H
		if (!caps_any())
			return true;
#endif
		return keep_user_shed_caps(errbuf, errlen);
	}
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		snprintf(errbuf, errlen, "user '%s' does not exist%s%s", user, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return false;
	}
	if (pw->pw_uid == 0) {
		snprintf(errbuf, errlen, "-u %s: refusing to run as a user with uid 0", user);
		return false;
	}
	if (geteuid() != 0) {
		if (getuid() != pw->pw_uid) {
			snprintf(errbuf, errlen, "cannot switch to user '%s': not running as root", user);
			return false;
		}
		return keep_user_shed_caps(errbuf, errlen);
	}
	if (!drop_bounding_and_ambient()) {
		snprintf(errbuf, errlen, "cannot empty the capability bounding set: %s", strerror(errno));
		return false;
	}
#ifdef HAVE_SYS_PRCTL_H
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
#endif
	char *name = pw->pw_name;
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	if (initgroups(name, gid) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
		snprintf(errbuf, errlen, "cannot switch to user '%s': %s", user, strerror(errno));
		return false;
	}
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
		snprintf(errbuf, errlen, "privileges could be regained after switching to '%s'", user);
		return false;
	}
#ifdef HAVE_LINUX_CAPABILITY_H
	/* the uid change cleared permitted and effective; make sure */
	if (caps_any() && (!caps_clear() || caps_any())) {
		snprintf(errbuf, errlen, "capabilities are left after switching to '%s'", user);
		return false;
	}
#endif
	if (!no_new_privs()) {
		snprintf(errbuf, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return false;
	}
	return true;
}
