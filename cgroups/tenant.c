// SPDX-License-Identifier: MIT
/*
 * tenant.c - tenant accounts
 *
 * A fixed table of TENANT_MAX slots, owned by the control thread; the id of
 * a tenant is its slot. Tenant 0, "default", exists from creation and
 * cannot be deleted. New tenants take the next free slot after the last one
 * given out (wrapping), so a deleted tenant's id is reused as late as
 * possible and a stale id held somewhere does not at once name a stranger.
 *
 * Binding: a tenant may be bound to a cgroup, given as a path (--cgroup,
 * which must exist) or as the cgroup of a process (--pid, read from
 * /proc/PID/cgroup; see cgroup.c). A process's cgroup is the one in the
 * hierarchy that holds the cpu controller: the v1 cpu path where there is
 * one (v1 and hybrid hosts), else the v2 path. The v2 path of a process
 * on such a host may name nothing of its own: "/" on a v1 host where
 * cgroup2 was ever mounted, or the container runtime's service for every
 * container whose runtime does not join the unified hierarchy; a tenant
 * bound to it would hold every application.
 *
 * Weight: an explicit weight (1..10000) overrides; otherwise the cgroup's
 * CPU weight, or TENANT_WEIGHT_DEFAULT for an unbound tenant or when no
 * weight file can be read.
 *
 * Following the cgroup: tenant_refresh(), called from the control thread's
 * timer, reads every bound tenant's weight file again (one small read per
 * tenant, cheap enough for every tick) and takes a changed weight unless
 * --weight overrides it. A cgroup that disappears or cannot be read is
 * reported once (TENANT_CGROUP_LOST) and the tenant keeps the weight it had;
 * when it can be read again that is reported once too.
 *
 * Following it without a timer: an idle vstackd should not wake twice a
 * second to read files that did not change. The table keeps an inotify
 * watch on every directory a bound tenant's weight is read from (its
 * cgroup in each hierarchy that may hold it: cgroup_weight_dirs()), for
 * writes and permission changes of cpu.weight and cpu.shares, and on each
 * such directory's parent, for the cgroup being removed, renamed or made
 * again. tenant_watch_read() tells the caller when to call
 * tenant_refresh(). A new bound tenant's watches are added; they are all
 * made afresh, on a new inotify descriptor, when a tenant is unbound or
 * rebound or a watched directory comes or goes. Where a directory or its
 * parent cannot be watched (no inotify, out of watches, the parent
 * missing too) tenant_needs_poll() says so, and the caller keeps reading
 * on its timer.
 *
 * tenant_set() replaces a tenant's settings with the spec's, field by
 * field as tenant_add() would set them, except that a spec without cgroup
 * and pid keeps the current binding. A caller changing one setting starts
 * from the current values (tenant_find()): passing the current cgroup path
 * back keeps the binding as it is, without checking it again.
 */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup.h"
#include "tenant.h"

#define TENANT_ROOT_DEFAULT "/sys/fs/cgroup"

/**
 * struct tenant_slot - a tenant and what only this module needs
 * @tn:		the tenant
 * @used:	slot holds a tenant
 */
struct tenant_slot {
	struct tenant tn;
	bool used;
};

/**
 * struct tenant_watch - one inotify watch
 * @wd:		watch descriptor (the same for every watch on one directory)
 * @name:	"" for a watch on a cgroup directory; for one on its parent,
 *		the cgroup directory's name (events about others are noise)
 */
struct tenant_watch {
	int wd;
	char name[NAME_MAX + 1];
};

/**
 * struct tenant_table - all tenants
 * @root:	cgroup root, no trailing '/'
 * @count:	tenants present
 * @next:	slot to try first for the next tenant
 * @ifd:	inotify descriptor, -1 while no tenant is bound (or none could
 *		be made)
 * @watch:	the watches on it
 * @nwatch:	their number
 * @capwatch:	room in @watch
 * @watched:	every bound tenant can be followed through @ifd
 * @slot:	tenants by id
 */
struct tenant_table {
	char root[PATH_MAX];
	unsigned count;
	uint32_t next;
	int ifd;
	struct tenant_watch *watch;
	unsigned nwatch, capwatch;
	bool watched;
	struct tenant_slot slot[TENANT_MAX];
};

