/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetcfg: the administrator's CLI for the kernel NVMe-oF target, driven by an SPDK-style nvmf.conf. */
#include <errno.h>
#include "jsonc.h"
#include <libgen.h>
#include <signal.h>
#include <getopt.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <stdint.h>

#include "confmerge.h"
#include "spdkconf.h"
#include "drain.h"
#include "role.h"
#include "engine.h"
#include "exit.h"
#include "log.h"
#include "nvmet.h"
#include "import.h"
#include "print.h"
#include "rpcconf.h"
#include "settings.h"
#include "util.h"

struct opts {
	bool verbose, json, strict, keep_going, with_secrets;
	unsigned jobs;		/* --jobs: configfs operations in flight at most */
	const char *keys_dir;	/* import: where inline DH-HMAC-CHAP keys are written */
	const char *file;
	const char *from;	/* import: nvmetcli | spdk */
	const char *standby;	/* role: --standby */
	const char *cntlid;	/* role: --cntlid */
	const char *rpc_conf;	/* --rpc-conf: nvmetd's rpc.conf, or "none" */
};

struct cmd {
	const char *name;
	int (*fn)(struct nv_ctx *c, struct opts *o);
	const char *args;
	const char *help;
};

#ifdef NVMETCFG_FAKE_KERNEL
struct nv_ctx *fake_kernel_ctx(void);
#endif

static const char *file_or_default(const struct opts *o) { return o->file ? o->file : NVMET_DEFAULT_CONFIG; }

/* nvmetd's settings (NVMETD_CONF, default NVMETD_SETTINGS), read once; defaults when they are broken. */
static const struct settings *nvmetd_settings(void)
{
	static struct settings s;
	static bool loaded;
	const char *conf = getenv("NVMETD_CONF");

	if (!loaded && settings_load(conf && *conf ? conf : NVMETD_SETTINGS, &s) < 0) {
		log_warn("%s has errors: nvmetd's files are taken to be %s and %s", conf && *conf ? conf : NVMETD_SETTINGS,
			 NVMET_DEFAULT_CONFIG, NVMETD_RPC_CONF);
		(void)settings_load(NULL, &s);
	}
	loaded = true;
	return &s;
}

/* nvmetd's rpc.conf, the objects SPDK JSON-RPC clients made: --rpc-conf, else nvmetd.conf's rpc_conf.
 * NULL: --rpc-conf none. */
static const char *rpc_conf_path(const struct opts *o)
{
	if (o->rpc_conf)
		return streq(o->rpc_conf, "none") ? NULL : o->rpc_conf;
	return nvmetd_settings()->rpc_conf;
}

/* FILE as nvmetd loads it: with its rpc.conf merged (merge), so what RPC clients made is part of the
 * desired state and never removed; then its devices resolved. */
static int load_conf(struct nv_ctx *c, const struct opts *o, enum resolve_mode resolve, bool merge,
		     struct nv_config **cfg, struct nv_report *rep)
{
	const char *rpc = merge ? rpc_conf_path(o) : NULL;
	int r = engine_load(c, file_or_default(o), RESOLVE_NONE, cfg, rep);

	if (r == 0 && rpc)
		r = conf_merge_file(*cfg, rpc, rep);
	if (r == 0)
		r = engine_resolve(c, *cfg, resolve, rep);
	return r;
}

static int load_or_report(struct nv_ctx *c, const struct opts *o, enum resolve_mode resolve, bool merge,
			  struct nv_config **cfg)
{
	struct nv_report rep = { .strict = o->strict };
	int r = load_conf(c, o, resolve, merge, cfg, &rep);

	report_print_problems(&rep, stderr);
	report_free(&rep);
	return r < 0 ? EXIT_CONFIG : EXIT_OK;
}

/* "nvmf.conf" or "nvmf.conf and rpc.conf": what an apply or plan brings the target to. */
static char *desired_name(const struct nv_config *cfg)
{
	return cfg->rpc_path ? xasprintf("%s and %s", cfg->path, cfg->rpc_path) : xstrdup(cfg->path);
}

static const char *state_path(void)
{
	const char *p = getenv("NVMETD_STATE");
	return p && *p ? p : "/run/nvmetd/state.json";
}

static bool pid_is_nvmetd(long long id)
{
	_cleanup_free_ char *path = NULL, *comm = NULL;

	if (id <= 1 || id > INT32_MAX)
		return false;
	path = xasprintf("/proc/%lld/comm", id);
	if (read_attr(path, &comm) < 0 || !streq(comm, "nvmetd"))
		return false;
	/* a killed nvmetd nobody reaped yet (a zombie) runs no more */
	free(path);
	free(comm);
	path = xasprintf("/proc/%lld/stat", id);
	comm = NULL;
	if (read_attr(path, &comm) < 0)
		return false;
	{
		const char *rp = strrchr(comm, ')');
		return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
	}
}

/* The running nvmetd (from its published state): its pid and config file, or 0. The pid is trusted
 * only when that process is nvmetd (a stale file's pid may belong to anything now). */
static pid_t nvmetd_running(char **config)
{
	_cleanup_free_ char *text = NULL;
	json_object *root, *v;
	pid_t pid = 0;

	*config = NULL;
	if (read_input(state_path(), 16u << 20, &text, NULL) < 0 || !(root = json_tokener_parse(text)))
		return 0;
	if (json_object_is_type(root, json_type_object) && json_object_object_get_ex(root, "pid", &v) &&
	    json_object_is_type(v, json_type_int) && pid_is_nvmetd(json_object_get_int64(v))) {
		pid = (pid_t)json_object_get_int64(v);
		if (json_object_object_get_ex(root, "config", &v) && json_object_is_type(v, json_type_string))
			*config = xstrdup(json_object_get_string(v));
	}
	json_object_put(root);
	return pid;
}

/* The signal that interrupted an apply, clear, drain or resume (0: none). */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig) { stop_signal = sig; }

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
}

