/*
 * quiet_thread.c -- a thread that takes no signals (quiet_thread.h).
 */
#include <signal.h>
#include "quiet_thread.h"


int
quiet_thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
    sigset_t  all, old;
    int       e;

    sigfillset(&all);
    e = pthread_sigmask(SIG_BLOCK, &all, &old);
    if (e != 0) {
        return e;
    }
    e = pthread_create(th, NULL, fn, arg);
    (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
    return e;
}