/* On a cgroup directory: its weight files written or chmod'ed; itself
 * gone. On its parent: the cgroup directory made, removed, renamed. */
#define TENANT_DIR_EVENTS \
	(IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define TENANT_PARENT_EVENTS \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)

/**
 * struct tenant_binding - a resolved cgroup binding
 * @cgroup:	cgroup path, or "" for none
 */
struct tenant_binding {
	char cgroup[TENANT_CGROUP_MAX];
};

/**
 * tenant_err() - format an error message, if the caller wants one
 * @err:	buffer, or NULL
 * @errlen:	its size
 * @fmt:	format
 */
static void tenant_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void tenant_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/**
 * tenant_name_valid() - 1..31 characters of [A-Za-z0-9_.-]
 * @name:	name, may be NULL
 *
 * Return: true if valid
 */
static bool tenant_name_valid(const char *name)
{
	size_t i;

	if (!name || !*name)
		return false;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (i >= TENANT_NAME_MAX - 1)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

/**
 * tenant_table_create() - create the table, with tenant "default"
 * @cgroup_root:	cgroup mount root, NULL for /sys/fs/cgroup
 *
 * Return: table, or NULL with errno set (ENOMEM, ENAMETOOLONG)
 */
struct tenant_table *tenant_table_create(const char *cgroup_root)
{
	const char *root = cgroup_root ? cgroup_root : TENANT_ROOT_DEFAULT;
	struct tenant_table *t;
	size_t n = strlen(root);
	struct tenant *tn;

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (!n || n >= sizeof(t->root)) {
		errno = n ? ENAMETOOLONG : EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	memcpy(t->root, root, n);
	t->root[n] = '\0';

	tn = &t->slot[0].tn;
	tn->id = 0;
	snprintf(tn->name, sizeof(tn->name), "%s", TENANT_DEFAULT);
	tn->weight = TENANT_WEIGHT_DEFAULT;
	t->slot[0].used = true;
	t->count = 1;
	t->next = 1;
	t->ifd = -1;
	t->watched = true;
	return t;
}

/**
 * tenant_table_destroy() - free the table
 * @t:		table, or NULL
 */
void tenant_table_destroy(struct tenant_table *t)
{
	if (!t)
		return;
	if (t->ifd >= 0)
		close(t->ifd);
	free(t->watch);
	free(t);
}

/* ---- following cgroups without a timer ------------------------------- */

/* Watch @dir for @mask, noting @name; -errno on failure. */
static int tenant_watch_add(struct tenant_table *t, const char *dir,
			    const char *name, uint32_t mask)
{
	struct tenant_watch *w;
	int wd;

	if (t->nwatch == t->capwatch) {
		unsigned cap = t->capwatch ? 2 * t->capwatch : 16;

		w = realloc(t->watch, cap * sizeof(*w));
		if (!w)
			return -ENOMEM;
		t->watch = w;
		t->capwatch = cap;
	}
	/* One directory may be both a cgroup and another's parent: add to
	 * the mask it has rather than replace it. */
	wd = inotify_add_watch(t->ifd, dir, mask | IN_MASK_ADD);
	if (wd < 0)
		return -errno;
	w = &t->watch[t->nwatch++];
	w->wd = wd;
	snprintf(w->name, sizeof(w->name), "%s", name);
	return 0;
}

/*
 * Watch the directories one bound tenant's weight is read from, and their
 * parents. Return: 0 if every such directory that exists is watched and so
 * is every parent, else -errno.
 */
static int tenant_watch_slot(struct tenant_table *t,
			     const struct tenant_slot *s)
{
	struct cgroup_weight_dir dirs[CGROUP_WEIGHT_DIRS];
	unsigned n, i;
	int ret;

	ret = cgroup_weight_dirs(t->root, s->tn.cgroup, s->tn.cgroup, dirs,
				 &n);
	if (ret)
		return ret;
	if (!n)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		char *dir = dirs[i].path, *slash = strrchr(dir, '/');

		ret = tenant_watch_add(t, dir, "", TENANT_DIR_EVENTS);
		if (ret && ret != -ENOENT && ret != -ENOTDIR)
			return ret;
		if (!slash || slash == dir)
			return -EINVAL; /* a cgroup root is never "/" */
		*slash = '\0';
		ret = tenant_watch_add(t, dir, slash + 1,
				       TENANT_PARENT_EVENTS);
		if (ret)
			return ret;
	}
	return 0;
}

/* Add one bound tenant's watches, making the descriptor if there is
 * none yet; a tenant that cannot be watched leaves the table needing the
 * timer until the watches are made afresh without it. */
static void tenant_watch_one(struct tenant_table *t,
			     const struct tenant_slot *s)
{
	if (t->ifd < 0)
		t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (t->ifd < 0 || tenant_watch_slot(t, s))
		t->watched = false;
}

/* Make every watch afresh, on a new descriptor (the old one's pending
 * events go with it). */
static void tenant_rewatch(struct tenant_table *t)
{
	unsigned i;

	if (t->ifd >= 0)
		close(t->ifd);
	t->ifd = -1;
	t->nwatch = 0;
	t->watched = true;
	for (i = 0; i < TENANT_MAX; i++)
		if (t->slot[i].used && t->slot[i].tn.cgroup[0])
			tenant_watch_one(t, &t->slot[i]);
}

/* Is @ev about a bound tenant's weight or directory? */
static bool tenant_watch_event(const struct tenant_table *t,
			       const struct inotify_event *ev, bool *rewatch)
{
	bool weight_file = ev->len && (!strcmp(ev->name, "cpu.weight") ||
				       !strcmp(ev->name, "cpu.shares"));
	unsigned i;

	if (ev->mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF |
			IN_MOVE_SELF)) {
		*rewatch = true;
		return true;
	}
	for (i = 0; i < t->nwatch; i++) {
		const struct tenant_watch *w = &t->watch[i];

		if (w->wd != ev->wd)
			continue;
		if (!w->name[0] && (!ev->len || weight_file) &&
		    (ev->mask & (IN_MODIFY | IN_ATTRIB)))
			return true;
		if (w->name[0] && ev->len && !strcmp(w->name, ev->name) &&
		    (ev->mask & TENANT_PARENT_EVENTS)) {
			*rewatch = true;
			return true;
		}
	}
	return false;
}