/* From here to the exit, SIGINT, SIGTERM and SIGHUP stop the plan instead of killing the process
 * between two configfs calls: the executor starts nothing more, lets what is in flight finish and
 * undoes everything (apply_opts.stop). SIGPIPE is ignored: a closed stdout (nvmetcfg -v apply | head)
 * loses the listing, not the apply. Called once the lock is taken: waiting for it, a signal still
 * ends nvmetcfg at once, nothing having been changed. */
static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_stop_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Say, once each, what went wrong executing a plan: the failure (errmsg), what else failed, every
 * undo that failed, and what that leaves. */
static void report_failure(int r, const char *errmsg, const struct exec_result *x)
{
	bool interrupted = r == -EINTR && x->interrupted;

	if (r < 0 && !interrupted)
		log_error("%s", errmsg ? errmsg : strerror(-r));
	for (size_t i = 0; i < x->nerrors; i++)
		log_error("%s", x->errors[i]);
	if (interrupted && x->rollback_failed)
		log_error("interrupted by %s: rollback incomplete: the target is partly applied — check `nvmetcfg "
			  "show` and apply again", signal_name(stop_signal));
	else if (interrupted)
		log_error("interrupted by %s: rolled back, nothing changed", signal_name(stop_signal));
	else if (x->rollback_failed)
		log_error("rollback incomplete: the target is partly applied — check `nvmetcfg show` and apply again");
	else if (r < 0)
		log_error("nothing was changed: every operation already done was rolled back");
}

/* An apply's (or clear's) messages, each once: what the plan and the kernel left out, the ports that
 * wait (desired names their addresses), and the failure. */
static void report_apply(int r, const struct apply_result *res, const struct nv_model *desired)
{
	report_print_problems(&res->plan.notes, stderr);
	for (size_t i = 0; i < res->nwarnings; i++)
		log_warn("%s", res->warnings[i]);
	for (size_t i = 0; i < res->exec.nwarnings; i++)
		log_warn("%s", res->exec.warnings[i]);
	for (size_t i = 0; r == 0 && i < res->exec.nwaiting; i++) {
		const struct waiting_port *w = &res->exec.waiting[i];
		const struct nv_port *p = desired ? model_port(desired, w->id) : NULL;
		_cleanup_free_ char *addr = p ? port_address(p) : xstrdup("?");

		log_warn("port %u (%s) is waiting: %s; nvmetd brings it up when it can", w->id, addr, w->reason);
	}
	if (r < 0 && res->failed_in != APPLY_EXECUTE)
		log_error("%s; nothing was changed", res->errmsg ? res->errmsg : strerror(-r));
	else if (r < 0 || res->exec.nerrors || res->exec.rollback_failed)
		report_failure(r, res->errmsg, &res->exec);
	if (stop_signal && !res->exec.interrupted && r >= 0)
		log_notice("%s came when every operation had been done: the apply is complete",
			   signal_name(stop_signal));
}

/* The apply lock, saying so when another applier holds it; the failure is reported here. */
static int take_lock(struct nv_ctx *c)
{
	int r = ctx_trylock(c);

	if (r == -EWOULDBLOCK) {
		log_notice("waiting for another nvmetcfg or nvmetd to finish applying (%s)", c->lock_path);
		r = ctx_lock(c);
	}
	if (r < 0)
		log_error("cannot take the apply lock %s: %s%s", c->lock_path, strerror(-r),
			  r == -EACCES || r == -EPERM || r == -EROFS ? " — run nvmetcfg as root" : "");
	return r;
}

