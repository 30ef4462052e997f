/* bench/cgi-hello.c - the smallest CGI program: one fixed JSON answer.
 * bench/cgi-startup.py times the server's CGI start-up against it. */
#include <stdio.h>

int main(void)
{
    fputs("Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
          "Content-Length: 13\r\n\r\n{\"items\":[]}\n",
          stdout);
    return 0;
}