/**
 * tenant_watch_fd() - the descriptor to poll for cgroup changes
 * @t:		table
 *
 * It changes when the watches are made again: ask before every poll.
 *
 * Return: the descriptor (readable: call tenant_watch_read()), or -1
 */
int tenant_watch_fd(const struct tenant_table *t)
{
	return t->ifd;
}

/**
 * tenant_watch_read() - take the pending cgroup events
 * @t:		table
 *
 * Return: true if a bound tenant's weight or cgroup may have changed: call
 * tenant_refresh()
 */
bool tenant_watch_read(struct tenant_table *t)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool refresh = false, rewatch = false;
	ssize_t n;

	if (t->ifd < 0)
		return false;
	while ((n = read(t->ifd, buf, sizeof(buf))) > 0) {
		ssize_t off = 0;

		while (off + (ssize_t)sizeof(struct inotify_event) <= n) {
			const struct inotify_event *ev =
				(const void *)(buf + off);

			if (off + (ssize_t)(sizeof(*ev) + ev->len) > n)
				break;
			if (tenant_watch_event(t, ev, &rewatch))
				refresh = true;
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}
	if (rewatch)
		tenant_rewatch(t);
	return refresh;
}

/**
 * tenant_needs_poll() - must the caller read the bound tenants' weights on
 *			 a timer (tenant_refresh()), events not covering
 *			 them all?
 * @t:		table
 *
 * Return: true if so
 */
bool tenant_needs_poll(const struct tenant_table *t)
{
	return !t->watched;
}

/**
 * tenant_slot_find() - slot of a tenant by name
 * @t:		table
 * @name:	name
 *
 * Return: slot, or NULL
 */
static struct tenant_slot *tenant_slot_find(const struct tenant_table *t,
					    const char *name)
{
	uint32_t i;

	if (!name)
		return NULL;
	for (i = 0; i < TENANT_MAX; i++)
		if (t->slot[i].used && !strcmp(t->slot[i].tn.name, name))
			return (struct tenant_slot *)&t->slot[i];
	return NULL;
}

