/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <strings.h>

#include "dhchap.h"
#include "keyfiles.h"
#include "spdkconf.h"
#include "role.h"
#include "nvlimits.h"
#include "util.h"

/* One listen address of one subsystem, collected before ports are built. */
struct listen {
	char *trtype, *adrfam, *traddr, *trsvcid;
	const char *ana;	/* the ANA state given after the address, or NULL */
	bool tls;		/* "tls" after the address: TLS 1.3 required */
	size_t ss;	/* index of its subsystem in the model */
	unsigned line;
};

/* Per-transport and global settings that end up on ports or subsystems. */
struct tparams {
	char *trtype;		/* NULL for [Nvmf] */
	long long max_queues, queue_depth, inline_size;
	unsigned line_mq, line_qd, line_is;
};

struct pstate {
	struct nv_config *c;
	const struct nv_config *base;	/* another file's config whose bdevs Namespace lines may name */
	struct nv_report *rep;
	const char *file;
	struct listen *ls;
	size_t nls;
	struct listen *refs;	/* [Discovery] Referral lines */
	size_t nrefs;
	struct tparams *tp;	/* [0] is [Nvmf] */
	size_t ntp;
	long long *ss_max_queues; /* per subsystem, -1 = not set */
	struct strmap nqns;	/* subsystem NQN -> its section's line */
	struct keyfile_cache keys;	/* [HostN] key files: each read once */
	struct {
		bool any_host;
		bool any_host_set;
		unsigned any_host_line;
		char **hosts;
		unsigned *host_lines;
		size_t nhosts;
	} *acl;
};

struct kctx {
	struct pstate *ps;
	struct nv_hostcred *cred;	/* [HostN] */
	struct ini_section *sec;
	struct ini_entry *e;
	size_t ss;	/* index of the current subsystem, for [SubsystemN] */
	struct tparams *tp;
};

typedef int (*key_fn)(struct kctx *k);

struct key_def {
	const char *key;
	key_fn fn;		/* NULL: not applicable, see na */
	const char *na;
	int min_vals, max_vals;
};

/* The entry being interpreted, and its i-th value. */
static inline struct ini_entry *entry(const struct kctx *k) { return k->e; }
static inline const char *val(const struct kctx *k, size_t i) { return k->e->vals[i]; }

static char *keyname(struct kctx *k)
{
	return xasprintf("[%s] %s", k->sec->name, k->e->key);
}

static int kerr(struct kctx *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int kerr(struct kctx *k, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *kn = keyname(k);
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	report_add(k->ps->rep, NV_ERROR, k->ps->file, k->e->line, kn, "%s %s", kn, msg);
	return -EINVAL;
}

static void kinfo(struct kctx *k, enum nv_severity sev, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void kinfo(struct kctx *k, enum nv_severity sev, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *kn = NULL;
	va_list ap;

	if (!report_keeps(k->ps->rep, sev))
		return; /* only `check` shows explanations: a thousand subsystems need not format them */
	kn = keyname(k);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	report_add(k->ps->rep, sev, k->ps->file, k->e->line, kn, "%s", msg);
}

int spdk_bool(const char *s)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "y") || !strcasecmp(s, "true"))
		return 1;
	if (!strcasecmp(s, "no") || !strcasecmp(s, "n") || !strcasecmp(s, "false"))
		return 0;
	return -EINVAL;
}

static int kint(struct kctx *k, int i, long long lo, long long hi, long long *out)
{
	if (parse_i64(val(k, i), out) < 0)
		return kerr(k, "'%s' is not a number", val(k, i));
	if (*out < lo || *out > hi)
		return kerr(k, "%lld is out of range (%lld..%lld)", *out, lo, hi);
	return 0;
}

static bool printable_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* NQNs become configfs directory names: no '/', no whitespace, at most 223 bytes. */
static int check_nqn(struct kctx *k, const char *nqn)
{
	if (strlen(nqn) > NVMF_NQN_MAX)
		return kerr(k, "NQN is %zu bytes long; NVMe allows at most %d", strlen(nqn), NVMF_NQN_MAX);
	if (strchr(nqn, '/') || !printable_ascii(nqn) || strchr(nqn, ' ') || !*nqn)
		return kerr(k, "'%s' is not a valid NQN (no '/', spaces or control characters)", nqn);
	if (streq(nqn, ".") || streq(nqn, ".."))
		return kerr(k, "'%s' is not a valid NQN (it would name a directory of configfs itself)", nqn);
	if (strncmp(nqn, "nqn.", 4))
		kinfo(k, NV_WARN, "'%s' does not start with \"nqn.\"; initiators may reject it", nqn);
	if (streq(nqn, NVME_DISC_NQN))
		return kerr(k, "'%s' is the discovery NQN and cannot name a subsystem or host", nqn);
	return 0;
}

/* ---- [Global] ---- */
static int k_reactor_mask(struct kctx *k)
{
	unsigned long long m;

	if (parse_u64(val(k, 0), &m) < 0 || m == 0)
		return kerr(k, "'%s' is not a CPU mask (e.g. 0x0F)", val(k, 0));
	free(k->ps->c->reactor_mask);
	k->ps->c->reactor_mask = xstrdup(val(k, 0));
	k->ps->c->has_reactor_mask = true;
	kinfo(k, NV_APPLIED, "CPU set %s for the IRQ affinity of the SSDs' and NICs' queues, intersected "
	      "with each device's NUMA node (nvmetd pins IRQs; the kernel target has no reactors)", val(k, 0));
	return 0;
}

/* ---- [Nvmf] / [Transport] ---- */
static int k_max_queues(struct kctx *k)
{
	long long v;

	if (kint(k, 0, NVMET_QID_MIN + 1, NVMET_QID_MAX + 1, &v) < 0)
		return -EINVAL;
	if (k->tp) {
		k->tp->max_queues = v;
		k->tp->line_mq = entry(k)->line;
	} else {
		k->ps->ss_max_queues[k->ss] = v;
	}
	kinfo(k, NV_APPLIED, "subsystem attr_qid_max = %lld (%lld queues per controller minus the admin queue)",
	      v - 1, v);
	return 0;
}

static int k_queue_depth(struct kctx *k)
{
	long long v;

	if (kint(k, 0, NVMET_MIN_QUEUE_SIZE, NVMET_MAX_QUEUE_SIZE, &v) < 0)
		return -EINVAL;
	k->tp->queue_depth = v;
	k->tp->line_qd = entry(k)->line;
	kinfo(k, NV_APPLIED, "port param_max_queue_size = %lld where the kernel has that attribute (6.10+; "
	      "nvmet-rdma reduces it to %d); older kernels use the transport default", v, NVMET_RDMA_MAX_QUEUE_SIZE);
	if (v > NVMET_RDMA_MAX_QUEUE_SIZE && (!k->tp->trtype || streq(k->tp->trtype, "rdma")))
		kinfo(k, NV_WARN, "MaxQueueDepth %lld is above what nvmet-rdma supports; RDMA ports get %d",
		      v, NVMET_RDMA_MAX_QUEUE_SIZE);
	return 0;
}

static int k_inline(struct kctx *k)
{
	long long v;

	if (kint(k, 0, 0, 1 << 20, &v) < 0)
		return -EINVAL;
	if (v % 16)
		return kerr(k, "%lld is not a multiple of 16", v);
	k->tp->inline_size = v;
	k->tp->line_is = entry(k)->line;
	kinfo(k, NV_APPLIED, "port param_inline_data_size = %lld", v);
	if (v > NVMET_RDMA_MAX_INLINE && (!k->tp->trtype || streq(k->tp->trtype, "rdma")))
		kinfo(k, NV_WARN, "InCapsuleDataSize %lld is above nvmet-rdma's maximum; RDMA ports get %d",
		      v, NVMET_RDMA_MAX_INLINE);
	return 0;
}

static int k_transport_type(struct kctx *k)
{
	const char *t = val(k, 0);

	if (!strcasecmp(t, "RDMA"))
		t = "rdma";
	else if (!strcasecmp(t, "TCP"))
		t = "tcp";
	else
		return kerr(k, "transport '%s' is not supported (RDMA or TCP)", t);
	for (size_t i = 1; i < k->ps->ntp; i++)
		if (k->ps->tp[i].trtype && streq(k->ps->tp[i].trtype, t) && &k->ps->tp[i] != k->tp)
			return kerr(k, "duplicate [Transport] section for %s", val(k, 0));
	if (!k->tp->trtype) {
		struct nv_transport *tr = array_push(&k->ps->c->transports, &k->ps->c->ntransports, sizeof(*tr));
		tr->trtype = xstrdup(t);
		tr->line = entry(k)->line;
	}
	free(k->tp->trtype);
	k->tp->trtype = xstrdup(t);
	kinfo(k, NV_APPLIED, "settings below apply to every %s port", val(k, 0));
	return 0;
}

