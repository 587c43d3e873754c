// SPDX-License-Identifier: MIT
/*
 * vstackd.c - the vstack daemon: arguments, configuration, start-up
 *
 * Start-up order matters:
 *  - everything that can be refused (options, the config file) is checked
 *    before anything is created, and refused with exit status 2;
 *  - the daemon forks (unless --foreground) before any thread exists,
 *    since threads do not survive fork(); the parent waits on a pipe and
 *    exits 0 once the child is ready, or prints the child's error and
 *    exits 1, so "vstackd && vstackctl ..." works without sleeping;
 *  - the signals the control loop handles are blocked before vnet_start()
 *    starts the workers, so the workers inherit the mask and SIGINT/SIGTERM
 *    reach the control thread's signalfd only;
 *  - the control socket is created before the switch, so a second vstackd
 *    is turned away before it touches any device;
 *  - the shared stack is opened on the running switch, before the state is
 *    restored (endpoints are added to it), and closed before the switch
 *    stops (its endpoints are local ports of the switch).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app_proto.h"
#include "appsrv.h"
#include "arena.h"
#include "caps.h"
#include "cmd.h"
#include "config.h"
#include "fdlimit.h"
#include "http.h"
#include "log.h"
#include "netlink.h"
#include "notify.h"
#include "reconcile.h"
#include "server.h"
#include "stack.h"
#include "tenant.h"
#include "vnet.h"

_Static_assert((unsigned long long)CONFIG_ARENA_BUFS_MAX * ARENA_BUF_SIZE <=
		       1ULL << 30,
	       "an arena io_uring can register in one buffer");

#ifndef VSTACK_VERSION
#define VSTACK_VERSION "0.0.0"
#endif

/* Write end of the readiness pipe in a daemonizing child, or -1. */
static int vstackd_ready_fd = -1;

static const char vstackd_usage[] =
"Usage: vstackd [OPTION]...\n"
"The vstack daemon: a userspace virtual switch driving TAP devices through\n"
"io_uring, with per-tenant accounting. Controlled with vstackctl.\n"
"\n"
"  -c, --config FILE       read [daemon], [tenant NAME], [port NAME] and\n"
"                          [endpoint NAME] sections from the INI file FILE\n"
"  -w, --workers N         worker threads, 1..64 (default 1)\n"
"      --cpus LIST         pin workers to these CPUs, e.g. 0,2-3 (default:\n"
"                          CPUs we may run on); sets --workers if not given\n"
"  -s, --socket PATH       control socket (default " CONFIG_SOCKET_DEFAULT ")\n"
"      --app-socket PATH   socket applications reach the shared stack through\n"
"                          (default " VSAPP_SOCKET_DEFAULT ")\n"
"  -f, --foreground        do not daemonize; log to stderr\n"
"  -l, --log-level LEVEL   error, warn, info (default) or debug\n"
"      --fdb-limit N       MAC addresses per network\n"
"      --fdb-aging SECONDS forget a MAC address not seen for this long\n"
"      --fdb-max N         MAC addresses learned per port (default 1024,\n"
"                          0: no limit; a port's own fdb-max wins)\n"
"      --busy-poll USEC    workers spin this long after their last work\n"
"      --arena-bufs N      frame buffers per worker\n"
"      --napi              create TAPs with IFF_NAPI (GRO on receive)\n"
"      --state DIR         keep tenants, ports and endpoints here across\n"
"                          restarts\n"
"                          (default " STATE_DIR_DEFAULT ")\n"
"      --metrics ADDR:PORT serve Prometheus metrics at http://ADDR:PORT/metrics\n"
"                          (e.g. 127.0.0.1:9470 or [::1]:9470; default: off)\n"
"      --no-sched          no cycle accounting, fair shares or rate caps\n"
"      --no-one-hop        TCP between endpoints of one worker as frames\n"
"                          through the switch, not ring to ring\n"
"                          (packets and bytes are still counted per tenant)\n"
"  -h, --help              this text\n"
"  -V, --version           print the version\n"
"\n"
"Command-line options override the config file's [daemon] section.\n"
"TAP devices are persistent: they stay when vstackd stops or crashes, and\n"
"the next vstackd reattaches them. SIGHUP re-reads the config file.\n"
"Exit status: 0 on a clean shutdown (SIGINT, SIGTERM), 1 if start-up\n"
"failed, 2 for a bad option or config file.\n";

