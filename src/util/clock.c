/* clock.c - the single clock of the library (injectable for tests). */
#include "config.h"
#include "deltasharing.h"
#include <time.h>

static ds_clock_fn clock_fn;
static void *clock_ctx;
static int64_t fixed_ms;

static int64_t fixed_clock(void *ctx)
{
    (void)ctx;
    return fixed_ms;
}

int64_t ds_now_ms(void)
{
    if (clock_fn)
        return clock_fn(clock_ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ds_set_clock(ds_clock_fn fn, void *ctx)
{
    clock_fn = fn;
    clock_ctx = ctx;
}

void ds_set_fixed_time(int64_t ms)
{
    fixed_ms = ms;
    ds_set_clock(fixed_clock, NULL);
}