/**
 * tenant_check_spec() - validate what does not depend on the table
 * @spec:	requested settings
 * @err:	message buffer, or NULL
 * @errlen:	its size
 *
 * Return: 0 or -EINVAL
 */
static int tenant_check_spec(const struct tenant_spec *spec, char *err,
			     size_t errlen)
{
	if (!spec || !tenant_name_valid(spec->name)) {
		tenant_err(err, errlen,
			   "tenant name must be 1-31 characters of A-Z a-z 0-9 "
			   "_ . -");
		return -EINVAL;
	}
	if (spec->cgroup && *spec->cgroup && spec->pid) {
		tenant_err(err, errlen,
			   "tenant %s: give a cgroup or a pid, not both",
			   spec->name);
		return -EINVAL;
	}
	if (spec->pid < 0) {
		tenant_err(err, errlen, "tenant %s: invalid pid %d", spec->name,
			   spec->pid);
		return -EINVAL;
	}
	if (spec->weight > CGROUP_WEIGHT_MAX) {
		tenant_err(err, errlen,
			   "tenant %s: weight must be 1-10000 (got %u)",
			   spec->name, spec->weight);
		return -EINVAL;
	}
	return 0;
}

/**
 * tenant_bind() - resolve the cgroup binding a spec asks for
 * @t:		table
 * @spec:	requested settings, cgroup or pid given
 * @b:		set to the binding
 * @err:	message buffer, or NULL
 * @errlen:	its size
 *
 * Return: 0 or -errno, with a message
 */
static int tenant_bind(const struct tenant_table *t,
		       const struct tenant_spec *spec, struct tenant_binding *b,
		       char *err, size_t errlen)
{
	int ret;

	memset(b, 0, sizeof(*b));
	if (spec->pid > 0) {
		char v2[TENANT_CGROUP_MAX];

		ret = cgroup_of_pid(spec->pid, v2, sizeof(v2), b->cgroup,
				    sizeof(b->cgroup));
		if (ret) {
			tenant_err(err, errlen,
				   "cannot find the cgroup of pid %d: %s",
				   spec->pid, strerror(-ret));
			return ret;
		}
		if (!b->cgroup[0]) /* no v1 cpu hierarchy: v2 */
			memcpy(b->cgroup, v2, sizeof(b->cgroup));
		if (cgroup_has_dotdot(b->cgroup)) {
			tenant_err(err, errlen,
				   "pid %d is outside vstackd's cgroup "
				   "namespace (its cgroup is %s)",
				   spec->pid, b->cgroup);
			return -EINVAL;
		}
		return 0;
	}

	ret = cgroup_resolve(t->root, spec->cgroup, b->cgroup,
			     sizeof(b->cgroup));
	if (ret == -ENOENT)
		tenant_err(err, errlen, "cgroup %s not found under %s",
			   spec->cgroup, t->root);
	else if (ret == -EINVAL)
		tenant_err(err, errlen, "cgroup %s: path must not contain ..",
			   spec->cgroup);
	else if (ret)
		tenant_err(err, errlen, "cgroup %s: %s", spec->cgroup,
			   strerror(-ret));
	return ret;
}

/**
 * tenant_apply() - set binding, weight and rate of a tenant
 * @t:		table
 * @s:		slot
 * @spec:	requested settings
 * @b:		binding to set, or NULL to keep the current one
 */
static void tenant_apply(const struct tenant_table *t, struct tenant_slot *s,
			 const struct tenant_spec *spec,
			 const struct tenant_binding *b)
{
	struct tenant *tn = &s->tn;
	uint32_t w;

	if (b) {
		/* Same sizes, both NUL-terminated: a copy, not a format (gcc
		 * -O3 misjudges the source's size and fails the snprintf on
		 * -Wformat-truncation).
		 */
		_Static_assert(sizeof(tn->cgroup) == sizeof(b->cgroup), "cgroup");
		memcpy(tn->cgroup, b->cgroup, sizeof(tn->cgroup));
	}
	tn->rate_bps = spec->rate_bps;
	if (b)
		tn->cgroup_lost = false;

	if (spec->weight) {
		tn->weight = spec->weight;
		tn->weight_override = true;
		return;
	}
	tn->weight_override = false;
	tn->weight = TENANT_WEIGHT_DEFAULT;
	if (tn->cgroup[0] && !cgroup_read_weight(t->root, tn->cgroup, &w))
		tn->weight = w;
}

