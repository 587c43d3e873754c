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
 *    is turned away before it touches any device.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "netlink.h"
#include "server.h"
#include "tenant.h"
#include "vnet.h"

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
"  -c, --config FILE       read [daemon], [tenant NAME] and [port NAME]\n"
"                          sections from the INI file FILE\n"
"  -w, --workers N         worker threads, 1..64 (default 1)\n"
"      --cpus LIST         pin workers to these CPUs, e.g. 0,2-3 (default:\n"
"                          CPUs we may run on); sets --workers if not given\n"
"  -s, --socket PATH       control socket (default " CONFIG_SOCKET_DEFAULT ")\n"
"  -f, --foreground        do not daemonize; log to stderr\n"
"  -l, --log-level LEVEL   error, warn, info (default) or debug\n"
"      --fdb-limit N       MAC addresses per network\n"
"      --fdb-aging SECONDS forget a MAC address not seen for this long\n"
"      --busy-poll USEC    workers spin this long after their last work\n"
"      --arena-bufs N      frame buffers per worker\n"
"      --napi              create TAPs with IFF_NAPI (GRO on receive)\n"
"      --no-sched          no cycle accounting, fair shares or rate caps\n"
"                          (packets and bytes are still counted per tenant)\n"
"  -h, --help              this text\n"
"  -V, --version           print the version\n"
"\n"
"Command-line options override the config file's [daemon] section.\n"
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
 * vstackd_caps() - check we hold the capabilities the work needs
 *
 * Return: 0, or -EPERM without CAP_NET_ADMIN
 */
static int vstackd_caps(void)
{
	cap_flag_value_t net = CAP_CLEAR, sys = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (!caps)
		return -errno;
	cap_get_flag(caps, CAP_NET_ADMIN, CAP_EFFECTIVE, &net);
	cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &sys);
	cap_free(caps);
	if (net != CAP_SET)
		return -EPERM;
	if (sys != CAP_SET)
		log_warn("no CAP_SYS_ADMIN: ports cannot be moved into other network namespaces");
	return 0;
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
	       OPT_ARENA_BUFS, OPT_NAPI, OPT_NO_SCHED };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "workers", required_argument, NULL, 'w' },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "socket", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "fdb-limit", required_argument, NULL, OPT_FDB_LIMIT },
		{ "fdb-aging", required_argument, NULL, OPT_FDB_AGING },
		{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
		{ "arena-bufs", required_argument, NULL, OPT_ARENA_BUFS },
		{ "napi", no_argument, NULL, OPT_NAPI },
		{ "no-sched", no_argument, NULL, OPT_NO_SCHED },
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
		case 'l': key = "log-level"; break;
		case OPT_CPUS: key = "cpus"; break;
		case OPT_FDB_LIMIT: key = "fdb-limit"; break;
		case OPT_FDB_AGING: key = "fdb-aging"; break;
		case OPT_BUSY_POLL: key = "busy-poll"; break;
		case OPT_ARENA_BUFS: key = "arena-bufs"; break;
		case OPT_NAPI: key = "napi"; optarg = (char *)"on"; break;
		case OPT_NO_SCHED: key = "sched"; optarg = (char *)"off"; break;
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
 * vstackd_apply_config() - create the config file's tenants and ports
 * @cmd:	command state
 * @cfg:	parsed file
 *
 * Return: 0, or -errno after reporting the failure with FILE:LINE
 */
static int vstackd_apply_config(struct cmd_ctx *cmd, const struct config *cfg)
{
	char err[512];
	unsigned i;
	int rc;

	for (i = 0; i < cfg->ntenants; i++) {
		const struct spec_tenant *t = &cfg->tenants[i].spec;

		/* "default" exists from the start: its section changes it. */
		if (tenant_find(cmd->tenants, t->name)) {
			if (!t->has_cgroup && !t->has_pid && !t->has_weight &&
			    !t->has_rate)
				continue;
			rc = cmd_tenant_set(cmd, t, err, sizeof(err));
		} else {
			rc = cmd_tenant_add(cmd, t, err, sizeof(err));
		}
		if (rc) {
			vstackd_fail("%s:%u: tenant %s: %s", cfg->file,
				     cfg->tenants[i].line, t->name, err);
			return rc;
		}
	}
	for (i = 0; i < cfg->nports; i++) {
		rc = cmd_port_add(cmd, &cfg->ports[i].spec, err, sizeof(err));
		if (rc) {
			vstackd_fail("%s:%u: port %s: %s", cfg->file,
				     cfg->ports[i].line,
				     cfg->ports[i].spec.name, err);
			return rc;
		}
	}
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
	struct config_daemon cli, d;
	struct server *srv = NULL;
	struct vnet *v = NULL;
	struct vnet_config vc;
	struct cmd_ctx cmd;
	const char *config;
	bool foreground;
	char err[512];
	sigset_t sigs;
	int rc;

	cmd_ctx_init(&cmd, NULL, NULL);
	vstackd_args(argc, argv, &cli, &config, &foreground);
	if (cli.set & CONFIG_LOG_LEVEL)
		log_set_level(cli.log_level);

	if (config && config_parse_file(&cfg, config, err, sizeof(err))) {
		fprintf(stderr, "vstackd: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	d = cfg.daemon;
	config_daemon_merge(&d, &cli);
	if (!(d.set & CONFIG_SOCKET))
		snprintf(d.socket, sizeof(d.socket), "%s", CONFIG_SOCKET_DEFAULT);
	if (d.set & CONFIG_LOG_LEVEL)
		log_set_level(d.log_level);
	vstackd_vnet_config(&d, &vc);

	if ((rc = vstackd_caps())) {
		fprintf(stderr, "vstackd: needs CAP_NET_ADMIN to create TAP devices (run as root)\n");
		config_free(&cfg);
		return 1;
	}

	if (!foreground && (rc = vstackd_daemonize())) {
		vstackd_fail("cannot daemonize: %s", strerror(-rc));
		goto out;
	}
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

	cmd_ctx_init(&cmd, v, tenants);
	if ((rc = vstackd_apply_config(&cmd, &cfg)))
		goto out;

	vstackd_ready();
	rc = server_run(srv, &cmd, v, &sigs);
out:
	if (v)
		vnet_stop(v);
	server_close(srv);
	cmd_ctx_fini(&cmd);
	if (tenants)
		tenant_table_destroy(tenants);
	netlink_fini();
	config_free(&cfg);
	if (!rc)
		log_info("vstackd stopped");
	return rc ? 1 : 0;
}