/* ---- [Nvme] ---- */
static int k_transport_id(struct kctx *k)
{
	_cleanup_free_ char *trid = xstrdup(val(k, 0));
	char *tok, *save = NULL, *bdf = NULL;
	bool pcie = false;
	struct nv_nvme_ctrl *ctl;
	unsigned d, b, s, f;

	for (tok = strtok_r(trid, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *colon = strchr(tok, ':');
		if (!colon)
			return kerr(k, "'%s' is not key:value", tok);
		*colon = '\0';
		if (!strcasecmp(tok, "trtype"))
			pcie = !strcasecmp(colon + 1, "PCIe");
		else if (!strcasecmp(tok, "traddr"))
			bdf = colon + 1;
	}
	if (!pcie)
		return kerr(k, "only local PCIe SSDs (trtype:PCIe) can be exported; an NVMe-oF controller "
			    "as a backing device is not supported by the kernel target");
	if (!bdf)
		return kerr(k, "missing traddr:<PCI address>");
	if (sscanf(bdf, "%x:%x:%x.%x", &d, &b, &s, &f) == 4) {
	} else if (sscanf(bdf, "%x:%x.%x", &b, &s, &f) == 3) {
		d = 0;
	} else {
		return kerr(k, "traddr '%s' is not a PCI address like 0000:04:00.0", bdf);
	}
	if (d > 0xffff || b > 0xff || s > 0x1f || f > 7)
		return kerr(k, "traddr '%s' is not a valid PCI address", bdf);
	for (size_t i = 0; i < k->ps->c->nctrls; i++)
		if (!strcasecmp(k->ps->c->ctrls[i].name, val(k, 1)))
			return kerr(k, "controller name %s is already used on line %u", val(k, 1),
				    k->ps->c->ctrls[i].line);
	ctl = array_push(&k->ps->c->ctrls, &k->ps->c->nctrls, sizeof(*ctl));
	ctl->name = xstrdup(val(k, 1));
	ctl->bdf = xasprintf("%04x:%02x:%02x.%x", d, b, s, f);
	ctl->line = entry(k)->line;
	kinfo(k, NV_APPLIED, "%s = the kernel NVMe controller at PCI %s; %sn<N> is its namespace N's block "
	      "device, found through udev when applied", ctl->name, ctl->bdf, ctl->name);
	return 0;
}

static int k_hotplug(struct kctx *k)
{
	int b = spdk_bool(val(k, 0));

	if (b < 0)
		return kerr(k, "'%s' is not Yes or No", val(k, 0));
	k->ps->c->hotplug = b;
	kinfo(k, NV_APPLIED, b ? "nvmetd disables a namespace when its SSD goes away and re-enables it when the "
			       "same SSD (PCI address) returns" :
			       "nvmetd leaves namespaces alone when SSDs go away (HotplugEnable No)");
	return 0;
}

/* ---- [SubsystemN] ---- */
static struct nv_subsys *cur_ss(struct kctx *k) { return &k->ps->c->model->subsys[k->ss]; }

static int k_nqn(struct kctx *k)
{
	struct nv_subsys *s = cur_ss(k);

	if (check_nqn(k, val(k, 0)) < 0)
		return -EINVAL;
	if (s->nqn)
		return kerr(k, "subsystem already has NQN %s", s->nqn);
	size_t line;
	if (!strmap_add(&k->ps->nqns, val(k, 0), s->line, &line))
		return kerr(k, "NQN %s is already used by the subsystem on line %zu", val(k, 0), line);
	s->nqn = xstrdup(val(k, 0));
	kinfo(k, NV_APPLIED, "subsystems/%s", s->nqn);
	return 0;
}

/* "RDMA 192.168.20.200:4420" / "TCP [fe80::1]:4420" (values i, i+1) -> a listen entry's address. */
static int parse_address(struct kctx *k, size_t i, struct listen *l)
{
	const char *tr = val(k, i);
	_cleanup_free_ char *addr = xstrdup(val(k, i + 1));
	char *host, *port, *end;
	unsigned char buf[16];
	long pn;
	bool v6;

	if (!strcasecmp(tr, "RDMA"))
		tr = "rdma";
	else if (!strcasecmp(tr, "TCP"))
		tr = "tcp";
	else
		return kerr(k, "transport '%s' is not supported (RDMA or TCP)", tr);
	if (addr[0] == '[') {
		host = addr + 1;
		end = strchr(host, ']');
		if (!end || end[1] != ':')
			return kerr(k, "'%s' is not [IPv6]:port", val(k, i + 1));
		*end = '\0';
		port = end + 2;
	} else {
		port = strrchr(addr, ':');
		if (!port)
			return kerr(k, "'%s' has no :port", val(k, i + 1));
		*port++ = '\0';
		host = addr;
	}
	v6 = strchr(host, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, buf) != 1)
		return kerr(k, "'%s' is not an IP address (host names are not resolved)", host);
	pn = strtol(port, &end, 10);
	if (!*port || strspn(port, "0123456789") != strlen(port) || *end || pn < 1 || pn > 65535)
		return kerr(k, "'%s' is not a port number", port);
	l->trtype = xstrdup(tr);
	l->adrfam = xstrdup(v6 ? "ipv6" : "ipv4");
	l->traddr = xstrdup(host);
	l->trsvcid = xasprintf("%ld", pn);
	l->line = entry(k)->line;
	return 0;
}

static const char *conf_trtype_upper(const char *t) { return streq(t, "rdma") ? "RDMA" : "TCP"; }

static void listen_free(struct listen *l)
{
	free(l->trtype);
	free(l->adrfam);
	free(l->traddr);
	free(l->trsvcid);
}

/* The words after the address: an ANA state and "tls", in any order, each at most once. */
static int listen_words(struct kctx *k, struct listen *l)
{
	for (size_t i = 2; i < entry(k)->nvals; i++) {
		const char *w = val(k, i);

		if (!strcasecmp(w, "tls")) {
			if (l->tls)
				return kerr(k, "says tls twice");
			if (!streq(l->trtype, "tcp"))
				return kerr(k, "tls: TLS 1.3 is for NVMe/TCP only (this Listen is RDMA)");
			l->tls = true;
		} else if (l->ana) {
			return kerr(k, "'%s': the ANA state is given already (%s); the words after the address are "
				    "an ANA state and tls", w, l->ana);
		} else if (!(l->ana = ana_state_name(w))) {
			return kerr(k, "'%s' is not an ANA state (optimized, non-optimized, inaccessible or "
				    "persistent-loss) or tls", w);
		}
	}
	return 0;
}

static int k_listen(struct kctx *k)
{
	struct listen l = { 0 };

	if (parse_address(k, 0, &l) < 0)
		return -EINVAL;
	if (listen_words(k, &l) < 0) {
		listen_free(&l);
		return -EINVAL;
	}
	l.ss = k->ss;
	*(struct listen *)array_push(&k->ps->ls, &k->ps->nls, sizeof(l)) = l;
	kinfo(k, NV_APPLIED, "port (addr_trtype %s, addr_adrfam %s, addr_traddr %s, addr_trsvcid %s%s) with "
	      "this subsystem linked", l.trtype, l.adrfam, l.traddr, l.trsvcid,
	      l.tls ? ", addr_tsas tls1.3, addr_treq required" : "");
	return 0;
}

static int k_allow_any(struct kctx *k)
{
	int b = spdk_bool(val(k, 0));

	if (b < 0)
		return kerr(k, "'%s' is not Yes or No", val(k, 0));
	k->ps->acl[k->ss].any_host = b;
	k->ps->acl[k->ss].any_host_set = true;
	k->ps->acl[k->ss].any_host_line = entry(k)->line;
	kinfo(k, NV_APPLIED, "attr_allow_any_host = %d", b);
	return 0;
}

static int k_host(struct kctx *k)
{
	typeof(*k->ps->acl) *a = &k->ps->acl[k->ss];
	size_t n;

	if (check_nqn(k, val(k, 0)) < 0)
		return -EINVAL;
	for (size_t i = 0; i < a->nhosts; i++)
		if (streq(a->hosts[i], val(k, 0)))
			return kerr(k, "host %s is listed twice", val(k, 0));
	n = a->nhosts;
	*(char **)array_push(&a->hosts, &a->nhosts, sizeof(char *)) = xstrdup(val(k, 0));
	a->host_lines = xrealloc(a->host_lines, a->nhosts * sizeof(unsigned));
	a->host_lines[n] = entry(k)->line;
	return 0; /* explained once the whole section is known (AllowAnyHost may follow) */
}

/* Set a subsystem attribute from key; a repeated key warns and the last one counts. */
static void set_once(struct kctx *k, const char *attr, const char *key)
{
	struct nv_attr *a = attrs_find(&cur_ss(k)->attrs, attr);

	if (a)
		kinfo(k, NV_WARN, "%s is given more than once in [%s]; this one (%s) replaces %s", key, k->sec->name,
		      val(k, 0), a->value);
	a = attrs_set(&cur_ss(k)->attrs, attr, val(k, 0));
	free(a->why);
	a->why = xstrdup(key);
}

static int k_sn(struct kctx *k)
{
	if (strlen(val(k, 0)) > NVMET_SN_MAX || !printable_ascii(val(k, 0)) || !*val(k, 0))
		return kerr(k, "'%s' must be 1-%d printable ASCII characters", val(k, 0), NVMET_SN_MAX);
	set_once(k, "attr_serial", "SN");
	kinfo(k, NV_APPLIED, "attr_serial = %s", val(k, 0));
	return 0;
}