/**
 * tenant_add() - add a tenant
 * @t:		table
 * @spec:	name, binding (cgroup or pid, or neither), weight, rate
 * @id:		if not NULL, set to the new tenant's id
 * @err:	if not NULL, set to a one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -EINVAL (name, weight, pid, both cgroup and pid), -EEXIST,
 *	   -ENOSPC (table full), -ENOENT (cgroup not found), -ESRCH (no
 *	   such process), or another -errno from cgroup resolution
 */
int tenant_add(struct tenant_table *t, const struct tenant_spec *spec,
	       uint32_t *id, char *err, size_t errlen)
{
	struct tenant_binding b;
	struct tenant_slot *s;
	uint32_t i, n;
	int ret;

	ret = tenant_check_spec(spec, err, errlen);
	if (ret)
		return ret;
	if (tenant_slot_find(t, spec->name)) {
		tenant_err(err, errlen, "tenant %s already exists", spec->name);
		return -EEXIST;
	}
	if (t->count >= TENANT_MAX) {
		tenant_err(err, errlen, "tenant table full (%d tenants)",
			   TENANT_MAX);
		return -ENOSPC;
	}

	memset(&b, 0, sizeof(b));
	if (spec->pid > 0 || (spec->cgroup && *spec->cgroup)) {
		ret = tenant_bind(t, spec, &b, err, errlen);
		if (ret)
			return ret;
	}

	/* Next free slot after the last one given out; 0 is never free */
	for (n = 0, i = t->next; n < TENANT_MAX; n++) {
		if (!i)
			i = 1;
		if (!t->slot[i].used)
			break;
		i = (i + 1) % TENANT_MAX;
	}
	s = &t->slot[i];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->tn.id = i;
	snprintf(s->tn.name, sizeof(s->tn.name), "%s", spec->name);
	tenant_apply(t, s, spec, &b);
	t->count++;
	t->next = (i + 1) % TENANT_MAX;
	/* The others' watches stand: only the new tenant's are added (made
	 * all afresh for each, restoring n tenants at start would take on
	 * the order of n * n inotify calls). */
	if (s->tn.cgroup[0])
		tenant_watch_one(t, s);
	if (id)
		*id = i;
	return 0;
}

/**
 * tenant_set_unbound_weight() - the weight of a tenant waiting for its
 *				 cgroup
 * @t:		table
 * @name:	tenant, without a cgroup and without a weight of its own
 * @weight:	1..10000: the weight its cgroup last had
 *
 * Nothing else gives such a tenant a weight until its cgroup is bound
 * again, when the cgroup's takes over: it keeps its last weight, across a
 * restart too (the caller keeps it in the tenant's record).
 *
 * Return: 0, -ENOENT (no such tenant), -EINVAL (bound, an override of its
 *	   own, or a weight out of range)
 */
int tenant_set_unbound_weight(struct tenant_table *t, const char *name,
			      uint32_t weight)
{
	struct tenant_slot *s = tenant_slot_find(t, name);

	if (!s)
		return -ENOENT;
	if (s->tn.cgroup[0] || s->tn.weight_override || !weight ||
	    weight > CGROUP_WEIGHT_MAX)
		return -EINVAL;
	s->tn.weight = weight;
	return 0;
}

/**
 * tenant_set() - change a tenant's binding, weight and rate
 * @t:		table
 * @spec:	name of the tenant, and its new settings: weight 0 means the
 *		cgroup's weight, rate 0 no cap; a cgroup or pid rebinds, an
 *		empty cgroup ("") unbinds, neither keeps the binding
 * @err:	if not NULL, set to a one-line message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -ENOENT (no such tenant, or cgroup not found), or as for
 *	   tenant_add(); on failure nothing changes
 */
