/*
 * quiet_thread.h -- a thread that takes no signals.  The analyzer's
 * signals (SIGTERM, SIGHUP, SIGINT of the follower and of ingest) are
 * meant for its main thread, which acts on them; a helper thread started
 * here has every signal blocked, so none is delivered to it.
 */
#ifndef SPOOR_QUIET_THREAD_H
#define SPOOR_QUIET_THREAD_H

#include <pthread.h>

/*
 * Starts fn(arg) on a new thread (*th) with every signal blocked in it;
 * the caller's signal mask is as before on return.  Returns 0, or
 * pthread_sigmask()'s or pthread_create()'s error (no thread started).
 */
int quiet_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);

#endif /* SPOOR_QUIET_THREAD_H */