static int k_mn(struct kctx *k)
{
	if (strlen(val(k, 0)) > NVMET_MN_MAX || !printable_ascii(val(k, 0)) || !*val(k, 0))
		return kerr(k, "'%s' must be 1-%d printable ASCII characters", val(k, 0), NVMET_MN_MAX);
	set_once(k, "attr_model", "MN");
	kinfo(k, NV_APPLIED, "attr_model = %s", val(k, 0));
	return 0;
}

/* ControllerIDs MIN-MAX: this subsystem's controller IDs (SPDK's min_cntlid/max_cntlid). Not with
 * [Cluster], whose nodes need disjoint ranges: one nvmf.conf cannot give each node its own. */
static int k_ss_cntlids(struct kctx *k)
{
	const struct nv_config *cl = k->ps->c->cluster ? k->ps->c : k->ps->base && k->ps->base->cluster ? k->ps->base : NULL;
	unsigned lo, hi;
	char buf[16];

	if (cl)
		return kerr(k, "cannot be given with [Cluster] (%s line %u): the nodes' controller IDs must not overlap, "
			    "so they come from [Cluster] ControllerIDs or nvmetcfg role", cl->path, cl->cluster_line);
	if (role_parse_range(val(k, 0), &lo, &hi) < 0)
		return kerr(k, "'%s' is not a controller-ID range MIN-MAX with 1 <= MIN < MAX <= %u", val(k, 0),
			    NVMET_CNTLID_MAX);
	if (attrs_get(&cur_ss(k)->attrs, "attr_cntlid_min"))
		return kerr(k, "is given twice in [%s]", k->sec->name);
	snprintf(buf, sizeof(buf), "%u", lo);
	attrs_set(&cur_ss(k)->attrs, "attr_cntlid_min", buf)->why = xstrdup("ControllerIDs");
	snprintf(buf, sizeof(buf), "%u", hi);
	attrs_set(&cur_ss(k)->attrs, "attr_cntlid_max", buf)->why = xstrdup("ControllerIDs");
	kinfo(k, NV_APPLIED, "attr_cntlid_min = %u, attr_cntlid_max = %u", lo, hi);
	return 0;
}

static bool valid_uuid(const char *u)
{
	static const char fmt[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(u) != sizeof(fmt) - 1)
		return false;
	for (size_t i = 0; fmt[i]; i++)
		if (fmt[i] == '-' ? u[i] != '-' : !isxdigit((unsigned char)u[i]))
			return false;
	return true;
}

static int k_namespace(struct kctx *k)
{
	struct nv_subsys *s = cur_ss(k);
	struct nv_bdev b;
	unsigned long long nsid = 0;
	struct nv_ns *ns;

	if (entry(k)->nvals >= 2 && (parse_u64(val(k, 1), &nsid) < 0 || nsid >= NVMET_NSID_MAX))
		return kerr(k, "'%s' is not a namespace ID (1..%u, or 0 for the next free one)", val(k, 1),
			    NVMET_NSID_MAX - 1);
	if (entry(k)->nvals >= 3 && !valid_uuid(val(k, 2)))
		return kerr(k, "'%s' is not a UUID", val(k, 2));
	if (k->ps->c->cluster && (entry(k)->nvals < 2 || nsid == 0))
		return kerr(k, "has no namespace ID: with [Cluster] (line %u) every node must give it the same one — "
			    "write Namespace %s NSID UUID", k->ps->c->cluster_line, val(k, 0));
	if (k->ps->c->cluster && entry(k)->nvals < 3)
		return kerr(k, "has no UUID: with [Cluster] (line %u) the kernel would give namespace %llu a random UUID "
			    "on each node, and hosts reject a second path whose IDs don't match — add one (uuidgen), "
			    "the same on every node: Namespace %s %llu UUID", k->ps->c->cluster_line, nsid, val(k, 0), nsid);
	if (spdkconf_find_bdev(k->ps->c, val(k, 0), &b) < 0 &&
	    (!k->ps->base || spdkconf_find_bdev(k->ps->base, val(k, 0), &b) < 0))
		return kerr(k, "bdev '%s' is not defined: name an [Nvme] controller's namespace (Nvme0n1), "
			    "an [AIO] entry or a [Malloc] disk", val(k, 0));
	if (nsid == 0) {
		nsid = 1;
		while (subsys_ns(s, nsid))
			nsid++;
	} else if (subsys_ns(s, nsid)) {
		return kerr(k, "namespace %llu is already defined on line %u", nsid, subsys_ns(s, nsid)->line);
	}
	for (size_t i = 0; i < s->nns; i++)
		if (!strcasecmp(s->ns[i].bdev, val(k, 0)))
			return kerr(k, "bdev %s is already namespace %u of this subsystem", val(k, 0), s->ns[i].nsid);
	ns = array_push(&s->ns, &s->nns, sizeof(*ns));
	ns->nsid = nsid;
	ns->bdev = xstrdup(val(k, 0));
	ns->enable = true;
	ns->line = entry(k)->line;
	if (entry(k)->nvals >= 3)
		attrs_set(&ns->attrs, "device_uuid", val(k, 2));
	kinfo(k, NV_APPLIED, "namespaces/%llu: device_path = block device of %s, enable = 1%s", nsid, val(k, 0),
	      entry(k)->nvals >= 3 ? ", device_uuid as given" : "");
	return 0;
}

static int k_mode(struct kctx *k)
{
	if (!strcasecmp(val(k, 0), "Virtual")) {
		kinfo(k, NV_NOT_APPLICABLE, "obsolete SPDK key; Virtual mode is what the kernel target does");
		return 0;
	}
	return kerr(k, "'Mode %s' (Direct mode) was removed from SPDK; export namespaces with Namespace lines",
		    val(k, 0));
}

static int k_direct_nvme(struct kctx *k)
{
	return kerr(k, "is SPDK's removed Direct mode; use [Nvme] TransportId and a Namespace line");
}

/* ---- [AIO] ---- */
static int k_aio(struct kctx *k)
{
	struct nv_bdev *b;
	long long bs = 0;

	if (entry(k)->nvals == 3 && (kint(k, 2, 512, 65536, &bs) < 0 || (bs & (bs - 1))))
		return bs ? kerr(k, "block size %lld is not a power of two", bs) : -EINVAL;
	if (val(k, 0)[0] != '/')
		return kerr(k, "'%s' must be an absolute path", val(k, 0));
	size_t dup;
	if (!strmap_add(&k->ps->c->aio_index, val(k, 1), k->ps->c->naio, &dup))
		return kerr(k, "bdev name %s is already used on line %u", val(k, 1), k->ps->c->aio[dup].line);
	b = array_push(&k->ps->c->aio, &k->ps->c->naio, sizeof(*b));
	b->kind = BDEV_AIO;
	b->path = xstrdup(val(k, 0));
	b->name = xstrdup(val(k, 1));
	b->block_size = bs;
	b->line = entry(k)->line;
	kinfo(k, NV_APPLIED, "%s = %s as a namespace's device_path", b->name, b->path);
	if (bs)
		kinfo(k, NV_NOT_APPLICABLE, "block size %lld: the kernel uses the device's own logical block size", bs);
	return 0;
}

/* ---- [Malloc] ---- */
static int k_malloc_num(struct kctx *k)
{
	long long v;

	if (kint(k, 0, 1, 64, &v) < 0)
		return -EINVAL;
	k->ps->c->malloc_luns = v;
	k->ps->c->malloc_line = entry(k)->line;
	kinfo(k, NV_APPLIED, "Malloc0..Malloc%lld as RAM-backed kernel block devices (null_blk, memory_backed=1)",
	      v - 1);
	return 0;
}

static int k_malloc_size(struct kctx *k)
{
	long long v;

	if (kint(k, 0, 1, 1 << 20, &v) < 0)
		return -EINVAL;
	k->ps->c->malloc_size_mb = v;
	kinfo(k, NV_APPLIED, "null_blk size = %lld MiB", v);
	return 0;
}

static int k_malloc_bs(struct kctx *k)
{
	long long v;

	if (kint(k, 0, 512, 4096, &v) < 0 || (v & (v - 1)))
		return kerr(k, "block size must be 512, 1024, 2048 or 4096");
	k->ps->c->malloc_block_size = v;
	kinfo(k, NV_APPLIED, "null_blk blocksize = %lld", v);
	return 0;
}

static const char na_poll[] = "the kernel target is interrupt driven: there is no poller to tune";
static const char na_host[] = "a host-side NVMe driver setting; the kernel's nvme driver manages the SSD";
static const char na_dpdk[] = "a DPDK/SPDK process setting; the kernel target has no such process";
static const char na_buf[] = "buffer sizing is internal to the kernel's transport drivers";

