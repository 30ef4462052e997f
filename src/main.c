/* main.c - delta-sharing.fcgi: options, config, then the front end. */
#include "config.h"
#include "deltasharing.h"
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DS_DEFAULT_CONFIG
#define DS_DEFAULT_CONFIG "/etc/delta-sharing/delta-sharing.conf"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: delta-sharing.fcgi [-c FILE] [-b ADDRESS] [-t] [-V] [-h]\n"
            "  -c FILE     config file (default: $DELTA_SHARING_CONF, else %s)\n"
            "  -b ADDRESS  listen on ADDRESS (host:port or a unix socket path) instead of\n"
            "              taking the socket from spawn-fcgi, mod_fcgid or systemd\n"
            "  -t          check the config and exit\n"
            "  -V          print the version and exit\n"
            "  -h          this help\n"
            "Started by a web server as a CGI program, it answers one request and exits.\n",
            DS_DEFAULT_CONFIG);
}

/* A CGI request that cannot be served at all still gets a JSON answer. */
static void cgi_fail(void)
{
    static const char body[] = "{\"errorCode\":\"INTERNAL_ERROR\",\"message\":\"\"}\n";
    printf("Status: 500 Internal Server Error\r\nContent-Type: application/json; "
           "charset=utf-8\r\nContent-Length: %zu\r\n\r\n%s",
           sizeof body - 1, body);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *conf = NULL, *bind_addr = NULL;
    int check_only = 0, opt;
    while ((opt = getopt(argc, argv, "c:b:tVh")) != -1) {
        switch (opt) {
        case 'c': conf = optarg; break;
        case 'b': bind_addr = optarg; break;
        case 't': check_only = 1; break;
        case 'V': printf("delta-sharing.fcgi %s\n", DS_VERSION_STRING); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (!conf)
        conf = getenv("DELTA_SHARING_CONF");
    if (!conf || !*conf)
        conf = DS_DEFAULT_CONFIG;

    /* Testing aid: freeze the clock so signed output compares byte for byte. */
    const char *fake = getenv("DELTA_SHARING_FAKE_NOW");
    if (fake && *fake) {
        char *end;
        long long ms = strtoll(fake, &end, 10);
        if (*end || ms < 0) {
            fprintf(stderr, "delta-sharing: DELTA_SHARING_FAKE_NOW must be milliseconds "
                            "since the epoch\n");
            return 2;
        }
        ds_set_fixed_time(ms);
    }

    int is_cgi = !bind_addr && !getenv("LISTEN_FDS") && FCGX_IsCGI();
    ds_error err;
    ds_error_clear(&err);
    ds_server *srv = ds_server_new(conf, &err);
    if (!srv) {
        fprintf(stderr, "delta-sharing: %s\n", err.message);
        if (is_cgi && !check_only && getenv("GATEWAY_INTERFACE"))
            cgi_fail();
        return 1;
    }
    if (check_only) {
        printf("%s: OK\n", conf);
        ds_server_free(srv);
        return 0;
    }
    int fd = -1;
    if (bind_addr) {
        if (FCGX_Init() != 0 || (fd = FCGX_OpenSocket(bind_addr, 128)) < 0) {
            fprintf(stderr, "delta-sharing: cannot listen on %s\n", bind_addr);
            ds_server_free(srv);
            return 1;
        }
    }
    int rc = ds_serve(srv, fd);
    ds_server_free(srv);
    return rc;
}
