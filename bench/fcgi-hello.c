/* bench/fcgi-hello.c - the smallest useful FastCGI responder, for
 * bench/http-bench.py: the baseline the server is compared with.
 *
 * Every request gets the same 200 JSON answer, the shape of an empty
 * list (what GET /shares answers with no share), so nginx, spawn-fcgi and
 * libfcgi cost what they cost the server, and the rest is ours.  Like the
 * server it runs the re-entrant FCGX_Accept_r loop on the socket that
 * spawn-fcgi hands over as fd 0, and it reads (and drops) any request
 * body so that nginx never waits on a half-read request.
 *
 * Both answers carry a Content-Length, as the server's do, so that nginx
 * frames them alike (no chunked encoding).  HEAD gets the answer the
 * server gives to HEAD on a table (the older form of the version
 * endpoint): 200, Content-Length: 0.  wrk needs that: it does not know
 * that an answer to HEAD has no body, so with "Content-Length: 13" (or no
 * length at all) it waits for body bytes that never come and counts no
 * request.
 *
 * Built by "make bench-http" (rule in bench/Makefile.fragment); by hand:
 *   cc -O2 -o fcgi-hello bench/fcgi-hello.c -lfcgi
 */
#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>

#define BODY "{\"items\":[]}\n"
_Static_assert(sizeof BODY - 1 == 13, "the Content-Length below is wrong");

static const char reply[] = "Status: 200 OK\r\n"
                            "Content-Type: application/json; charset=utf-8\r\n"
                            "Content-Length: 13\r\n"
                            "\r\n" BODY;

static const char head_reply[] = "Status: 200 OK\r\n"
                                 "Content-Length: 0\r\n"
                                 "\r\n";

int main(void)
{
    FCGX_Request req;
    char sink[4096];

    if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
        fputs("fcgi-hello: cannot initialise libfcgi\n", stderr);
        return 1;
    }
    while (FCGX_Accept_r(&req) >= 0) {
        const char *method = FCGX_GetParam("REQUEST_METHOD", req.envp);

        while (FCGX_GetStr(sink, (int)sizeof sink, req.in) > 0)
            ;
        if (method && strcmp(method, "HEAD") == 0)
            FCGX_PutStr(head_reply, (int)(sizeof head_reply - 1), req.out);
        else
            FCGX_PutStr(reply, (int)(sizeof reply - 1), req.out);
        FCGX_Finish_r(&req);
    }
    return 0;
}