int tenant_set(struct tenant_table *t, const struct tenant_spec *spec,
	       char *err, size_t errlen)
{
	struct tenant_binding b;
	struct tenant_slot *s;
	bool rebind = false;
	int ret;

	ret = tenant_check_spec(spec, err, errlen);
	if (ret)
		return ret;
	s = tenant_slot_find(t, spec->name);
	if (!s) {
		tenant_err(err, errlen, "tenant %s not found", spec->name);
		return -ENOENT;
	}

	memset(&b, 0, sizeof(b));
	if (spec->pid > 0) {
		rebind = true;
	} else if (spec->cgroup) {
		/* The current path given back: keep the binding as it is */
		rebind = strcmp(spec->cgroup, s->tn.cgroup);
	}
	if (rebind && (spec->pid > 0 || *spec->cgroup)) {
		ret = tenant_bind(t, spec, &b, err, errlen);
		if (ret)
			return ret;
	}
	tenant_apply(t, s, spec, rebind ? &b : NULL);
	if (rebind)
		tenant_rewatch(t);
	return 0;
}

/**
 * tenant_del() - delete a tenant
 * @t:		table
 * @name:	tenant name
 *
 * Return: 0, -EBUSY for "default", -ENOENT if there is no such tenant
 */
int tenant_del(struct tenant_table *t, const char *name)
{
	struct tenant_slot *s = tenant_slot_find(t, name);
	bool bound;

	if (!s)
		return -ENOENT;
	if (!s->tn.id)
		return -EBUSY;
	bound = s->tn.cgroup[0];
	memset(s, 0, sizeof(*s));
	t->count--;
	if (bound)
		tenant_rewatch(t);
	return 0;
}

/**
 * tenant_find() - tenant by name
 * @t:		table
 * @name:	name
 *
 * Return: tenant, or NULL
 */
const struct tenant *tenant_find(const struct tenant_table *t, const char *name)
{
	const struct tenant_slot *s = tenant_slot_find(t, name);

	return s ? &s->tn : NULL;
}

/**
 * tenant_get() - tenant by id
 * @t:		table
 * @id:		id
 *
 * Return: tenant, or NULL if @id is out of range or free
 */
const struct tenant *tenant_get(const struct tenant_table *t, uint32_t id)
{
	if (id >= TENANT_MAX || !t->slot[id].used)
		return NULL;
	return &t->slot[id].tn;
}

/**
 * tenant_foreach() - call a function for every tenant, by id
 * @t:		table
 * @fn:		function
 * @ctx:	passed to @fn
 */
void tenant_foreach(const struct tenant_table *t, tenant_fn fn, void *ctx)
{
	uint32_t i;

	for (i = 0; i < TENANT_MAX; i++)
		if (t->slot[i].used)
			fn(&t->slot[i].tn, ctx);
}

/**
 * tenant_refresh() - follow the bound tenants' cgroups
 * @t:		table
 * @fn:		told about every change, or NULL
 * @ctx:	passed to @fn
 *
 * For every tenant bound to a cgroup, read its CPU weight again. A new
 * weight is taken unless the tenant's weight is an override. A cgroup that
 * cannot be read is reported once, and the tenant keeps its last weight.
 *
 * Return: number of tenants whose weight changed
 */
unsigned tenant_refresh(struct tenant_table *t, tenant_event_fn fn, void *ctx)
{
	unsigned i, changed = 0;

	for (i = 0; i < TENANT_MAX; i++) {
		struct tenant_slot *s = &t->slot[i];
		struct tenant *tn = &s->tn;
		uint32_t w, old;
		int ret;

		if (!s->used || !tn->cgroup[0])
			continue;
		ret = cgroup_read_weight(t->root, tn->cgroup, &w);
		if (ret) {
			if (!tn->cgroup_lost) {
				tn->cgroup_lost = true;
				if (fn)
					fn(tn, TENANT_CGROUP_LOST, tn->weight,
					   ret, ctx);
			}
			continue;
		}
		if (tn->cgroup_lost) {
			tn->cgroup_lost = false;
			if (fn)
				fn(tn, TENANT_CGROUP_BACK, tn->weight, 0, ctx);
		}
		if (tn->weight_override || w == tn->weight)
			continue;
		old = tn->weight;
		tn->weight = w;
		changed++;
		if (fn)
			fn(tn, TENANT_WEIGHT_CHANGED, old, 0, ctx);
	}
	return changed;
}