static const struct key_def global_keys[] = {
	{ "ReactorMask", k_reactor_mask, NULL, 1, 1 },
	{ "SharedMemoryID", NULL, na_dpdk, 1, 1 },
	{ "NoPci", NULL, na_dpdk, 1, 1 },
	{ "TpointGroupMask", NULL, "SPDK tracepoints; use the kernel's nvmet tracepoints (ftrace) instead", 1, 1 },
	{ "PciBlacklist", NULL, "the kernel's nvme driver keeps every SSD; only exported namespaces are served", 1, 1 },
	{ "PciWhitelist", NULL, "the kernel's nvme driver keeps every SSD; only exported namespaces are served", 1, 1 },
	{ "Comment", NULL, "a comment", 0, 64 },
	{ "LogFacility", NULL, "nvmetd logs to the journal (see nvmetd.conf)", 1, 1 },
	{ 0 },
};

static const struct key_def nvmf_keys[] = {
	{ "MaxQueuesPerSession", k_max_queues, NULL, 1, 1 },
	{ "MaxQueueDepth", k_queue_depth, NULL, 1, 1 },
	{ "InCapsuleDataSize", k_inline, NULL, 1, 1 },
	{ "MaxIOSize", NULL, "the kernel target's maximum transfer size is fixed per transport", 1, 1 },
	{ "IOUnitSize", NULL, na_buf, 1, 1 },
	{ "AcceptorPollRate", NULL, na_poll, 1, 1 },
	{ "AcceptorCore", NULL, na_poll, 1, 1 },
	{ "MaxSubsystems", NULL, "the kernel target has no subsystem limit", 1, 1 },
	{ "ConnectionScheduler", NULL, "the kernel spreads queues over CPUs by itself (see ReactorMask for IRQs)", 1, 1 },
	{ "AdminCmdPassthruIdentifyCtrlr", NULL, "not supported: the kernel target reports its own identify data", 1, 1 },
	{ 0 },
};

static const struct key_def transport_keys[] = {
	{ "Type", k_transport_type, NULL, 1, 1 },
	{ "MaxQueuesPerSession", k_max_queues, NULL, 1, 1 },
	{ "MaxQueueDepth", k_queue_depth, NULL, 1, 1 },
	{ "InCapsuleDataSize", k_inline, NULL, 1, 1 },
	{ "MaxIOSize", NULL, "the kernel target's maximum transfer size is fixed per transport", 1, 1 },
	{ "IOUnitSize", NULL, na_buf, 1, 1 },
	{ "MaxAQDepth", NULL, "the kernel target's admin queue depth is fixed", 1, 1 },
	{ "NumSharedBuffers", NULL, na_buf, 1, 1 },
	{ "BufCacheSize", NULL, na_buf, 1, 1 },
	{ "MaxSRQDepth", NULL, "nvmet-rdma sizes its SRQs itself (module parameter srq_size)", 1, 1 },
	{ "NoSRQ", NULL, "nvmet-rdma's use_srq module parameter controls SRQs", 1, 1 },
	{ "C2HSuccess", NULL, "nvmet-tcp decides C2H success optimisation itself", 1, 1 },
	{ "SockPriority", NULL, "nvmet-tcp's so_priority module parameter sets this", 1, 1 },
	{ "DifInsertOrStrip", NULL, "protection information is set per port/subsystem (pi_enable), not supported by nvmetd yet", 1, 1 },
	{ 0 },
};

static const struct key_def nvme_keys[] = {
	{ "TransportID", k_transport_id, NULL, 2, 2 },
	{ "HotplugEnable", k_hotplug, NULL, 1, 1 },
	{ "RetryCount", NULL, na_host, 1, 1 },
	{ "NvmeRetryCount", NULL, na_host, 1, 1 },
	{ "TimeoutUsec", NULL, na_host, 1, 1 },
	{ "Timeout", NULL, na_host, 1, 1 },
	{ "NvmeTimeoutValue", NULL, na_host, 1, 1 },
	{ "ActionOnTimeout", NULL, na_host, 1, 1 },
	{ "ResetControllerOnTimeout", NULL, na_host, 1, 1 },
	{ "AdminPollRate", NULL, na_poll, 1, 1 },
	{ "HotplugPollRate", NULL, "nvmetd learns of SSD hotplug from udev events, not by polling", 1, 1 },
	{ "HostNQN", NULL, "only used when SPDK attaches to remote NVMe-oF controllers", 1, 1 },
	{ 0 },
};

/* ---- [Discovery]: the discovery service every port offers ---- */

static int k_disc_nqn(struct kctx *k)
{
	struct nv_model *m = k->ps->c->model;
	const char *nqn = val(k, 0);

	if (m->discovery_nqn)
		return kerr(k, "is set twice (line %u)", m->discovery_line);
	if (strlen(nqn) > NVMF_NQN_MAX)
		return kerr(k, "NQN is %zu bytes long; NVMe allows at most %d", strlen(nqn), NVMF_NQN_MAX);
	if (!*nqn || !printable_ascii(nqn) || strchr(nqn, ' '))
		return kerr(k, "'%s' is not a valid NQN (no spaces or control characters)", nqn);
	if (strncmp(nqn, "nqn.", 4))
		kinfo(k, NV_WARN, "'%s' does not start with \"nqn.\"; initiators may reject it", nqn);
	m->discovery_nqn = xstrdup(nqn);
	m->discovery_line = entry(k)->line;
	kinfo(k, NV_APPLIED, "discovery_nqn = %s (6.x kernels with a unique discovery NQN)", nqn);
	return 0;
}

static int k_referral(struct kctx *k)
{
	struct listen l = { 0 };

	if (parse_address(k, 0, &l) < 0)
		return -EINVAL;
	for (size_t i = 0; i < k->ps->nrefs; i++) {
		const struct listen *o = &k->ps->refs[i];
		if (streq(o->trtype, l.trtype) && streq(o->traddr, l.traddr) && streq(o->trsvcid, l.trsvcid)) {
			unsigned line = o->line;
			listen_free(&l);
			return kerr(k, "repeats the referral on line %u", line);
		}
	}
	*(struct listen *)array_push(&k->ps->refs, &k->ps->nrefs, sizeof(l)) = l;
	kinfo(k, NV_APPLIED, "ports/*/referrals/%s-%s-%s on every port", l.trtype, l.traddr, l.trsvcid);
	return 0;
}

/* ---- [Cluster]: one identity on every node ---- */
static int k_cntlids(struct kctx *k)
{
	struct nv_config *c = k->ps->c;
	int r = role_parse_range(val(k, 0), &c->cntlid_min, &c->cntlid_max);

	if (r < 0) {
		c->cntlid_min = c->cntlid_max = 0;
		return kerr(k, "'%s' is not a controller-ID range MIN-MAX with 1 <= MIN < MAX <= %u (e.g. 1-32759 on "
			    "one node, 32760-65519 on the other)", val(k, 0), NVMET_CNTLID_MAX);
	}
	kinfo(k, NV_APPLIED, "attr_cntlid_min = %u, attr_cntlid_max = %u on every subsystem: this node's controller "
	      "IDs (other nodes need ranges disjoint from it)", c->cntlid_min, c->cntlid_max);
	return 0;
}

static int begin_cluster(struct kctx *k)
{
	k->ps->c->cluster = true;
	k->ps->c->cluster_line = k->sec->line;
	report_add(k->ps->rep, NV_APPLIED, k->ps->file, k->sec->line, "Cluster",
		   "[Cluster]: every subsystem must fix its identity (SN, MN; each Namespace its NSID and UUID), "
		   "so all nodes present the same one");
	return 0;
}

static const struct key_def cluster_keys[] = {
	{ "ControllerIDs", k_cntlids, NULL, 1, 1 },
	{ 0 },
};

static const struct key_def discovery_keys[] = {
	{ "NQN", k_disc_nqn, NULL, 1, 1 },
	{ "Referral", k_referral, NULL, 2, 2 },
	{ 0 },
};

/* ---- [HostN]: DH-HMAC-CHAP credentials ---- */
static int k_host_nqn(struct kctx *k)
{
	if (check_nqn(k, val(k, 0)) < 0)
		return -EINVAL;
	if (k->cred->nqn)
		return kerr(k, "[%s] already has NQN %s", k->sec->name, k->cred->nqn);
	for (size_t i = 0; i < k->ps->c->ncreds; i++)
		if (&k->ps->c->creds[i] != k->cred && streq_ptr(k->ps->c->creds[i].nqn, val(k, 0)))
			return kerr(k, "host %s already has credentials (line %u): one host, one key", val(k, 0),
				    k->ps->c->creds[i].line);
	k->cred->nqn = xstrdup(val(k, 0));
	return 0;
}

/* The file is read and checked here, once: build_host_creds takes the secret from ps->keys. */
static int key_file(struct kctx *k, char **dst)
{
	enum key_kind kind = dst == &k->cred->tls_key_file ? KEY_TLS : KEY_DHCHAP;
	const char *secret, *why;

	if (*dst)
		return kerr(k, "given twice");
	if (keyfile_load(&k->ps->keys, val(k, 0), kind, &secret, &why) < 0)
		return kerr(k, "%s %s", val(k, 0), why);
	*dst = xstrdup(val(k, 0));
	if (kind == KEY_TLS)
		kinfo(k, NV_APPLIED, "the .nvme keyring: a retained PSK per subsystem this host reaches over a TLS "
		      "port (derived from %s)", val(k, 0));
	else
		kinfo(k, NV_APPLIED, "hosts/<NQN>/%s = (secret from %s)",
		      dst == &k->cred->key_file ? "dhchap_key" : "dhchap_ctrl_key", val(k, 0));
	return 0;
}