/**
 * vstackd_fail() - report a start-up failure: one line, to the user
 * @fmt:	message
 *
 * In a daemonizing child the line goes through the readiness pipe, and the
 * parent, still attached to the user's terminal, prints it.
 */
__attribute__((format(printf, 1, 2)))
static void vstackd_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (vstackd_ready_fd >= 0) {
		if (write(vstackd_ready_fd, msg, (size_t)n) < 0) {
			/* The parent is gone; nobody to tell. */
		}
		return;
	}
	fprintf(stderr, "vstackd: %s\n", msg);
}

/**
 * vstackd_daemonize() - fork; the parent waits for the child to be ready
 *
 * Only the child returns. The parent exits 0 once the child reports ready,
 * or 1 after printing the error the child reports.
 *
 * Return: 0 in the child, -errno if fork or pipe failed
 */
static int vstackd_daemonize(void)
{
	char msg[1024];
	int pfd[2], status, fd;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid > 0) {
		close(pfd[1]);
		while (len < sizeof(msg) - 1) {
			n = read(pfd[0], msg + len, sizeof(msg) - 1 - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
			if (msg[0] == '\0')
				exit(0); /* ready */
		}
		msg[len] = '\0';
		if (len) {
			fprintf(stderr, "vstackd: %s\n", msg);
		} else if (waitpid(pid, &status, 0) == pid &&
			   WIFSIGNALED(status)) {
			fprintf(stderr, "vstackd: the daemon died during start-up: %s\n",
				strsignal(WTERMSIG(status)));
		} else {
			fprintf(stderr, "vstackd: the daemon exited during start-up\n");
		}
		exit(1);
	}

	close(pfd[0]);
	vstackd_ready_fd = pfd[1];
	if (setsid() < 0)
		return -errno;
	if (chdir("/"))
		return -errno;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

/**
 * vstackd_ready() - tell the waiting parent we are up, detach from stderr
 *
 * stderr stays where it is when it is a regular file (the caller asked for
 * a log); a terminal or a pipe is let go, or whoever reads the pipe would
 * wait for its end forever.
 */
static void vstackd_ready(void)
{
	struct stat st;
	int fd;

	if (vstackd_ready_fd < 0)
		return;
	if (write(vstackd_ready_fd, "", 1) < 0) {
		/* The parent is gone: nothing to do. */
	}
	close(vstackd_ready_fd);
	vstackd_ready_fd = -1;

	if (!fstat(STDERR_FILENO, &st) && S_ISREG(st.st_mode))
		return;
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

/**
 * vstackd_log_worker() - log which ring features a worker runs with
 * @w:		worker
 * @ctx:	unused
 */
static void vstackd_log_worker(const struct vnet_worker_info *w, void *ctx)
{
	(void)ctx;
	log_info("worker %u on CPU %d: %s", w->id, w->cpu,
		 w->ring_features[0] ? w->ring_features : "(no ring features)");
}

/**
 * vstackd_args() - parse the command line
 * @argc:	argument count
 * @argv:	arguments
 * @cli:	daemon settings given
 * @config:	--config FILE, or NULL
 * @foreground:	--foreground given
 *
 * Exits 0 for --help and --version, 2 for a bad option.
 */
static void vstackd_args(int argc, char **argv, struct config_daemon *cli,
			 const char **config, bool *foreground)
{
	enum { OPT_CPUS = 256, OPT_FDB_LIMIT, OPT_FDB_AGING, OPT_BUSY_POLL,
	       OPT_ARENA_BUFS, OPT_NAPI, OPT_STATE, OPT_METRICS, OPT_NO_SCHED,
	       OPT_APP_SOCKET, OPT_NO_ONE_HOP, OPT_FDB_MAX };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "workers", required_argument, NULL, 'w' },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "socket", required_argument, NULL, 's' },
		{ "app-socket", required_argument, NULL, OPT_APP_SOCKET },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "fdb-limit", required_argument, NULL, OPT_FDB_LIMIT },
		{ "fdb-aging", required_argument, NULL, OPT_FDB_AGING },
		{ "fdb-max", required_argument, NULL, OPT_FDB_MAX },
		{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
		{ "arena-bufs", required_argument, NULL, OPT_ARENA_BUFS },
		{ "napi", no_argument, NULL, OPT_NAPI },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "no-sched", no_argument, NULL, OPT_NO_SCHED },
		{ "no-one-hop", no_argument, NULL, OPT_NO_ONE_HOP },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	const char *key;
	int c;

	memset(cli, 0, sizeof(*cli));
	*config = NULL;
	*foreground = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:w:s:fl:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *config = optarg; continue;
		case 'f': *foreground = true; continue;
		case 'h': fputs(vstackd_usage, stdout); exit(0);
		case 'V': printf("vstackd %s\n", VSTACK_VERSION); exit(0);
		case 'w': key = "workers"; break;
		case 's': key = "socket"; break;
		case OPT_APP_SOCKET: key = "app-socket"; break;
		case 'l': key = "log-level"; break;
		case OPT_CPUS: key = "cpus"; break;
		case OPT_FDB_LIMIT: key = "fdb-limit"; break;
		case OPT_FDB_AGING: key = "fdb-aging"; break;
		case OPT_FDB_MAX: key = "fdb-max"; break;
		case OPT_BUSY_POLL: key = "busy-poll"; break;
		case OPT_ARENA_BUFS: key = "arena-bufs"; break;
		case OPT_NAPI: key = "napi"; optarg = (char *)"on"; break;
		case OPT_STATE: key = "state"; break;
		case OPT_METRICS: key = "metrics"; break;
		case OPT_NO_SCHED: key = "sched"; optarg = (char *)"off"; break;
		case OPT_NO_ONE_HOP:
			key = "one-hop";
			optarg = (char *)"off";
			break;
		case ':':
			fprintf(stderr, "vstackd: option '%s' needs a value (try --help)\n",
				argv[optind - 1]);
			exit(2);
		default:
			fprintf(stderr, "vstackd: unknown option '%s' (try --help)\n",
				argv[optind - 1]);
			exit(2);
		}
		if (config_daemon_set(cli, key, optarg, err, sizeof(err))) {
			fprintf(stderr, "vstackd: %s\n", err);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vstackd: unexpected argument '%s' (try --help)\n",
			argv[optind]);
		exit(2);
	}
}

