/* privs.c - dropping root after the capture is open (see sensor.h). */
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

#include "sensor.h"

bool sensor_drop_privileges(const struct options *opt, char *errbuf, size_t errlen)
{
	if (!opt->user)
		return true;
	errno = 0;
	struct passwd *pw = getpwnam(opt->user);
	if (!pw) {
		snprintf(errbuf, errlen, "user '%s' does not exist%s%s", opt->user, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return false;
	}
	if (geteuid() != 0) {
		if (getuid() == pw->pw_uid)
			return true;
		snprintf(errbuf, errlen, "cannot switch to user '%s': not running as root", opt->user);
		return false;
	}
#ifdef HAVE_SYS_PRCTL_H
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
#endif
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(errbuf, errlen, "cannot switch to user '%s': %s", opt->user, strerror(errno));
		return false;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(errbuf, errlen, "privileges could be regained after switching to '%s'", opt->user);
		return false;
	}
	return true;
}