static int k_tls_key(struct kctx *k) { return key_file(k, &k->cred->tls_key_file); }

static int k_dhchap_key(struct kctx *k) { return key_file(k, &k->cred->key_file); }
static int k_dhchap_ctrl_key(struct kctx *k) { return key_file(k, &k->cred->ctrl_key_file); }

static int k_dhchap_hash(struct kctx *k)
{
	if (!dhchap_hash_valid(val(k, 0)))
		return kerr(k, "'%s' is not hmac(sha256), hmac(sha384) or hmac(sha512)", val(k, 0));
	free(k->cred->hash);
	k->cred->hash = xstrdup(val(k, 0));
	kinfo(k, NV_APPLIED, "hosts/<NQN>/dhchap_hash = %s", val(k, 0));
	return 0;
}

static int k_dhchap_group(struct kctx *k)
{
	if (!dhchap_dhgroup_valid(val(k, 0)))
		return kerr(k, "'%s' is not null, ffdhe2048, ffdhe3072, ffdhe4096, ffdhe6144 or ffdhe8192", val(k, 0));
	free(k->cred->dhgroup);
	k->cred->dhgroup = xstrdup(val(k, 0));
	kinfo(k, NV_APPLIED, "hosts/<NQN>/dhchap_dhgroup = %s", val(k, 0));
	return 0;
}

static const struct key_def host_keys[] = {
	{ "NQN", k_host_nqn, NULL, 1, 1 },
	{ "DhchapKey", k_dhchap_key, NULL, 1, 1 },
	{ "DhchapCtrlKey", k_dhchap_ctrl_key, NULL, 1, 1 },
	{ "DhchapHash", k_dhchap_hash, NULL, 1, 1 },
	{ "DhchapDHGroup", k_dhchap_group, NULL, 1, 1 },
	{ "TlsKey", k_tls_key, NULL, 1, 1 },
	{ 0 },
};

/* ---- [Keyring]: names for key files (SPDK's keyring_file_add_key) ---- */
static int k_keyring_key(struct kctx *k)
{
	const char *name = val(k, 0), *path = val(k, 1), *secret, *why, *why2;
	struct nv_keyname *kn;

	if (strchr(keyring_bare_name(name), ':') || !*keyring_bare_name(name))
		return kerr(k, "'%s' is not a key name (SPDK's global keyring: no ':' but a leading one)", name);
	if (spdkconf_key_by_name(k->ps->c, name))
		return kerr(k, "key %s is named twice (line %u)", name, spdkconf_key_by_name(k->ps->c, name)->line);
	if (path[0] != '/')
		return kerr(k, "%s: not an absolute path", path);
	if (keyfile_load(&k->ps->keys, path, KEY_DHCHAP, &secret, &why) < 0 &&
	    keyfile_load(&k->ps->keys, path, KEY_TLS, &secret, &why2) < 0) {
		if (streq_ptr(why, why2))
			return kerr(k, "%s %s", path, why);
		return kerr(k, "%s holds neither kind of key: %s (as a DH-HMAC-CHAP key); %s (as a TLS PSK)", path, why,
			    why2 ? why2 : "?");
	}
	kn = array_push(&k->ps->c->keyring, &k->ps->c->nkeyring, sizeof(*kn));
	kn->name = xstrdup(name);
	kn->path = xstrdup(path);
	kn->line = k->e->line;
	kinfo(k, NV_APPLIED, "key %s names %s (for SPDK JSON-RPC's keyring methods)", name, path);
	return 0;
}

static const struct key_def keyring_keys[] = {
	{ "Key", k_keyring_key, NULL, 2, 2 },
	{ 0 },
};

const char *keyring_bare_name(const char *name)
{
	return name[0] == ':' ? name + 1 : name;
}

const struct nv_keyname *spdkconf_key_by_name(const struct nv_config *c, const char *name)
{
	for (size_t i = 0; i < c->nkeyring; i++)
		if (streq(keyring_bare_name(c->keyring[i].name), keyring_bare_name(name)))
			return &c->keyring[i];
	return NULL;
}

const struct nv_keyname *spdkconf_key_by_path(const struct nv_config *c, const char *path)
{
	for (size_t i = 0; path && i < c->nkeyring; i++)
		if (streq(c->keyring[i].path, path))
			return &c->keyring[i];
	return NULL;
}

static const struct nv_hostcred *cred_of(const struct nv_config *c, const char *nqn)
{
	for (size_t i = 0; i < c->ncreds; i++)
		if (streq_ptr(c->creds[i].nqn, nqn))
			return &c->creds[i];
	return NULL;
}

static bool any_host_allowed(const struct nv_model *m)
{
	for (size_t i = 0; i < m->nsubsys; i++)
		if (streq_ptr(attrs_get(&m->subsys[i].attrs, "attr_allow_any_host"), "1"))
			return true;
	return false;
}

/* The credentials become the host's attributes in the desired model, with the secrets key_file read
 * (the value is secret; `why` names the file, which is all any message shows). */
static int build_host_creds(struct pstate *ps)
{
	struct nv_model *m = ps->c->model;

	for (size_t i = 0; i < ps->c->ncreds; i++) {
		const struct nv_hostcred *cr = &ps->c->creds[i];
		const char *files[2] = { cr->key_file, cr->ctrl_key_file };
		const char *names[2] = { "dhchap_key", "dhchap_ctrl_key" };
		struct nv_host *h = model_host(m, cr->nqn);

		if (!h) {
			/* a TLS-only host may reach subsystems that allow any host */
			if (cr->key_file || !any_host_allowed(m))
				report_add(ps->rep, NV_WARN, ps->file, cr->line, NULL,
					   "host %s has credentials but no subsystem lists it (Host %s)", cr->nqn, cr->nqn);
			h = array_push(&m->hosts, &m->nhosts, sizeof(*h));
			h->nqn = xstrdup(cr->nqn);
		}
		for (int k = 0; k < 3; k++) {
			const char *secret, *why;
			const char *f = k < 2 ? files[k] : cr->tls_key_file;
			if (!f)
				continue;
			if (keyfile_load(&ps->keys, f, k < 2 ? KEY_DHCHAP : KEY_TLS, &secret, &why) < 0) {
				report_add(ps->rep, NV_ERROR, ps->file, cr->line, NULL, "%s %s", f, why);
				return -EINVAL;
			}
			if (k == 2) {
				h->tls_psk = xstrdup(secret);
				h->tls_file = xstrdup(f);
			} else {
				attrs_set(&h->attrs, names[k], secret)->why = xstrdup(f);
			}
		}
		if (cr->hash)
			attrs_set(&h->attrs, "dhchap_hash", cr->hash)->why = xstrdup("DhchapHash");
		if (cr->dhgroup)
			attrs_set(&h->attrs, "dhchap_dhgroup", cr->dhgroup)->why = xstrdup("DhchapDHGroup");
	}
	return 0;
}

static const struct key_def subsys_keys[] = {
	{ "NQN", k_nqn, NULL, 1, 1 },
	{ "Listen", k_listen, NULL, 2, 4 },
	{ "AllowAnyHost", k_allow_any, NULL, 1, 1 },
	{ "Host", k_host, NULL, 1, 1 },
	{ "SN", k_sn, NULL, 1, 1 },
	{ "MN", k_mn, NULL, 1, 1 },
	{ "Namespace", k_namespace, NULL, 1, 3 },
	{ "MaxQueuesPerSession", k_max_queues, NULL, 1, 1 },
	{ "ControllerIDs", k_ss_cntlids, NULL, 1, 1 },
	{ "MaxNamespaces", NULL, "the kernel accepts namespaces up to NSID 0xfffffffe without a preset limit", 1, 1 },
	{ "Core", NULL, "SPDK no longer pins subsystems to cores; see [Global] ReactorMask", 1, 1 },
	{ "Mode", k_mode, NULL, 1, 1 },
	{ "NVMe", k_direct_nvme, NULL, 1, 8 },
	{ 0 },
};

static const struct key_def aio_keys[] = {
	{ "AIO", k_aio, NULL, 2, 3 },
	{ 0 },
};

static const struct key_def malloc_keys[] = {
	{ "NumberOfLuns", k_malloc_num, NULL, 1, 1 },
	{ "LunSizeInMB", k_malloc_size, NULL, 1, 1 },
	{ "BlockSize", k_malloc_bs, NULL, 1, 1 },
	{ 0 },
};

/* Keys compare case-insensitively, as SPDK's parser does (so its older spelling "TransportId" is
 * "TransportID"); a key the table lacks is NULL. */
static const struct key_def *find_key(const struct key_def *table, const char *key)
{
	for (const struct key_def *t = table; t->key; t++)
		if (!strcasecmp(t->key, key))
			return t;
	return NULL;
}