static bool same_file(const char *a, const char *b)
{
	struct stat x, y;
	return a && b && stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static int cmd_apply(struct nv_ctx *c, struct opts *o)
{
	_cleanup_(spdkconf_freep) struct nv_config *cfg = NULL;
	struct apply_result res;
	int r;

	/* the file is read and parsed before the lock is taken: a hostile one never holds it */
	if ((r = load_or_report(c, o, RESOLVE_NONE, false, &cfg)))
		return r;
	log_phase("parse");
	if (take_lock(c) < 0)
		return EXIT_FAILED;
	catch_signals();
	/* rpc.conf under the lock: nvmetd writes it under the lock, so this is the one it applied last.
	 * Devices under the lock too (RAM disks are made here); --keep-going: as nvmetd, a missing device
	 * leaves its namespace out (warned) instead of refusing */
	{
		struct nv_report rep = { .strict = o->strict };
		const char *rpc = rpc_conf_path(o);
		r = rpc ? conf_merge_file(cfg, rpc, &rep) : 0;
		if (r == 0)
			r = resolve_namespaces(c, cfg, o->keep_going ? RESOLVE_F_TOLERANT | RESOLVE_F_CREATE : RESOLVE_F_CREATE,
					       &rep);
		report_print_problems(&rep, stderr);
		report_free(&rep);
		if (r < 0)
			return EXIT_CONFIG;
	}
	log_phase("lock, rpc.conf, devices");
	r = engine_apply(c, cfg->model, &(struct apply_opts){ .verbose = o->verbose, .keep_going = o->keep_going,
							      .stop = &stop_signal }, &res);
	report_apply(r, &res, cfg->model);
	r = apply_exit(r, &res);
	if (r == EXIT_OK || r == EXIT_WAITING || r == EXIT_PARTIAL) {
		_cleanup_free_ char *dconf = NULL, *what = desired_name(cfg);
		printf("%s: %zu change%s applied%s\n", what, res.exec.writes,
		       res.exec.writes == 1 ? "" : "s", res.exec.nwaiting ? ", some ports waiting (see above)" : "");
		if (res.exec.nfailed) {
			printf("%zu object%s failed and %s rolled back alone (the rest is applied):\n", res.exec.nfailed,
			       res.exec.nfailed == 1 ? "" : "s", res.exec.nfailed == 1 ? "was" : "were");
			for (size_t i = 0; i < res.exec.nfailed; i++)
				printf("  %s\n", res.exec.failed[i].msg);
		}
		if (res.exec.writes && nvmetd_running(&dconf) && !same_file(dconf, file_or_default(o)))
			log_warn("nvmetd is running with %s and brings the target back to it on its next event or "
				 "reload: `nvmetcfg save` keeps this state (and reloads nvmetd)", dconf);
	}
	apply_result_free(&res);
	log_phase("report");
	return r;
}

static int cmd_plan(struct nv_ctx *c, struct opts *o)
{
	_cleanup_(spdkconf_freep) struct nv_config *cfg = NULL;
	struct apply_result res;
	int r;

	if ((r = load_or_report(c, o, RESOLVE_STRICT, true, &cfg)))
		return r;
	log_phase("parse, devices");
	r = engine_apply(c, cfg->model, &(struct apply_opts){ .dry_run = true }, &res);
	if (r < 0)
		log_error("%s", res.errmsg ? res.errmsg : strerror(-r));
	r = apply_exit(r, &res);
	if (r == EXIT_OK) {
		report_print_problems(&res.plan.notes, stdout);
		size_t n = res.plan.n + res.keys.n;
		_cleanup_free_ char *what = desired_name(cfg);
		if (n == 0)
			printf("no changes: the live target already matches %s\n", what);
		else {
			printf("%zu operation%s would be applied:\n", n, n == 1 ? "" : "s");
			plan_print(&res.plan, stdout);
			tls_plan_print(&res.keys, stdout);
		}
	}
	apply_result_free(&res);
	return r;
}

static const char *sev_word(enum nv_severity s)
{
	switch (s) {
	case NV_ERROR: return "error";
	case NV_WARN: return "warning";
	case NV_APPLIED: return "applied";
	case NV_NOT_APPLICABLE: return "not applicable";
	}
	return "?";
}

static int cmp_diag(const void *a, const void *b)
{
	const struct nv_diag *x = a, *y = b;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int cmd_check(struct nv_ctx *c, struct opts *o)
{
	_cleanup_(spdkconf_freep) struct nv_config *cfg = NULL;
	struct nv_report rep = { .strict = o->strict, .explain = true };
	int r;

	/* without udev (test roots) SSDs cannot be looked up: the file is explained, not resolved */
	r = load_conf(c, o, c->lookup_devices ? RESOLVE_STRICT : RESOLVE_NONE, true, &cfg, &rep);
	if (rep.n)
		qsort(rep.d, rep.n, sizeof(*rep.d), cmp_diag);
	for (size_t i = 0; i < rep.n; i++) {
		const struct nv_diag *d = &rep.d[i];
		if (d->line)
			printf("%s:%u: ", d->file, d->line);
		else if (d->file)
			printf("%s: ", d->file);
		if (d->key)
			printf("%s: ", d->key);
		printf("%s: %s\n", sev_word(d->sev), d->msg);
	}
	printf("%zu error%s, %zu warning%s\n", report_count(&rep, NV_ERROR), report_count(&rep, NV_ERROR) == 1 ? "" : "s",
	       report_count(&rep, NV_WARN), report_count(&rep, NV_WARN) == 1 ? "" : "s");
	report_free(&rep);
	return r < 0 ? EXIT_CONFIG : EXIT_OK;
}

/* The live target as nvmf.conf or JSON. po (conf): keep, keys_dir (save: live keys no file of keep
 * holds are written there), origin (show: where each subsystem comes from); with_secrets (show --format
 * nvmetcli --with-secrets): JSON carries the keys. The subsystems of drop are left out. */
static int live_text(struct nv_ctx *c, bool json, bool with_secrets, struct print_opts po, char *const *drop,
		     size_t ndrop, char **out)
{
	_cleanup_(model_freep) struct nv_model *live = NULL;
	_cleanup_free_ char *why = NULL;
	int r = live_read(c, &live);

	if (r < 0) {
		log_error("cannot read %s: %s", c->nvmet, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < ndrop; i++)
		model_drop_subsys(live, drop[i]);
	if (json)
		return print_json(live, with_secrets, out);
	po.why = &why;
	r = print_conf_opts(c, live, &po, out);
	if (r < 0 && why)
		log_error("the live target cannot be written as nvmf.conf: %s", why);
	return r;
}

/* The desired configuration nvmetd serves (the running one's nvmf.conf, else nvmetd.conf's, with
 * rpc.conf), for show to say where each subsystem comes from; NULL when it cannot be loaded. */
static struct nv_config *desired_quiet(struct nv_ctx *c, const struct opts *o)
{
	_cleanup_free_ char *dconf = NULL;
	struct opts q = *o;
	struct nv_report rep = { 0 };
	struct nv_config *cfg = NULL;

	q.file = nvmetd_running(&dconf) && dconf ? dconf : nvmetd_settings()->nvmf_conf;
	if (load_conf(c, &q, RESOLVE_NONE, true, &cfg, &rep) < 0) {
		spdkconf_free(cfg);
		cfg = NULL;
	}
	report_free(&rep);
	return cfg;
}

/* The subsystems rpc.conf defines (what `save` leaves there); none when it cannot be read. */
static size_t rpc_subsystems(const struct opts *o, char ***nqns)
{
	_cleanup_free_ char *text = NULL, *err = NULL;
	const char *path = rpc_conf_path(o);
	struct rpcconf rc;
	size_t n = 0;

	*nqns = NULL;
	if (!path || read_input(path, INPUT_MAX, &text, NULL) < 0 || rpcconf_parse(text, &rc, &err) < 0)
		return 0;
	for (size_t i = 0; i < rc.nss; i++)
		*(char **)array_push(nqns, &n, sizeof(char *)) = xstrdup(rc.ss[i].nqn);
	rpcconf_free(&rc);
	return n;
}

static int cmd_show(struct nv_ctx *c, struct opts *o)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_(spdkconf_freep) struct nv_config *origin = NULL;

	if (o->file) {
		log_error("show takes no file (did you mean save?)");
		return EXIT_CONFIG;
	}
	if (o->with_secrets && !o->json) {
		log_error("--with-secrets goes with --format nvmetcli (nvmf.conf names key files, never keys)");
		return EXIT_CONFIG;
	}
	origin = o->json ? NULL : desired_quiet(c, o);
	log_phase("desired configuration");
	if (live_text(c, o->json, o->with_secrets, (struct print_opts){ .origin = origin }, NULL, 0, &text) < 0)
		return EXIT_FAILED;
	log_phase("live read, print");
	fputs(text, stdout);
	if (o->json)
		fputc('\n', stdout);
	return EXIT_OK;
}

static int cmd_save(struct nv_ctx *c, struct opts *o)
{
	_cleanup_free_ char *text = NULL, *keys_dir = NULL, *dir = xstrdup(file_or_default(o));
	const char *path = file_or_default(o);
	_cleanup_(spdkconf_freep) struct nv_config *old = NULL;
	struct nv_report rep = { 0 };
	char **rpc_nqns = NULL;
	size_t nrpc = rpc_subsystems(o, &rpc_nqns);
	int r;

	/* keep what the file says beyond configfs (ReactorMask, HotplugEnable) */
	if (access(path, F_OK) == 0 && spdkconf_load(path, &old, &rep) < 0)
		log_warn("%s has errors; its ReactorMask and HotplugEnable are not carried over", path);
	report_free(&rep);
	keys_dir = xasprintf("%s/keys", dirname(dir));
	/* what SPDK JSON-RPC clients made stays in rpc.conf: in both files, nvmetd would refuse them */
	r = live_text(c, false, false, (struct print_opts){ .keep = old, .keys_dir = keys_dir }, rpc_nqns, nrpc, &text);
	strv_free(rpc_nqns, nrpc);
	if (r < 0)
		return EXIT_FAILED;
	r = write_file_atomic(path, text, strlen(text), 0644);
	if (r < 0) {
		log_error("cannot write %s: %s", path, strerror(-r));
		return EXIT_FAILED;
	}
	printf("saved the live target to %s\n", path);
	if (nrpc)
		printf("%zu subsystem%s made over SPDK JSON-RPC left out: %s keeps %s\n", nrpc, nrpc == 1 ? "" : "s",
		       rpc_conf_path(o), nrpc == 1 ? "it" : "them");
	{
		/* nvmetd serving this file takes it as its configuration now */
		_cleanup_free_ char *dconf = NULL;
		pid_t pid = nvmetd_running(&dconf);
		if (pid && same_file(dconf, path) && kill(pid, SIGHUP) == 0)
			printf("nvmetd (pid %d) reloaded %s\n", (int)pid, path);
	}
	return EXIT_OK;
}

static int cmd_clear(struct nv_ctx *c, struct opts *o)
{
	struct apply_result res;
	int r;

	if (o->file) {
		log_error("clear takes no file");
		return EXIT_CONFIG;
	}
	if (take_lock(c) < 0)
		return EXIT_FAILED;
	catch_signals();
	r = engine_apply(c, NULL, &(struct apply_opts){ .verbose = o->verbose, .stop = &stop_signal }, &res);
	report_apply(r, &res, NULL);
	r = apply_exit(r, &res);
	if (r == EXIT_OK)
		printf("cleared: %zu change%s\n", res.exec.writes, res.exec.writes == 1 ? "" : "s");
	apply_result_free(&res);
	return r;
}

/* Fields of nvmetd's state file, read defensively: a file of another shape prints as empty. */
static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return "";
	return json_object_get_string(v);
}

static long long jint(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return 0;
	return json_object_get_int64(v);
}

static json_object *jarr(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* ": reason (since 14:02:11, 3 attempts, next in 8 s)" */
static void print_problem(json_object *x)
{
	const char *reason = jstr(x, "reason");
	long long since = jint(x, "since"), attempts = jint(x, "attempts");
	json_object *nr;

	if (*reason)
		printf(": %s", reason);
	if (since) {
		char when[32];
		time_t t = since;
		strftime(when, sizeof(when), "%F %T", localtime(&t));
		printf(" (since %s", when);
		if (attempts)
			printf(", %lld attempt%s", attempts, attempts == 1 ? "" : "s");
		if (json_object_object_get_ex(x, "next_retry_s", &nr))
			printf(", next in %lld s", (long long)json_object_get_int64(nr));
		putchar(')');
	}
}

/* nvmetd's nvmf.conf, as its state names it: objects from another file (rpc.conf) say which. */
static const char *status_conf = "";

static void print_source(json_object *x)
{
	const char *src = jstr(x, "source");

	if (*src && !streq(src, status_conf))
		printf(" [from %s]", src);
}

/* One line per element of each array section of nvmetd's state. */
static void status_port(json_object *p)
{
	printf("port %lld  %-36s %s", jint(p, "portid"), jstr(p, "address"), jstr(p, "state"));
	if (*jstr(p, "rdma_device"))
		printf(" (RDMA %s)", jstr(p, "rdma_device"));
	if (*jstr(p, "ana_state"))
		printf(", ANA %s", jstr(p, "ana_state"));
	if (json_object_get_boolean(json_object_object_get(p, "tls")))
		printf(", TLS 1.3");
	print_source(p);
	print_problem(p);
	putchar('\n');
	if (*jstr(p, "warning"))
		printf("  warning: %s\n", jstr(p, "warning"));
}

static void status_subsystem(json_object *x)
{
	if (streq(jstr(x, "state"), "ok"))
		return;
	printf("subsystem %s  %s", jstr(x, "nqn"), jstr(x, "state"));
	print_source(x);
	print_problem(x);
	putchar('\n');
}

static void status_device(json_object *x)
{
	json_object *v;

	printf("%s %s: NUMA node %lld, CPUs %s, IRQs pinned %s, kernel-managed %s\n", jstr(x, "device"),
	       jstr(x, "pci"), jint(x, "numa_node"), jstr(x, "cpus"),
	       json_object_object_get_ex(x, "irqs_pinned", &v) ? json_object_to_json_string(v) : "[]",
	       json_object_object_get_ex(x, "irqs_kernel_managed", &v) ? json_object_to_json_string(v) : "[]");
	if (*jstr(x, "warning"))
		printf("  warning: %s\n", jstr(x, "warning"));
}

static void status_namespace(json_object *n)
{
	printf("namespace %s/%lld  %s %s  %s", jstr(n, "subsystem"), jint(n, "nsid"), jstr(n, "bdev"),
	       jstr(n, "device"), jstr(n, "state"));
	print_source(n);
	print_problem(n);
	putchar('\n');
}

static void status_mdns_service(json_object *x)
{
	printf("mDNS %s \"%s\" %s:%lld on %s (p=%s, nqn=%s): %s\n", jstr(x, "type"), jstr(x, "name"),
	       jstr(x, "address"), jint(x, "port"), jstr(x, "interface"), jstr(x, "p"), jstr(x, "nqn"),
	       jstr(x, "state"));
}

static void status_each(json_object *o, const char *key, void (*row)(json_object *x))
{
	json_object *arr = jarr(o, key);

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		row(json_object_array_get_idx(arr, i));
}

static void status_mdns(json_object *root)
{
	json_object *md = NULL;

	if (!json_object_object_get_ex(root, "mdns", &md) || !json_object_is_type(md, json_type_object))
		return;
	printf("mDNS: avahi %s\n", jstr(md, "avahi"));
	status_each(md, "services", status_mdns_service);
}

static void status_problems(json_object *root)
{
	json_object *arr = jarr(root, "problems");
	size_t n = arr ? json_object_array_length(arr) : 0;

	if (n)
		printf("%zu object%s not serving; nvmetd retries %s when an event could fix %s, and on a "
		       "back-off timer (1 s doubling to 5 min); `systemctl reload nvmetd` retries now\n",
		       n, n == 1 ? "" : "s", n == 1 ? "it" : "them", n == 1 ? "it" : "them");
}

static void status_drained(json_object *root)
{
	json_object *arr = jarr(root, "drained");

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		const char *k = json_object_get_string(json_object_array_get_idx(arr, i));
		printf("drained: %s (nvmetcfg resume %s ends it)\n", k, k);
	}
}

/* What the state file says beyond the drains: only when there is one. */
static void status_text(json_object *root)
{
	status_conf = jstr(root, "config");
	printf("last apply: %s\n", jstr(root, "last_apply"));
	if (*jstr(root, "target_error"))
		printf("not serving: %s\n", jstr(root, "target_error"));
	status_each(root, "ports", status_port);
	status_each(root, "subsystems", status_subsystem);
	status_each(root, "devices", status_device);
	status_each(root, "namespaces", status_namespace);
	status_mdns(root);
	status_problems(root);
}

/* nvmetd's state file: 0 and the object, -ENOENT and an empty object when there is none, or another
 * -errno (reported) when it cannot be read or is not an object. */
static int status_read(const char *path, json_object **root)
{
	_cleanup_free_ char *text = NULL;
	int r = read_input(path, 16u << 20, &text, NULL);

	*root = NULL;
	if (r == -ENOENT) {
		*root = json_object_new_object();
		return r;
	}
	if (r < 0) {
		log_error("%s: %s", path, read_input_strerror(r));
		return r;
	}
	*root = json_tokener_parse(text);
	if (!*root || !json_object_is_type(*root, json_type_object)) {
		log_error("%s is not nvmetd's state (a JSON object)", path);
		json_object_put(*root);
		*root = NULL;
		return -EINVAL;
	}
	return 0;
}

/* Drains are read where they are recorded: current even before nvmetd's next reconcile. */
static void status_add_drained(struct nv_ctx *c, json_object *root)
{
	_cleanup_free_ char *dir = path_join(c->rundir, "drained");
	_cleanup_strv_ char **names = NULL;
	int n = list_dir(dir, &names);
	json_object *dr = json_object_new_array();

	for (int i = 0; i < n; i++)
		json_object_array_add(dr, json_object_new_string(names[i]));
	json_object_object_add(root, "drained", dr);
}

/* nvmetd publishes its state as JSON; status reads it (no privileges needed) and checks the pid. */
static int cmd_status(struct nv_ctx *c, struct opts *o)
{
	const char *path = o->file ? o->file : state_path();
	json_object *root;
	bool running;
	long long pid;
	int r;

	r = status_read(path, &root);
	if (!root)
		return EXIT_FAILED;
	pid = jint(root, "pid");
	running = pid_is_nvmetd(pid);
	json_object_object_add(root, "running", json_object_new_boolean(running));
	status_add_drained(c, root);
	if (o->json) {
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		if (!running)
			printf("nvmetd: not running%s\n", r == 0 ? " (state below is from its last run)" : "");
		else
			printf("nvmetd: running (pid %lld), config %s%s%s\n", pid, jstr(root, "config"),
			       *jstr(root, "rpc_conf") ? " with " : "", jstr(root, "rpc_conf"));
		status_drained(root);
		if (r == 0)
			status_text(root);
	}
	json_object_put(root);
	return running ? EXIT_OK : EXIT_FAILED;
}

/* nvmetcli's saved JSON or SPDK's JSON config -> nvmf.conf on stdout. */
static int cmd_import(struct nv_ctx *c, struct opts *o)
{
	_cleanup_free_ char *text = NULL, *conf = NULL, *err = NULL;
	size_t len = 0;
	int r;

	if (!o->from || !o->file) {
		log_error("usage: nvmetcfg import --from nvmetcli|spdk FILE.json");
		return EXIT_CONFIG;
	}
	r = read_input(o->file, INPUT_MAX, &text, &len);
	if (r < 0) {
		log_error("%s: %s", o->file, read_input_strerror(r));
		return EXIT_CONFIG;
	}
	if (memchr(text, '\0', len)) {
		log_error("%s: NUL byte in the file: not JSON", o->file);
		return EXIT_CONFIG;
	}
	if (streq(o->from, "nvmetcli")) {
		_cleanup_(model_freep) struct nv_model *m = NULL;
		r = import_nvmetcli(text, &m, &err);
		for (size_t i = 0; r == 0 && !o->keys_dir && i < m->nhosts; i++)
			if (attrs_get(&m->hosts[i].attrs, "dhchap_key") || attrs_get(&m->hosts[i].attrs, "dhchap_ctrl_key")) {
				err = xasprintf("host %s has DH-HMAC-CHAP keys: give --keys-dir DIR, where they are written "
						"(0600) for nvmf.conf to name; they are never printed", m->hosts[i].nqn);
				r = -EINVAL;
			}
		if (r == 0)
			r = print_conf_opts(c, m, &(struct print_opts){ .keys_dir = o->keys_dir, .why = &err }, &conf);
	} else if (streq(o->from, "spdk")) {
		r = import_spdk_json(text, &conf, &err);
	} else {
		log_error("--from takes nvmetcli or spdk, not '%s'", o->from);
		return EXIT_CONFIG;
	}
	if (r < 0) {
		log_error("%s: %s", o->file, err ? err : strerror(-r));
		return EXIT_CONFIG;
	}
	fputs(conf, stdout);
	return EXIT_OK;
}

#define DRAIN_GRACE_S 2

/* drain ADDR / resume ADDR: NIC maintenance without an I/O stall (ANA). Operational state only:
 * nothing is written to nvmf.conf, and a reboot forgets it. */
static int drain_or_resume(struct nv_ctx *c, struct opts *o, bool drain)
{
	_cleanup_free_ char *key = NULL, *dconf = NULL;
	_cleanup_(spdkconf_freep) struct nv_config *cfg = NULL;
	struct exec_result res;
	char **ports = NULL;
	size_t nports = 0;
	bool was = false;
	int r;

	if (!o->file || drain_parse(o->file, &key) < 0) {
		log_error("usage: nvmetcfg %s ADDRESS:PORT (e.g. 192.168.20.200:4420 or [fe80::1]:4420)",
			  drain ? "drain" : "resume");
		return EXIT_CONFIG;
	}
	if (!drain) {
		/* the state to go back to: the running nvmetd's file, else the default one */
		const char *path = nvmetd_running(&dconf) && dconf ? dconf : NVMET_DEFAULT_CONFIG;
		struct nv_report rep = { 0 };
		if (access(path, F_OK) == 0 && spdkconf_load(path, &cfg, &rep) < 0)
			log_warn("%s has errors: resuming to optimized", path);
		report_free(&rep);
	}
	if (take_lock(c) < 0)
		return EXIT_FAILED;
	catch_signals();
	was = drain_has(c, key);
	r = engine_drain(c, key, drain, cfg ? cfg->model : NULL,
			 &(struct apply_opts){ .verbose = o->verbose, .stop = &stop_signal }, &res, &ports, &nports);
	ctx_unlock(c);
	if (r == -ENOENT) {
		log_error("no port of the live target listens on %s (see nvmetcfg show)", key);
		r = EXIT_CONFIG;
	} else if (r < 0 || res.rollback_failed) {
		_cleanup_free_ char *m = res.errmsg ? xasprintf("%s: %s", key, res.errmsg) : NULL;
		report_failure(r, m, &res);
		r = exec_exit(r, &res);
	} else {
		for (size_t i = 0; i < nports; i++)
			printf("%s\n", ports[i]);
		if (drain) {
			printf("%s drained: hosts connected through it were told (ANA change) to use their other paths; "
			       "waiting %d s for them to move their I/O...\n", key, DRAIN_GRACE_S);
			fflush(stdout);
			sleep(DRAIN_GRACE_S);
			printf("done: %s can be serviced; `nvmetcfg resume %s` when it is back (re-applies and nvmetd keep "
			       "it drained until then; a reboot forgets it)\n", key, key);
		} else {
			printf("%s resumed%s\n", key, was ? "" : " (it was not drained)");
		}
		r = EXIT_OK;
	}
	strv_free(ports, nports);
	exec_result_free(&res);
	return r;
}

static int cmd_drain(struct nv_ctx *c, struct opts *o) { return drain_or_resume(c, o, true); }
static int cmd_resume(struct nv_ctx *c, struct opts *o) { return drain_or_resume(c, o, false); }

/* nvmetd's port portid in its state file (NULL: none). */
static json_object *state_port(json_object *root, unsigned id)
{
	json_object *arr = root ? jarr(root, "ports") : NULL;

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *p = json_object_array_get_idx(arr, i);
		if (jint(p, "portid") == (long long)id)
			return p;
	}
	return NULL;
}