/**
 * vstackd_check_cpus() - are the CPUs of --cpus ones we may run on?
 * @d:		merged settings
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * A worker pins itself to its CPU and goes on where it is if that fails,
 * so --cpus 7 on a host with four CPUs (or outside a cpuset or taskset)
 * started, logged "worker 0 on CPU 7" and pinned nothing.
 *
 * Return: 0 or -EINVAL
 */
static int vstackd_check_cpus(const struct config_daemon *d, char *err,
			      size_t errlen)
{
	char avail[128] = "";
	size_t off = 0;
	cpu_set_t set;
	unsigned i;
	int c, first;

	if (!(d->set & CONFIG_CPUS) || sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (i = 0; i < d->ncpus; i++) {
		if (d->cpus[i] < CPU_SETSIZE && CPU_ISSET(d->cpus[i], &set))
			continue;
		/* The CPUs we may use, as ranges: "0-3,8-11". */
		for (c = 0; c < CPU_SETSIZE && off < sizeof(avail); c++) {
			if (!CPU_ISSET(c, &set))
				continue;
			for (first = c; c + 1 < CPU_SETSIZE &&
					CPU_ISSET(c + 1, &set); c++)
				;
			off += (size_t)snprintf(avail + off,
						sizeof(avail) - off,
						first == c ? "%s%d" : "%s%d-%d",
						off ? "," : "", first, c);
		}
		snprintf(err, errlen,
			 "invalid cpus: CPU %d is not available to vstackd (it may run on %s)",
			 d->cpus[i], avail);
		return -EINVAL;
	}
	return 0;
}

/**
 * vstackd_vnet_config() - the switch's configuration from our settings
 * @d:		merged settings
 * @vc:		result
 */
static void vstackd_vnet_config(const struct config_daemon *d,
				struct vnet_config *vc)
{
	unsigned i;

	vnet_config_default(vc);
	if (d->set & CONFIG_CPUS) {
		vc->ncpus = d->ncpus;
		for (i = 0; i < d->ncpus && i < VNET_MAX_WORKERS; i++)
			vc->cpus[i] = d->cpus[i];
		vc->workers = d->ncpus;
	}
	if (d->set & CONFIG_WORKERS)
		vc->workers = d->workers;
	if (d->set & CONFIG_FDB_LIMIT)
		vc->fdb_limit = d->fdb_limit;
	if (d->set & CONFIG_FDB_AGING)
		vc->fdb_aging_ms = d->fdb_aging_s * 1000U;
	if (d->set & CONFIG_FDB_MAX)
		vc->fdb_port_max = d->fdb_max;
	if (d->set & CONFIG_BUSY_POLL)
		vc->busy_poll_us = d->busy_poll_us;
	if (d->set & CONFIG_ARENA_BUFS)
		vc->arena_bufs = d->arena_bufs;
	if (d->set & CONFIG_NAPI)
		vc->napi = d->napi;
	if (d->set & CONFIG_SCHED)
		vc->sched = d->sched;
}

/**
 * vstackd_restore() - tenants, ports and endpoints from the config file
 *		       and the state directory (see reconcile.c)
 * @cmd:	command state, its @state open
 * @cfg:	parsed config file
 *
 * Return: 0, or -errno after reporting the failure
 */
static int vstackd_restore(struct cmd_ctx *cmd, const struct config *cfg)
{
	struct state_snapshot snap;
	struct reconcile_counts n;
	char err[1024];
	int rc;

	if ((rc = state_load(cmd->state, &snap, err, sizeof(err)))) {
		vstackd_fail("%s", err);
		return rc;
	}
	rc = reconcile_start(cmd, cfg, &snap, &n, err, sizeof(err));
	state_snapshot_free(&snap);
	if (rc) {
		vstackd_fail("%s", err);
		return rc;
	}
	log_info("tenants, ports and endpoints: %u restored, %u added, %u removed%s (state in %s)",
		 n.restored, n.added, n.removed,
		 n.failed ? "; some records could not be restored" : "",
		 state_dir(cmd->state));
	return 0;
}

/**
 * main() - start vstackd, serve until SIGINT/SIGTERM, shut down
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0 after a clean shutdown, 1 if start-up failed (2: exit() in
 * option parsing)
 */
int main(int argc, char **argv)
{
	struct config cfg = { .file = "" };
	struct tenant_table *tenants = NULL;
	struct state *state = NULL;
	char config_path[PATH_MAX];
	char kept[128];
	struct config_daemon cli, d;
	struct server *srv = NULL;
	struct http *http = NULL;
	struct vnet *v = NULL;
	struct stack *stack = NULL;
	struct appsrv *apps = NULL;
	struct vnet_config vc;
	struct cmd_ctx cmd;
	const char *config;
	bool foreground;
	char err[512];
	sigset_t sigs;
	int rc;

	if ((rc = fdlimit_close_inherited()))
		fprintf(stderr, "vstackd: cannot close inherited descriptors: %s\n",
			strerror(-rc));
	cmd_ctx_init(&cmd, NULL, NULL);
	vstackd_args(argc, argv, &cli, &config, &foreground);
	if (cli.set & CONFIG_LOG_LEVEL)
		log_set_level(cli.log_level);

	if (config && config_parse_file(&cfg, config, err, sizeof(err))) {
		fprintf(stderr, "vstackd: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	/* Reload reads it again, after the daemon has left the directory. */
	if (config && !realpath(config, config_path)) {
		fprintf(stderr, "vstackd: %s: %s\n", config, strerror(errno));
		config_free(&cfg);
		return 2;
	}
	d = cfg.daemon;
	config_daemon_merge(&d, &cli);
	if (!(d.set & CONFIG_SOCKET))
		snprintf(d.socket, sizeof(d.socket), "%s", CONFIG_SOCKET_DEFAULT);
	if (!(d.set & CONFIG_APP_SOCKET))
		snprintf(d.app_socket, sizeof(d.app_socket), "%s",
			 VSAPP_SOCKET_DEFAULT);
	if (!(d.set & CONFIG_STATE))
		snprintf(d.state, sizeof(d.state), "%s", STATE_DIR_DEFAULT);
	if (d.set & CONFIG_LOG_LEVEL)
		log_set_level(d.log_level);
	if (vstackd_check_cpus(&d, err, sizeof(err))) {
		fprintf(stderr, "vstackd: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	vstackd_vnet_config(&d, &vc);
	vc.thread_setup = caps_drop_all;

	if ((rc = caps_check(err, sizeof(err)))) {
		fprintf(stderr, "vstackd: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	fdlimit_raise(VNET_MAX_PORTS);
	if ((rc = fdlimit_reserve())) {
		fprintf(stderr, "vstackd: cannot open /dev/null: %s\n",
			strerror(-rc));
		config_free(&cfg);
		return 1;
	}

	if (!foreground && getenv("NOTIFY_SOCKET"))
		log_warn("started by systemd without --foreground: the forked daemon is not the unit's main process, so systemd will not take its notifications");
	if (!foreground && (rc = vstackd_daemonize())) {
		vstackd_fail("cannot daemonize: %s", strerror(-rc));
		goto out;
	}
	notify_init(); /* in the process that serves: WATCHDOG_PID is it */
	if ((rc = server_signals_block(&sigs))) {
		vstackd_fail("cannot block signals: %s", strerror(-rc));
		goto out;
	}
	if ((rc = netlink_init(err, sizeof(err)))) {
		vstackd_fail("%s", err);
		goto out;
	}
	if ((rc = server_open(&srv, d.socket, err, sizeof(err)))) {
		vstackd_fail("%s", err);
		goto out;
	}
	if ((rc = state_open(&state, d.state, err, sizeof(err)))) {
		vstackd_fail("%s", err);
		goto out;
	}
	if ((d.set & CONFIG_METRICS) &&
	    (rc = http_open(&http, d.metrics, cmd_metrics, &cmd, err,
			    sizeof(err)))) {
		vstackd_fail("%s", err);
		goto out;
	}
	if (http) {
		server_set_http(srv, http);
		log_info("metrics at http://%s%s", d.metrics, HTTP_METRICS_PATH);
	}
	if (!(tenants = tenant_table_create(NULL))) {
		rc = -ENOMEM;
		vstackd_fail("cannot create the tenant table");
		goto out;
	}
	err[0] = '\0';
	if ((rc = vnet_start(&vc, &v, err, sizeof(err)))) {
		vstackd_fail("%s", err[0] ? err : strerror(-rc));
		v = NULL;
		goto out;
	}
	log_info("vstackd %s: %u worker%s, control socket %s", VSTACK_VERSION,
		 vnet_workers(v), vnet_workers(v) == 1 ? "" : "s", d.socket);
	vnet_worker_foreach(v, vstackd_log_worker, NULL);
	if ((rc = stack_open(v, &stack))) {
		vstackd_fail("cannot start the shared stack: %s", strerror(-rc));
		stack = NULL;
		goto out;
	}
	if ((d.set & CONFIG_ONE_HOP) && !d.one_hop) {
		stack_set_one_hop(stack, false);
		log_info("one-hop path off: endpoints talk through frames");
	}

	cmd_ctx_init(&cmd, v, tenants);
	cmd.stack = stack;
	cmd.state = state;
	cmd.config_path = config ? config_path : NULL;
	cmd.daemon = d;
	cmd.cli = cli;
	if ((rc = vstackd_restore(&cmd, &cfg)))
		goto out;
	if ((rc = appsrv_open(&apps, d.app_socket, stack, tenants, err,
			      sizeof(err)))) {
		vstackd_fail("%s", err);
		goto out;
	}
	server_set_apps(srv, apps);
	log_info("applications attach at %s", d.app_socket);
	if ((rc = caps_drop_control(kept, sizeof(kept), err, sizeof(err)))) {
		vstackd_fail("%s", err);
		goto out;
	}
	log_info("capabilities kept: %s", kept);

	vstackd_ready();
	notify_ready("Serving: %u worker%s, control socket %s", vnet_workers(v),
		     vnet_workers(v) == 1 ? "" : "s", d.socket);
	rc = server_run(srv, &cmd, v, &sigs);
out:
	/* Applications first (their contexts live in the stack), then the
	 * stack, whose endpoints are local ports of the switch. */
	appsrv_close(apps);
	if (stack)
		stack_close(stack);
	if (v)
		vnet_stop(v);
	server_close(srv);
	http_close(http);
	cmd_ctx_fini(&cmd);
	state_close(state);
	if (tenants)
		tenant_table_destroy(tenants);
	netlink_fini();
	config_free(&cfg);
	if (!rc)
		log_info("vstackd stopped");
	return rc ? 1 : 0;
}