static int run_keys(struct kctx *k, const struct key_def *table)
{
	int ret = 0;

	for (size_t i = 0; i < k->sec->n; i++) {
		const struct key_def *d;

		k->e = &k->sec->e[i];
		d = find_key(table, k->e->key);
		if (!d) {
			_cleanup_free_ char *kn = keyname(k);
			enum nv_severity sev = k->ps->rep->strict ? NV_ERROR : NV_WARN;
			report_add(k->ps->rep, sev, k->ps->file, k->e->line, kn, "unknown key '%s' in [%s]%s",
				   k->e->key, k->sec->name, sev == NV_WARN ? " (ignored)" : "");
			if (sev == NV_ERROR)
				ret = -EINVAL;
			continue;
		}
		if ((int)k->e->nvals < d->min_vals || (int)k->e->nvals > d->max_vals) {
			if (d->min_vals == d->max_vals)
				kerr(k, "takes %d value%s, got %zu", d->min_vals, d->min_vals == 1 ? "" : "s", k->e->nvals);
			else
				kerr(k, "takes %d to %d values, got %zu", d->min_vals, d->max_vals, k->e->nvals);
			ret = -EINVAL;
			continue;
		}
		if (!d->fn) {
			kinfo(k, NV_NOT_APPLICABLE, "%s", d->na);
			continue;
		}
		if (d->fn(k) < 0)
			ret = -EINVAL;
	}
	return ret;
}

static bool section_is(const char *name, const char *prefix, bool numbered)
{
	size_t n = strlen(prefix);

	if (strncasecmp(name, prefix, n))
		return false;
	if (!numbered)
		return name[n] == '\0';
	return true; /* SPDK matches any suffix */
}

/* [Cluster]: the subsystem's serial and model fixed, this node's controller-ID range on it. */
static int cluster_identity(struct pstate *ps, struct ini_section *sec, struct nv_subsys *s)
{
	const struct nv_config *c = ps->c;
	char buf[16];
	int ret = 0;

	if (!c->cluster)
		return 0;
	if (!attrs_get(&s->attrs, "attr_serial")) {
		report_add(ps->rep, NV_ERROR, ps->file, sec->line, NULL,
			   "[%s] has no SN: with [Cluster] (line %u) every node must present the same serial number, and "
			   "the kernel would pick a random one on each — add SN (the same on every node)", sec->name,
			   c->cluster_line);
		ret = -EINVAL;
	}
	if (!attrs_get(&s->attrs, "attr_model")) {
		report_add(ps->rep, NV_ERROR, ps->file, sec->line, NULL,
			   "[%s] has no MN: with [Cluster] (line %u) every node must present the same model, not each "
			   "kernel's default — add MN (the same on every node)", sec->name, c->cluster_line);
		ret = -EINVAL;
	}
	if (c->cntlid_min) {
		snprintf(buf, sizeof(buf), "%u", c->cntlid_min);
		attrs_set(&s->attrs, "attr_cntlid_min", buf)->why = xstrdup("[Cluster] ControllerIDs");
		snprintf(buf, sizeof(buf), "%u", c->cntlid_max);
		attrs_set(&s->attrs, "attr_cntlid_max", buf)->why = xstrdup("[Cluster] ControllerIDs");
	}
	return ret;
}

static int finish_subsystem(struct pstate *ps, struct ini_section *sec, size_t ss)
{
	struct nv_subsys *s = &ps->c->model->subsys[ss];
	typeof(*ps->acl) *a = &ps->acl[ss];

	if (!s->nqn) {
		report_add(ps->rep, NV_ERROR, ps->file, sec->line, NULL, "[%s] has no NQN", sec->name);
		return -EINVAL;
	}
	if (cluster_identity(ps, sec, s) < 0)
		return -EINVAL;
	if (!attrs_get(&s->attrs, "attr_serial"))
		report_add(ps->rep, NV_WARN, ps->file, sec->line, NULL,
			   "[%s] has no SN (SPDK requires one); the kernel picks a random serial number", sec->name);
	attrs_set(&s->attrs, "attr_allow_any_host", a->any_host ? "1" : "0")->why = xstrdup("AllowAnyHost");
	for (size_t i = 0; i < a->nhosts; i++) {
		_cleanup_free_ char *kn = xasprintf("[%s] Host", sec->name);
		const struct nv_hostcred *cr = cred_of(ps->c, a->hosts[i]);
		if (a->any_host && cr) {
			report_add(ps->rep, NV_ERROR, ps->file, a->any_host_line, kn,
				   "AllowAnyHost Yes, but host %s has DH-HMAC-CHAP keys (line %u): the kernel skips "
				   "authentication while any host may connect — set AllowAnyHost No", a->hosts[i], cr->line);
			return -EINVAL;
		}
		if (a->any_host) {
			report_add(ps->rep, NV_WARN, ps->file, a->host_lines[i], kn,
				   "Host %s has no effect: AllowAnyHost Yes (line %u) lets every host connect, "
				   "and the kernel refuses allowed_hosts entries while attr_allow_any_host is 1; "
				   "set AllowAnyHost No to restrict access to the listed hosts",
				   a->hosts[i], a->any_host_line);
			continue;
		}
		strv_add_unique(&s->hosts, &s->nhosts, a->hosts[i]);
		if (!model_host(ps->c->model, a->hosts[i])) {
			struct nv_host *h = array_push(&ps->c->model->hosts, &ps->c->model->nhosts, sizeof(*h));
			h->nqn = xstrdup(a->hosts[i]);
		}
		report_add(ps->rep, NV_APPLIED, ps->file, a->host_lines[i], kn,
			   "hosts/%s, linked into subsystems/%s/allowed_hosts", a->hosts[i], s->nqn);
	}
	if (!a->any_host && !a->nhosts)
		report_add(ps->rep, NV_WARN, ps->file, sec->line, NULL,
			   "[%s] allows no host: add Host lines or AllowAnyHost Yes", sec->name);
	return 0;
}

static const struct tparams *tparams_for(const struct pstate *ps, const char *trtype)
{
	for (size_t i = 1; i < ps->ntp; i++)
		if (ps->tp[i].trtype && streq(ps->tp[i].trtype, trtype))
			return &ps->tp[i];
	return NULL;
}

static long long pick(long long specific, long long global)
{
	return specific >= 0 ? specific : global;
}

/* qid_max from a MaxQueuesPerSession that applies (mq > 0), unless the subsystem has one already. */
static void set_qid_max(struct nv_subsys *s, long long mq)
{
	char buf[32];

	if (attrs_get(&s->attrs, "attr_qid_max") || mq <= 0)
		return;
	snprintf(buf, sizeof(buf), "%lld", mq - 1);
	attrs_set(&s->attrs, "attr_qid_max", buf)->why = xstrdup("MaxQueuesPerSession");
}

/* A new port for a Listen address, with its transport's (else [Nvmf]'s) queue and in-capsule sizes. */
static struct nv_port *new_port(struct pstate *ps, const struct listen *l, const struct tparams *tp)
{
	struct nv_model *m = ps->c->model;
	struct nv_port *p = array_push(&m->ports, &m->nports, sizeof(*p));
	long long qd, is;
	char buf[32];

	p->line = l->line;
	attrs_set(&p->attrs, "addr_trtype", l->trtype);
	attrs_set(&p->attrs, "addr_adrfam", l->adrfam);
	attrs_set(&p->attrs, "addr_traddr", l->traddr);
	attrs_set(&p->attrs, "addr_trsvcid", l->trsvcid);
	/* TLS: tsas after trtype (writing trtype resets it), then treq; a TCP port without tls is
	 * made plain again (where the kernel has addr_tsas: 6.1 has not) */
	if (l->tls) {
		attrs_set(&p->attrs, "addr_tsas", "tls1.3")->why = xstrdup("Listen ... tls");
		attrs_set(&p->attrs, "addr_treq", "required")->why = xstrdup("Listen ... tls");
	} else if (streq(l->trtype, "tcp")) {
		struct nv_attr *at = attrs_set(&p->attrs, "addr_tsas", "none");
		at->optional = true;
		at->why = xstrdup("Listen without tls");
	}
	qd = pick(tp ? tp->queue_depth : -1, ps->tp[0].queue_depth);
	if (qd >= 0) {
		if (streq(l->trtype, "rdma") && qd > NVMET_RDMA_MAX_QUEUE_SIZE)
			qd = NVMET_RDMA_MAX_QUEUE_SIZE;
		snprintf(buf, sizeof(buf), "%lld", qd);
		struct nv_attr *at = attrs_set(&p->attrs, "param_max_queue_size", buf);
		at->optional = true;
		at->why = xstrdup("MaxQueueDepth");
	}
	is = pick(tp ? tp->inline_size : -1, ps->tp[0].inline_size);
	if (is >= 0) {
		if (streq(l->trtype, "rdma") && is > NVMET_RDMA_MAX_INLINE)
			is = NVMET_RDMA_MAX_INLINE;
		snprintf(buf, sizeof(buf), "%lld", is);
		attrs_set(&p->attrs, "param_inline_data_size", buf)->why = xstrdup("InCapsuleDataSize");
	}
	return p;
}