/* The live target as the kernel shows it, port by port, beside what nvmetd wants of each: "port ID
 * linked|unlinked LIVE WANT HEALTH" lines, then counts. Settled: nvmetd applied the recorded role and
 * every port it configured shows the state it wants. */
static void role_live(struct nv_ctx *c, json_object *root, bool applied)
{
	_cleanup_(model_freep) struct nv_model *live = NULL;
	size_t linked = 0, accessible = 0, nsub = 0;
	bool settled = applied;

	if (live_read(c, &live) < 0)
		live = NULL;
	for (size_t i = 0; live && i < live->nports; i++) {
		const struct nv_port *p = &live->ports[i];
		json_object *sp = state_port(root, p->id);
		const char *want = sp ? jstr(sp, "ana_state") : "";

		linked += p->nsubsys > 0;
		accessible += p->nsubsys > 0 && ana_rank(p->ana_state) < 2;
		if (*want && !streq_ptr(want, p->ana_state))
			settled = false;
		printf("port %u %s %s %s %s\n", p->id, p->nsubsys ? "linked" : "unlinked", p->ana_state ? p->ana_state : "-",
		       *want ? want : "-", sp && *jstr(sp, "state") ? jstr(sp, "state") : "-");
	}
	for (size_t i = 0; live && i < live->nsubsys; i++)
		nsub++;
	printf("live_subsystems %zu\nlive_ports_linked %zu\nlive_ports_accessible %zu\nsettled %s\n", nsub, linked,
	       accessible, settled ? "yes" : "no");
}

