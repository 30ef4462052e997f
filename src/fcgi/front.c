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
#include <fastcgi.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
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

/* Large writes (the chunks of a streamed answer, a file's bytes) go out as
 * FastCGI stdout records of up to 64 KiB written straight to the
 * connection: libfcgi's own stream cuts output into 8 KiB records, one
 * write(2) each, which cost a 128 MB answer 16,000 system calls.  What the
 * stream holds is flushed first, so the bytes stay in order; libfcgi still
 * ends the stream and the request in FCGX_Finish_r. */
#define DIRECT_MIN (16u * 1024)
#define RECORD_MAX 65528u /* a multiple of 8: no padding needed */

static int write_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

static int fcgi_write_direct(FCGX_Request *r, const char *buf, size_t n)
{
    if (FCGX_FFlush(r->out) < 0 || r->ipcFd < 0)
        return -1;
    while (n > 0) {
        size_t len = n > RECORD_MAX ? RECORD_MAX : n;
        unsigned char h[FCGI_HEADER_LEN] = {
            FCGI_VERSION_1, FCGI_STDOUT,
            (unsigned char)(r->requestId >> 8), (unsigned char)r->requestId,
            (unsigned char)(len >> 8), (unsigned char)len, 0, 0};
        struct iovec iov[2] = {{h, sizeof h}, {(void *)buf, len}};
        if (write_all(r->ipcFd, iov, 2) < 0)
            return -1;
        buf += len;
        n -= len;
    }
    return 0;
}

static int fcgi_write(void *ctx, const char *buf, size_t n)
{
    FCGX_Request *r = ctx;
    if (n >= DIRECT_MIN)
        return fcgi_write_direct(r, buf, n);
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