/* ANA: one state per address (the port's group 1, which every namespace is in). */
static int set_port_ana(struct pstate *ps, struct nv_port *p, const struct listen *l)
{
	if (l->ana) {
		if (p->ana_state && !streq(p->ana_state, l->ana) && p->ana_line) {
			report_add(ps->rep, NV_ERROR, ps->file, l->line, "Listen",
				   "Listen %s %s:%s %s, but line %u wants %s on the same address: the ANA state is per "
				   "address (its port's ANA group); give the subsystems different addresses",
				   conf_trtype_upper(l->trtype), l->traddr, l->trsvcid, l->ana, p->ana_line, p->ana_state);
			return -EINVAL;
		}
		if (!p->ana_line) {
			free(p->ana_state);
			p->ana_state = xstrdup(l->ana);
			p->ana_line = l->line;
		}
	} else if (!p->ana_state) {
		p->ana_state = xstrdup("optimized");
	}
	return 0;
}

/* The [Discovery] referrals, which every port's discovery controller reports. */
static void add_referrals(struct pstate *ps)
{
	struct nv_config *c = ps->c;
	struct nv_model *m = c->model;

	for (size_t r = 0; r < ps->nrefs; r++) {
		const struct listen *l = &ps->refs[r];
		struct nv_referral *ref = array_push(&c->referrals, &c->nreferrals, sizeof(*ref));
		ref->name = referral_name(l->trtype, l->traddr, l->trsvcid);
		attrs_set(&ref->attrs, "addr_trtype", l->trtype);
		attrs_set(&ref->attrs, "addr_adrfam", l->adrfam);
		attrs_set(&ref->attrs, "addr_traddr", l->traddr);
		attrs_set(&ref->attrs, "addr_trsvcid", l->trsvcid);
		ref->enable = true;
		ref->line = l->line;
	}
	for (size_t i = 0; i < m->nports; i++)
		port_add_referrals(&m->ports[i], c->referrals, c->nreferrals);
	if (ps->nrefs && !m->nports)
		report_add(ps->rep, NV_WARN, ps->file, ps->refs[0].line, NULL,
			   "[Discovery] Referral has no effect: referrals are served by the ports, and no subsystem Listens");
}

/* One port per Listen address (the subsystems listening there linked to it), then the referrals. */
static int build_ports(struct pstate *ps)
{
	struct nv_model *m = ps->c->model;
	struct strmap index = { 0 };	/* "trtype traddr trsvcid" -> port: linear in the Listen lines */
	int ret = 0;

	for (size_t i = 0; i < ps->nls; i++) {
		const struct listen *l = &ps->ls[i];
		const struct tparams *tp = tparams_for(ps, l->trtype);
		struct nv_subsys *s = &m->subsys[l->ss];
		_cleanup_free_ char *key = xasprintf("%s %s %s", l->trtype, l->traddr, l->trsvcid);
		struct nv_port *p;
		size_t known;

		p = strmap_add(&index, key, m->nports, &known) ? new_port(ps, l, tp) : &m->ports[known];
		if (set_port_ana(ps, p, l) < 0)
			ret = -EINVAL;
		if (port_tls(p) != l->tls) {
			report_add(ps->rep, NV_ERROR, ps->file, l->line, "Listen",
				   "Listen TCP %s:%s%s, but line %u %s on the same address: TLS is per address (its "
				   "port, the discovery service's too); say tls on every Listen of it or on none",
				   l->traddr, l->trsvcid, l->tls ? " tls" : "", p->line,
				   l->tls ? "does not say tls" : "says tls");
			ret = -EINVAL;
		}
		/* a second Listen of this subsystem on the same port: model_sort drops the duplicate */
		*(char **)array_push(&p->subsys, &p->nsubsys, sizeof(char *)) = xstrdup(s->nqn);
		/* qid_max: the subsystem's own key, else its first transport's, else [Nvmf]'s */
		set_qid_max(s, pick(ps->ss_max_queues[l->ss],
				    pick(tp ? tp->max_queues : -1, ps->tp[0].max_queues)));
	}
	add_referrals(ps);
	/* Subsystems that listen nowhere still take [Nvmf]/own MaxQueuesPerSession. */
	for (size_t i = 0; i < m->nsubsys; i++)
		if (m->subsys[i].nqn)
			set_qid_max(&m->subsys[i], pick(ps->ss_max_queues[i], ps->tp[0].max_queues));
	strmap_free(&index);
	return ret;
}

static void pstate_free(struct pstate *ps)
{
	for (size_t i = 0; i < ps->nls; i++)
		listen_free(&ps->ls[i]);
	free(ps->ls);
	for (size_t i = 0; i < ps->nrefs; i++)
		listen_free(&ps->refs[i]);
	free(ps->refs);
	for (size_t i = 0; i < ps->ntp; i++)
		free(ps->tp[i].trtype);
	free(ps->tp);
	free(ps->ss_max_queues);
	strmap_free(&ps->nqns);
	if (ps->acl)
		for (size_t i = 0; i < ps->c->model->nsubsys; i++) {
			strv_free(ps->acl[i].hosts, ps->acl[i].nhosts);
			free(ps->acl[i].host_lines);
		}
	free(ps->acl);
	keyfile_cache_free(&ps->keys);
}

static int begin_nvmf(struct kctx *k)
{
	k->tp = &k->ps->tp[0];
	return 0;
}

static int begin_transport(struct kctx *k)
{
	struct pstate *ps = k->ps;

	ps->tp = xrealloc(ps->tp, (ps->ntp + 1) * sizeof(*ps->tp));
	memset(&ps->tp[ps->ntp], 0, sizeof(*ps->tp));
	k->tp = &ps->tp[ps->ntp++];
	k->tp->max_queues = k->tp->queue_depth = k->tp->inline_size = -1;
	return 0;
}

static int end_transport(struct kctx *k)
{
	if (k->tp->trtype)
		return 0;
	report_add(k->ps->rep, NV_ERROR, k->ps->file, k->sec->line, NULL, "[%s] has no Type", k->sec->name);
	return -EINVAL;
}

static int begin_host(struct kctx *k)
{
	k->cred = array_push(&k->ps->c->creds, &k->ps->c->ncreds, sizeof(*k->cred));
	k->cred->line = k->sec->line;
	return 0;
}

static int end_host(struct kctx *k)
{
	if (!k->cred->nqn) {
		report_add(k->ps->rep, NV_ERROR, k->ps->file, k->sec->line, NULL, "[%s] has no NQN", k->sec->name);
		return -EINVAL;
	}
	if (!k->cred->key_file && (k->cred->ctrl_key_file || !k->cred->tls_key_file)) {
		report_add(k->ps->rep, NV_ERROR, k->ps->file, k->sec->line, NULL,
			   k->cred->ctrl_key_file ? "[%s] has no DhchapKey (a controller key alone authenticates nobody)"
						  : "[%s] has no DhchapKey or TlsKey", k->sec->name);
		return -EINVAL;
	}
	return 0;
}

/* A kind of section: its name (numbered: any suffix, as SPDK matches), the keys it takes, and what
 * is set up before and checked after them. keys NULL: na says why the section does not apply, or
 * (na NULL) it is interpreted in pass 2. */
struct section_def {
	const char *name;
	bool numbered;
	const struct key_def *keys;
	int (*begin)(struct kctx *k);
	int (*end)(struct kctx *k);
	const char *na;
};

#define BDEV_TUNING "SPDK bdev-layer tuning; the kernel block layer needs none"

/* Pass 1's sections: devices, transport settings and hosts, which subsystem sections refer to. */
static const struct section_def sections[] = {
	{ "Global", false, global_keys, NULL, NULL, NULL },
	{ "Nvmf", false, nvmf_keys, begin_nvmf, NULL, NULL },
	{ "Transport", true, transport_keys, begin_transport, end_transport, NULL },
	{ "Nvme", false, nvme_keys, NULL, NULL, NULL },
	{ "AIO", false, aio_keys, NULL, NULL, NULL },
	{ "Malloc", false, malloc_keys, NULL, NULL, NULL },
	{ "Subsystem", true, NULL, NULL, NULL, NULL },
	{ "Host", true, host_keys, begin_host, end_host, NULL },
	{ "Keyring", false, keyring_keys, NULL, NULL, NULL },
	{ "Discovery", false, discovery_keys, NULL, NULL, NULL },
	{ "Cluster", false, cluster_keys, begin_cluster, NULL, NULL },
	{ "Bdev", false, NULL, NULL, NULL, BDEV_TUNING },
	{ "QoS", false, NULL, NULL, NULL, BDEV_TUNING },
	{ "Ioat", false, NULL, NULL, NULL, BDEV_TUNING },
	{ 0 },
};

static const struct section_def *find_section(const char *name)
{
	for (const struct section_def *d = sections; d->name; d++)
		if (section_is(name, d->name, d->numbered))
			return d;
	return NULL;
}

/* Pass 1 for one section. Returns 0 or -EINVAL. */
static int run_section(struct pstate *ps, struct ini_section *sec)
{
	const struct section_def *d = find_section(sec->name);
	struct kctx k = { .ps = ps, .sec = sec };
	int ret;

	if (!d) {
		enum nv_severity sev = ps->rep->strict ? NV_ERROR : NV_WARN;
		report_add(ps->rep, sev, ps->file, sec->line, sec->name,
			   "section [%s] is not supported by nvmetd%s", sec->name, sev == NV_WARN ? " (ignored)" : "");
		return sev == NV_ERROR ? -EINVAL : 0;
	}
	if (d->na) {
		report_add(ps->rep, NV_NOT_APPLICABLE, ps->file, sec->line, sec->name, "[%s]: %s", sec->name,
			   d->na);
		return 0;
	}
	if (!d->keys)
		return 0;
	ret = d->begin ? d->begin(&k) : 0;
	if (run_keys(&k, d->keys) < 0)
		ret = -EINVAL;
	if (d->end && d->end(&k) < 0)
		ret = -EINVAL;
	return ret;
}