/* `nvmetcfg role`: the record, what nvmetd made of it and what the kernel shows ("key value" lines,
 * for scripts: the ocf:nvmetd:nvmet agent reads them). */
static int role_show(struct nv_ctx *c)
{
	_cleanup_free_ char *dconf = NULL;
	struct nv_role_rec r;
	json_object *root = NULL, *cl = NULL;
	bool applied = false;
	pid_t pid;
	int err = role_read(c, &r);

	if (err < 0) {
		log_error("%s/role: %s — write it again with nvmetcfg role promoted|unpromoted|none", c->rundir,
			  err == -EINVAL ? "not a role record" : strerror(-err));
		return EXIT_FAILED;
	}
	printf("role %s\nstandby %s\n", role_name(r.role), r.standby);
	if (r.cntlid_min)
		printf("cntlid %u-%u\n", r.cntlid_min, r.cntlid_max);
	pid = nvmetd_running(&dconf);
	printf("nvmetd %s\n", pid ? "running" : "stopped");
	if (pid && status_read(state_path(), &root) == 0 && json_object_object_get_ex(root, "cluster", &cl)) {
		printf("applied %s\nports_serving %lld\nports %lld\n", jstr(cl, "role"), jint(cl, "ports_serving"),
		       jint(cl, "ports"));
		applied = streq(jstr(cl, "role"), role_name(r.role)) &&
			  (r.role != ROLE_UNPROMOTED || streq(jstr(cl, "standby"), r.standby));
	} else {
		printf("applied none\nports_serving 0\nports 0\n");
	}
	role_live(c, pid ? root : NULL, applied);
	json_object_put(root);
	return EXIT_OK;
}

