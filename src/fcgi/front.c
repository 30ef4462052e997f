/* front.c - the FastCGI accept loop and plain CGI, both feeding
 * ds_server_handle through ds_io_ops.
 *
 * Mode selection: an explicit listening socket; else a systemd-passed
 * socket (LISTEN_FDS=1 for this pid, fd 3); else fd 0 when it is a socket
 * (spawn-fcgi, mod_fcgid, lighttpd); else one CGI request and exit.
 * SIGTERM and SIGUSR1 stop the loop between requests, never mid-response.
 */
#include "config.h"
#include "deltasharing.h"
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
    FCGX_ShutdownPending();
}

void ds_install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: accept() must return EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int ds_stop_requested(void)
{
    return stop_flag != 0;
}

/* ---- FastCGI ------------------------------------------------------ */

static const char *fcgi_getenv(void *ctx, const char *name)
{
    FCGX_Request *r = ctx;
    return FCGX_GetParam(name, r->envp);
}

static long fcgi_read(void *ctx, char *buf, size_t n)
{
    FCGX_Request *r = ctx;
    if (n > (size_t)0x7fffffff)
        n = 0x7fffffff;
    int got = FCGX_GetStr(buf, (int)n, r->in);
    return got < 0 ? -1 : got;
}

static int fcgi_write(void *ctx, const char *buf, size_t n)
{
    FCGX_Request *r = ctx;
    while (n > 0) {
        int chunk = n > (1u << 30) ? 1 << 30 : (int)n;
        if (FCGX_PutStr(buf, chunk, r->out) != chunk)
            return -1;
        buf += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

/* Shuts the connection to the web server down before FCGX_Finish_r can
 * send END_REQUEST: the web server sees the response end prematurely and
 * drops the client connection instead of ending its body cleanly. */
static void fcgi_abort(void *ctx)
{
    FCGX_Request *r = ctx;
    if (r->ipcFd >= 0)
        shutdown(r->ipcFd, SHUT_RDWR);
}

static const ds_io_ops fcgi_io = {fcgi_getenv, fcgi_read, fcgi_write, fcgi_abort};

/* ---- CGI ------------------------------------------------------------ */

static const char *cgi_getenv(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

static long cgi_read(void *ctx, char *buf, size_t n)
{
    (void)ctx;
    size_t got = fread(buf, 1, n, stdin);
    if (got == 0 && ferror(stdin))
        return -1;
    return (long)got;
}

static int cgi_write(void *ctx, const char *buf, size_t n)
{
    (void)ctx;
    return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

static const ds_io_ops cgi_io = {cgi_getenv, cgi_read, cgi_write, NULL};

static int systemd_fd(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    if (!pid || !fds || strcmp(fds, "1") != 0)
        return -1;
    char *end;
    long p = strtol(pid, &end, 10);
    if (*end || p != (long)getpid())
        return -1;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return 3;
}

int ds_serve(ds_server *srv, int listen_fd)
{
    if (listen_fd < 0)
        listen_fd = systemd_fd();
    if (listen_fd < 0 && !FCGX_IsCGI())
        listen_fd = 0;
    if (listen_fd < 0) {
        ds_server_handle(srv, &cgi_io, NULL);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (FCGX_Init() != 0) {
        fprintf(stderr, "delta-sharing: FastCGI initialisation failed\n");
        return 1;
    }
    ds_install_signal_handlers(); /* after FCGX_Init, which sets its own */
    FCGX_Request r;
    if (FCGX_InitRequest(&r, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        fprintf(stderr, "delta-sharing: FastCGI request setup failed\n");
        return 1;
    }
    int rc = 0;
    while (!stop_flag) {
        if (FCGX_Accept_r(&r) < 0) {
            if (stop_flag)
                break;
            if (errno == EINTR)
                continue;
            fprintf(stderr, "delta-sharing: accept failed: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        ds_server_handle(srv, &fcgi_io, &r);
        FCGX_Finish_r(&r);
    }
    FCGX_Free(&r, 1);
    return rc;
}