/* Pass 2: subsystems. */
static int run_subsystems(struct pstate *ps, struct ini_file *ini)
{
	struct nv_model *m = ps->c->model;
	int ret = 0;

	for (size_t i = 0; i < ini->n; i++) {
		struct kctx k = { .ps = ps, .sec = &ini->s[i] };
		struct nv_subsys *s;

		if (!section_is(ini->s[i].name, "Subsystem", true))
			continue;
		k.ss = m->nsubsys;
		s = array_push(&m->subsys, &m->nsubsys, sizeof(*s));
		s->line = ini->s[i].line;
		ps->ss_max_queues[k.ss] = -1;
		if (run_keys(&k, subsys_keys) < 0)
			ret = -EINVAL;
		if (finish_subsystem(ps, &ini->s[i], k.ss) < 0)
			ret = -EINVAL;
	}
	return ret;
}

/* The kernel refuses a discovery NQN that begins any subsystem's NQN. */
static int check_discovery_nqn(struct pstate *ps)
{
	const struct nv_model *m = ps->c->model;
	int ret = 0;

	for (size_t i = 0; m->discovery_nqn && i < m->nsubsys; i++) {
		const struct nv_subsys *ss = &m->subsys[i];
		if (ss->nqn && !strncmp(ss->nqn, m->discovery_nqn, strlen(m->discovery_nqn))) {
			report_add(ps->rep, NV_ERROR, ps->file, m->discovery_line, "[Discovery] NQN",
				   "[Discovery] NQN %s %s the NQN of the subsystem on line %u; the kernel refuses a "
				   "discovery NQN that is (the start of) a subsystem's — choose another",
				   m->discovery_nqn, streq(ss->nqn, m->discovery_nqn) ? "is" : "begins", ss->line);
			ret = -EINVAL;
		}
	}
	return ret;
}

static int interpret(struct ini_file *ini, struct nv_config *c, const struct nv_config *base, struct nv_report *rep)
{
	struct pstate ps = { .c = c, .base = base, .rep = rep, .file = ini->path };
	size_t nsub = 0;
	int ret = 0;

	for (size_t i = 0; i < ini->n; i++)
		nsub += section_is(ini->s[i].name, "Subsystem", true);
	ps.ss_max_queues = xcalloc(nsub, sizeof(long long));
	ps.acl = xcalloc(nsub, sizeof(*ps.acl));
	ps.tp = xcalloc(1, sizeof(*ps.tp));
	ps.ntp = 1;
	ps.tp[0].max_queues = ps.tp[0].queue_depth = ps.tp[0].inline_size = -1;

	for (size_t i = 0; i < ini->n; i++)
		if (run_section(&ps, &ini->s[i]) < 0)
			ret = -EINVAL;
	if (c->malloc_line && !c->malloc_size_mb) {
		report_add(rep, NV_ERROR, ini->path, c->malloc_line, NULL, "[Malloc] needs LunSizeInMB");
		ret = -EINVAL;
	}
	if (!c->malloc_block_size)
		c->malloc_block_size = 512;
	if (run_subsystems(&ps, ini) < 0)
		ret = -EINVAL;
	if (check_discovery_nqn(&ps) < 0)
		ret = -EINVAL;
	if (ret == 0 && build_ports(&ps) < 0)
		ret = -EINVAL;
	if (ret == 0 && build_host_creds(&ps) < 0)
		ret = -EINVAL;
	pstate_free(&ps);
	return ret;
}

int spdkconf_from_text_base(const char *path, const char *text, const struct nv_config *base, struct nv_config **out,
			    struct nv_report *rep)
{
	_cleanup_(ini_freep) struct ini_file *ini = NULL;
	struct nv_config *c;
	int r;

	*out = NULL;
	r = ini_parse(path, text, &ini, rep);
	if (r < 0)
		return r;
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	c->model = xcalloc(1, sizeof(*c->model));
	c->aio_index.nocase = true;
	r = interpret(ini, c, base, rep);
	if (r < 0 || report_count(rep, NV_ERROR)) {
		spdkconf_free(c);
		return -EINVAL;
	}
	model_sort(c->model);
	*out = c;
	return 0;
}

int spdkconf_from_text(const char *path, const char *text, struct nv_config **out, struct nv_report *rep)
{
	return spdkconf_from_text_base(path, text, NULL, out, rep);
}

/* Longest logical line: SPDK's own parser reads lines into fixed buffers far shorter than this. */
#define CONFIG_LINE_MAX (64u << 10)

int spdkconf_from_buf(const char *path, const char *text, size_t len, struct nv_config **out, struct nv_report *rep)
{
	const char *nul = memchr(text, '\0', len);
	unsigned line = 1;
	int ret = 0;

	*out = NULL;
	/* every line is looked at once: memory and time stay linear in the input */
	for (const char *p = text, *end = text + len; p < end; line++) {
		const char *nl = memchr(p, '\n', end - p);
		size_t ll = (nl ? nl : end) - p;

		if (nul && nul >= p && nul < p + ll + 1) {
			report_add(rep, NV_ERROR, path, line, NULL, "NUL byte in the file (is it a binary file?)");
			return -EINVAL;
		}
		if (ll > CONFIG_LINE_MAX) {
			report_add(rep, NV_ERROR, path, line, NULL, "line of %zu bytes (at most %u)", ll, CONFIG_LINE_MAX);
			ret = -EINVAL;
		}
		p += ll + 1;
	}
	if (ret < 0)
		return ret;
	return spdkconf_from_text(path, text, out, rep);
}

int spdkconf_load(const char *path, struct nv_config **out, struct nv_report *rep)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	r = read_input(path, INPUT_MAX, &text, &len);
	if (r < 0) {
		report_add(rep, NV_ERROR, path, 0, NULL, "cannot read %s: %s", path, read_input_strerror(r));
		return r;
	}
	return spdkconf_from_buf(path, text, len, out, rep);
}

int spdkconf_find_bdev(const struct nv_config *c, const char *name, struct nv_bdev *b)
{
	size_t ai;

	memset(b, 0, sizeof(*b));
	if (strmap_get(&c->aio_index, name, &ai)) {
		*b = c->aio[ai];
		return 0;
	}
	for (size_t i = 0; i < c->nctrls; i++) {
		size_t l = strlen(c->ctrls[i].name);
		unsigned long long nsid;

		if (strncasecmp(name, c->ctrls[i].name, l) || (name[l] != 'n' && name[l] != 'N'))
			continue;
		if (parse_u64(name + l + 1, &nsid) < 0 || nsid == 0 || nsid >= NVMET_NSID_MAX)
			continue;
		b->name = (char *)name;
		b->kind = BDEV_NVME;
		b->bdf = c->ctrls[i].bdf;
		b->nsid = nsid;
		b->line = c->ctrls[i].line;
		return 0;
	}
	if (!strncasecmp(name, "Malloc", 6) && c->malloc_luns) {
		unsigned long long idx;
		if (parse_u64(name + 6, &idx) == 0 && idx < c->malloc_luns) {
			b->name = (char *)name;
			b->kind = BDEV_MALLOC;
			b->malloc_lun = idx;
			b->size_mb = c->malloc_size_mb;
			b->block_size = c->malloc_block_size;
			b->line = c->malloc_line;
			return 0;
		}
	}
	return -ENOENT;
}

void spdkconf_free(struct nv_config *c)
{
	if (!c)
		return;
	model_free(c->model);
	free(c->rpc_path);
	for (size_t i = 0; i < c->ncreds; i++) {
		free(c->creds[i].nqn);
		free(c->creds[i].key_file);
		free(c->creds[i].ctrl_key_file);
		free(c->creds[i].tls_key_file);
		free(c->creds[i].hash);
		free(c->creds[i].dhgroup);
	}
	free(c->creds);
	for (size_t i = 0; i < c->nkeyring; i++) {
		free(c->keyring[i].name);
		free(c->keyring[i].path);
	}
	free(c->keyring);
	for (size_t i = 0; i < c->nreferrals; i++)
		referral_free_contents(&c->referrals[i]);
	free(c->referrals);
	for (size_t i = 0; i < c->ntransports; i++)
		free(c->transports[i].trtype);
	free(c->transports);
	for (size_t i = 0; i < c->nctrls; i++) {
		free(c->ctrls[i].name);
		free(c->ctrls[i].bdf);
	}
	free(c->ctrls);
	for (size_t i = 0; i < c->naio; i++) {
		free(c->aio[i].name);
		free(c->aio[i].path);
	}
	free(c->aio);
	strmap_free(&c->aio_index);
	free(c->reactor_mask);
	free(c->path);
	free(c);
}