/* Apply the changed record: nvmetd is the one that writes configfs (SIGUSR1: reconcile). */
static void role_notify(const struct nv_role_rec *r)
{
	_cleanup_free_ char *dconf = NULL;
	pid_t pid = nvmetd_running(&dconf);

	if (pid && kill(pid, SIGUSR1) == 0)
		printf("role %s: nvmetd (pid %d) applies it now\n", role_name(r->role), (int)pid);
	else
		printf("role %s recorded; nvmetd is not running: its next start (or nvmetcfg apply) applies it\n",
		       role_name(r->role));
}

/* role [promoted|unpromoted|none] [--standby S] [--cntlid MIN-MAX|none]: a cluster manager's decision,
 * recorded for nvmetd (operational state, as a drain is: a reboot forgets it). */
static int cmd_role(struct nv_ctx *c, struct opts *o)
{
	struct nv_role_rec r;
	enum nv_role want;
	int err;

	if (!o->file)
		return role_show(c);
	if (role_parse(o->file, &want) < 0) {
		log_error("usage: nvmetcfg role [promoted|unpromoted|none] [--standby inaccessible|non-optimized] "
			  "[--cntlid MIN-MAX|none]");
		return EXIT_CONFIG;
	}
	if (role_read(c, &r) < 0)
		r = (struct nv_role_rec){ .standby = "inaccessible" };	/* a broken record is replaced */
	r.role = want;
	if (o->standby) {
		const char *st = ana_state_name(o->standby);
		if (!st || (!streq(st, "inaccessible") && !streq(st, "non-optimized"))) {
			log_error("--standby takes inaccessible or non-optimized (for shared storage), not '%s'", o->standby);
			return EXIT_CONFIG;
		}
		r.standby = st;
	}
	if (o->cntlid && streq(o->cntlid, "none")) {
		r.cntlid_min = r.cntlid_max = 0;
	} else if (o->cntlid && role_parse_range(o->cntlid, &r.cntlid_min, &r.cntlid_max) < 0) {
		log_error("--cntlid takes MIN-MAX with 1 <= MIN < MAX <= %u (or none), not '%s'", NVMET_CNTLID_MAX, o->cntlid);
		return EXIT_CONFIG;
	}
	if (want == ROLE_NONE && !o->cntlid)
		r.cntlid_min = r.cntlid_max = 0;
	err = role_write(c, &r);
	if (err < 0) {
		log_error("cannot record the role in %s/role: %s", c->rundir, strerror(-err));
		return EXIT_FAILED;
	}
	role_notify(&r);
	return EXIT_OK;
}

