/* sensor.c - process-level wiring: optional modules, privilege drop, reload (see sensor.h). */
#include "config.h"

#include "sensor.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "util.h"

bool sensor_modules_init(struct sensor_modules *m, const struct options *opt, struct emitter *em, char *errbuf,
			 size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->em = em;
	if (opt->nrule_paths) {
		snprintf(errbuf, errlen, "signature rules are not supported by this build");
		return false;
	}
	return true;
}

void sensor_modules_attach(struct sensor_modules *m, struct engine *e)
{
	(void)m;
	(void)e;
}

void sensor_modules_free(struct sensor_modules *m) { memset(m, 0, sizeof(*m)); }

void sensor_reload(struct sensor_modules *m, const struct options *opt, struct engine *e)
{
	(void)m;
	(void)opt;
	(void)e;
}

int sensor_test_rules(const struct options *opt)
{
	(void)opt;
	fprintf(stderr, "kagami: signature rules are not supported by this build\n");
	return KG_EXIT_USAGE;
}

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

void sensor_note_clamped_timestamp(struct engine *e) { engine_count_decode_error(e, DE_TIMESTAMP_RANGE); }
