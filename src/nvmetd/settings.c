/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd.conf, read with libconfig:
 *     nvmf_conf = "/etc/nvmet/nvmf.conf";
 *     state_file = "/run/nvmetd/state.json";
 *     log_level = "notice";        # error, warning, notice, info, debug
 *     irq_affinity = true;
 *     on_stop = "clear";           # "clear": remove the target on stop; "keep": leave it serving
 *     mdns = false;                # advertise listening ports over mDNS/DNS-SD (TP8009) through Avahi
 *     jobs = 16;                   # configfs operations in flight at most (1: one at a time)
 *     rpc_socket = "/var/tmp/spdk.sock";  # serve SPDK's JSON-RPC there (root only); "" or absent: off
 *     rpc_conf = "/var/lib/nvmetd/rpc.conf";  # what RPC calls made, loaded with nvmf_conf
 * A missing file means all defaults. nvmetd links libconfig (SETTINGS_LINKED: its direct calls keep
 * libconfig among nvmetd's NEEDED libraries under --as-needed, so the package depends on it);
 * nvmetcfg, which reads this on every run and mostly finds no file, opens it only when there is one
 * (dl.h). */
#include <errno.h>
#include <libconfig.h>
#include <sys/stat.h>

#include "ctx.h"
#include "dl.h"
#include "settings.h"
#include "exec.h"
#include "log.h"
#include "util.h"

#define LIBCONFIG_FNS(X) \
	X(config_init) X(config_destroy) X(config_read_file) X(config_lookup_string) X(config_lookup_bool) \
	X(config_lookup_int)
#define CFG_FIELD(fn) __typeof__(fn) *fn;
static struct cfg_fn {
	LIBCONFIG_FNS(CFG_FIELD)
} cfg_fn;

#ifdef SETTINGS_LINKED
static int libconfig_open(void)
{
#define CFG_LINKED(fn) cfg_fn.fn = fn;
	LIBCONFIG_FNS(CFG_LINKED)
	return 0;
}
#else
static void *libconfig_handle;

static int libconfig_open(void)
{
#define CFG_SYM(fn) DL_SYM(struct cfg_fn, fn, fn),
	static const struct dl_sym syms[] = { LIBCONFIG_FNS(CFG_SYM) };

	return dl_load(&libconfig_handle, LIBCONFIG_SONAME, "libconfig", &cfg_fn, syms, ARRAY_SIZE(syms));
}
#endif

static void config_destroyp(config_t **c) { if (*c) cfg_fn.config_destroy(*c); }

static int settings_read(const char *path, struct settings *s)
{
	config_t cfg;
	_cleanup_(config_destroyp) config_t *cp = NULL;
	const char *str;
	int b;
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->nvmf_conf = xstrdup(NVMET_DEFAULT_CONFIG);
	s->state_file = xstrdup("/run/nvmetd/state.json");
	s->rpc_conf = xstrdup(NVMETD_RPC_CONF);
	s->log_level = LOG_NOTICE;
	s->irq_affinity = true;
	s->clear_on_stop = true;
	if (!path || (stat(path, &st) < 0 && errno == ENOENT))
		return 0;
	if (libconfig_open() < 0) {
		log_error("%s: cannot read: %s is missing — is libconfig installed?", path, LIBCONFIG_SONAME);
		return -ENOPKG;
	}
	cfg_fn.config_init(&cfg);
	cp = &cfg;
	if (!cfg_fn.config_read_file(&cfg, path)) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			log_error("%s: cannot read: %s", path, strerror(errno));
		else
			log_error("%s:%d: %s", config_error_file(&cfg) ? config_error_file(&cfg) : path,
				  config_error_line(&cfg), config_error_text(&cfg));
		return -EINVAL;
	}
	if (cfg_fn.config_lookup_string(&cfg, "nvmf_conf", &str)) {
		free(s->nvmf_conf);
		s->nvmf_conf = xstrdup(str);
	}
	if (cfg_fn.config_lookup_string(&cfg, "state_file", &str)) {
		free(s->state_file);
		s->state_file = xstrdup(str);
	}
	if (cfg_fn.config_lookup_string(&cfg, "log_level", &str)) {
		int l = log_parse_level(str);
		if (l < 0) {
			log_error("%s: log_level \"%s\" is not one of error, warning, notice, info, debug", path, str);
			return -EINVAL;
		}
		s->log_level = l;
	}
	if (cfg_fn.config_lookup_bool(&cfg, "irq_affinity", &b))
		s->irq_affinity = b;
	if (cfg_fn.config_lookup_bool(&cfg, "mdns", &b))
		s->mdns = b;
	{
		int j;
		if (cfg_fn.config_lookup_int(&cfg, "jobs", &j)) {
			if (j < 1 || j > EXEC_JOBS_MAX) {
				log_error("%s: jobs = %d is not between 1 and %d", path, j, EXEC_JOBS_MAX);
				return -EINVAL;
			}
			s->jobs = j;
		}
	}
	if (cfg_fn.config_lookup_string(&cfg, "rpc_socket", &str) && *str) {
		if (str[0] != '/') {
			log_error("%s: rpc_socket \"%s\" is not an absolute path", path, str);
			return -EINVAL;
		}
		s->rpc_socket = xstrdup(str);
	}
	if (cfg_fn.config_lookup_string(&cfg, "rpc_conf", &str)) {
		if (str[0] != '/') {
			log_error("%s: rpc_conf \"%s\" is not an absolute path", path, str);
			return -EINVAL;
		}
		free(s->rpc_conf);
		s->rpc_conf = xstrdup(str);
	}
	if (cfg_fn.config_lookup_string(&cfg, "on_stop", &str)) {
		if (streq(str, "clear"))
			s->clear_on_stop = true;
		else if (streq(str, "keep"))
			s->clear_on_stop = false;
		else {
			log_error("%s: on_stop \"%s\" is not \"clear\" or \"keep\"", path, str);
			return -EINVAL;
		}
	}
	return 0;
}

int settings_load(const char *path, struct settings *s)
{
	int r = settings_read(path, s);

	if (r < 0)
		settings_free(s); /* a refused file leaves nothing allocated */
	return r;
}

void settings_free(struct settings *s)
{
	free(s->nvmf_conf);
	free(s->state_file);
	free(s->rpc_socket);
	free(s->rpc_conf);
	s->nvmf_conf = s->state_file = s->rpc_socket = s->rpc_conf = NULL;
}