static const struct cmd commands[] = {
	{ "apply", cmd_apply, "[FILE]", "make the live target match FILE (default " NVMET_DEFAULT_CONFIG "); all or nothing" },
	{ "plan", cmd_plan, "[FILE]", "list the operations apply would do; change nothing" },
	{ "check", cmd_check, "[FILE]", "explain every key of FILE: what it maps to, or why it does not apply" },
	{ "show", cmd_show, "", "print the live target as nvmf.conf (or --json)" },
	{ "save", cmd_save, "[FILE]", "write the live target to FILE atomically (default " NVMET_DEFAULT_CONFIG ")" },
	{ "clear", cmd_clear, "", "remove every port, subsystem and host from the live target" },
	{ "import", cmd_import, "FILE", "--from nvmetcli|spdk: print the equivalent nvmf.conf of their JSON" },
	{ "drain", cmd_drain, "ADDR:PORT", "NIC maintenance: make the port(s) at ADDR:PORT ANA-inaccessible until resume" },
	{ "resume", cmd_resume, "ADDR:PORT", "end a drain: the port(s) get their configured ANA state back" },
	{ "role", cmd_role, "[ROLE]", "cluster role promoted|unpromoted|none for nvmetd (--standby, --cntlid); none: show it" },
	{ "status", cmd_status, "[STATE]", "nvmetd's view: running, last apply, each port and namespace (--json)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: nvmetcfg [OPTIONS] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-6s %-9s %s\n", commands[i].name, commands[i].args, commands[i].help);
	fprintf(f, "\noptions:\n"
		   "  -v, --verbose   list each configfs operation as it is done\n"
		   "  -k, --keep-going  apply: an object the kernel refuses is rolled back alone, the rest is applied\n"
		   "      --jobs N    configfs operations in flight at most (default %d; 1: one at a time)\n"
		   "  -j, --json      show: JSON (nvmetcli's layout) instead of nvmf.conf\n"
		   "      --format F  show: conf (default), json or nvmetcli\n"
		   "      --from T    import: nvmetcli or spdk\n"
		   "      --keys-dir D  import: write inline DH-HMAC-CHAP keys to 0600 files in D (never printed)\n"
		   "      --with-secrets  show --format nvmetcli: include DH-HMAC-CHAP keys\n"
		   "      --strict    unknown sections and keys are errors, not warnings\n"
		   "      --standby S role: unpromoted ports' ANA state, inaccessible (default) or non-optimized\n"
		   "      --cntlid R  role: this node's controller IDs MIN-MAX (or none)\n"
		   "      --rpc-conf F  nvmetd's rpc.conf (default: nvmetd.conf's rpc_conf), loaded with FILE; none: FILE alone\n"
		   "  -h, --help      this text\n"
		   "\nexit status: 0 done; 1 a kernel operation failed (whatever its errno) and everything was rolled\n"
		   "back; 2 usage or config error (or the config needs what this kernel lacks), nothing changed;\n"
		   "3 applied, but a port waits for its address or RDMA device; 4 (--keep-going) applied, except the\n"
		   "objects named, which were rolled back alone; 5 rollback incomplete: the target is partly applied;\n"
		   "6 interrupted by SIGINT, SIGTERM or SIGHUP: rolled back, nothing changed\n", EXEC_JOBS_DEFAULT);
}

/* Options before and after the command word. Returns an exit code to stop with, or -1 to go on. */
static int parse_opts(int argc, char **argv, const char *optstring, struct opts *o)
{
	static const struct option lopts[] = {
		{ "verbose", no_argument, NULL, 'v' }, { "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' },
		{ "keep-going", no_argument, NULL, 'k' }, { "with-secrets", no_argument, NULL, 'W' },
		{ "keys-dir", required_argument, NULL, 'K' }, { "jobs", required_argument, NULL, 'J' },
		{ "from", required_argument, NULL, 'F' }, { "format", required_argument, NULL, 'f' },
		{ "standby", required_argument, NULL, 's' }, { "cntlid", required_argument, NULL, 'C' },
		{ "rpc-conf", required_argument, NULL, 'R' }, { NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, optstring, lopts, NULL)) != -1) {
		switch (opt) {
		case 'v': o->verbose = true; break;
		case 'j': o->json = true; break;
		case 'S': o->strict = true; break;
		case 'k': o->keep_going = true; break;
		case 'W': o->with_secrets = true; break;
		case 'K': o->keys_dir = optarg; break;
		case 'J': {
			char *end;
			unsigned long j = strtoul(optarg, &end, 10);
			if (!*optarg || *end || j < 1 || j > EXEC_JOBS_MAX) {
				log_error("--jobs takes a number from 1 to %d", EXEC_JOBS_MAX);
				return EXIT_CONFIG;
			}
			o->jobs = j;
			break;
		}
		case 'F': o->from = optarg; break;
		case 's': o->standby = optarg; break;
		case 'C': o->cntlid = optarg; break;
		case 'R': o->rpc_conf = optarg; break;
		case 'f':
			if (streq(optarg, "nvmetcli") || streq(optarg, "json"))
				o->json = true;
			else if (!streq(optarg, "conf")) {
				log_error("--format takes conf, json or nvmetcli");
				return EXIT_CONFIG;
			}
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_CONFIG;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	_cleanup_(ctx_freep) struct nv_ctx *c = NULL;
	struct opts o = { 0 };
	const struct cmd *cmd = NULL;
	int r;

	log_phase("start-up");
	log_init("nvmetcfg");
	if ((r = parse_opts(argc, argv, "+vjkh", &o)) >= 0)
		return r;
	if (optind >= argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		log_error("unknown command '%s'", argv[optind]);
		usage(stderr);
		return EXIT_CONFIG;
	}
	/* options may also follow the command: scan its arguments afresh (optind = 0 re-initialises
	 * getopt, and the command word stands in for argv[0]) */
	argc -= optind;
	argv += optind;
	optind = 0;
	if ((r = parse_opts(argc, argv, "vjkh", &o)) >= 0)
		return r;
	if (optind < argc)
		o.file = argv[optind++];
	if (optind < argc) {
		log_error("%s: unexpected argument '%s'", cmd->name, argv[optind]);
		return EXIT_CONFIG;
	}
	if (o.verbose)
		log_set_level(LOG_INFO);
#ifdef NVMETCFG_FAKE_KERNEL
	c = fake_kernel_ctx(); /* tests/cli/nvmetcfg-fake: configfs that acts as the kernel's (host tests) */
	r = 0;
#else
	r = ctx_new(&c);
#endif
	if (r < 0) {
		log_error("cannot initialise: %s", strerror(-r));
		return EXIT_FAILED;
	}
	c->jobs = o.jobs;
	log_phase("options, context");
	return cmd->fn(c, &o);
}
