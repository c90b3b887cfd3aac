#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "volstat_system.h"

int volstat_exchange_paths(const char *first, const char *second) {
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, AT_FDCWD, first, AT_FDCWD, second, 2 /* RENAME_EXCHANGE */);
#else
    errno = ENOSYS;
    return -1;
#endif
}

/* Linux 5.14's values, for C libraries whose headers predate them; 0 (no such advice) elsewhere. */
#ifndef MADV_POPULATE_READ
#ifdef __linux__
#define MADV_POPULATE_READ 22
#else
#define MADV_POPULATE_READ 0
#endif
#endif
#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23
#endif

int volstat_populate_readable(void *start, size_t length) {
    if (MADV_POPULATE_READ == 0) {
        errno = EINVAL;
        return -1;
    }
    return madvise(start, length, MADV_POPULATE_READ);
}

void volstat_touch_writable(void *start, size_t length) {
#if defined(__x86_64__) || defined(__i386__)
    const size_t step = 4096; /* x86's base page */
    unsigned char *end = (unsigned char *)start + length;
    for (unsigned char *byte = start; byte < end;
         byte = (unsigned char *)(((uintptr_t)byte & ~(uintptr_t)(step - 1)) + step)) {
        /* A locked OR of 0: a write that changes nothing, atomic against the owner's own stores,
           and a write fault (an atomic read-modify-write elsewhere, such as on arm64, faults as
           a read first: the zero page, then a copy of it, and no huge page). */
        __asm__ volatile("lock orb $0, (%0)" : : "r"(byte) : "memory");
    }
#elif defined(__linux__)
    (void)madvise(start, length, MADV_POPULATE_WRITE);
#else
    (void)start;
    (void)length;
#endif
}

/* The mapped inputs, for the bus error handler: a few at a time (one per reading thread). A slot
   is claimed, then its length set, then its start published; the handler reads only published ones. */
#define VOLSTAT_MAPPED_INPUTS 64
static struct {
    int claimed;
    const char *start;
    size_t length;
    char *message;
} volstat_mapped_inputs[VOLSTAT_MAPPED_INPUTS];
static struct sigaction volstat_previous_bus_action;

static void volstat_bus_error(int signal, siginfo_t *info, void *context) {
    (void)context;
    /* A fault on memory (not a signal sent by a program) in a mapped input. */
    if (info->si_code > 0) {
        const char *address = (const char *)info->si_addr;
        for (int index = 0; index < VOLSTAT_MAPPED_INPUTS; index++) {
            const char *start = __atomic_load_n(&volstat_mapped_inputs[index].start, __ATOMIC_ACQUIRE);
            size_t length = __atomic_load_n(&volstat_mapped_inputs[index].length, __ATOMIC_RELAXED);
            if (start != NULL && address >= start && address < start + length) {
                const char *message = volstat_mapped_inputs[index].message;
                ssize_t ignored = write(2, message, strlen(message));
                (void)ignored;
                _exit(3);
            }
        }
    }
    /* Anything else goes to whoever handled bus errors before: the faulting instruction runs again
       and faults into that handler; a sent signal is sent again. */
    sigaction(signal, &volstat_previous_bus_action, NULL);
    if (info->si_code <= 0) raise(signal);
}

static void volstat_mapped_input_guard(void) {
    static int installed = 0;
    if (__atomic_exchange_n(&installed, 1, __ATOMIC_SEQ_CST)) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = volstat_bus_error;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &volstat_previous_bus_action);
}

int volstat_mapped_input_add(const void *start, size_t length, const char *message) {
    char *copy = strdup(message);
    if (copy == NULL) return -1;
    volstat_mapped_input_guard();
    for (int index = 0; index < VOLSTAT_MAPPED_INPUTS; index++) {
        int expected = 0;
        if (__atomic_compare_exchange_n(&volstat_mapped_inputs[index].claimed, &expected, 1, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
            volstat_mapped_inputs[index].message = copy;
            __atomic_store_n(&volstat_mapped_inputs[index].length, length, __ATOMIC_RELAXED);
            __atomic_store_n(&volstat_mapped_inputs[index].start, (const char *)start, __ATOMIC_RELEASE);
            return 0;
        }
    }
    free(copy);
    return -1;
}

void volstat_mapped_input_remove(const void *start) {
    for (int index = 0; index < VOLSTAT_MAPPED_INPUTS; index++) {
        if (__atomic_load_n(&volstat_mapped_inputs[index].start, __ATOMIC_ACQUIRE) == start) {
            __atomic_store_n(&volstat_mapped_inputs[index].start, NULL, __ATOMIC_RELEASE);
            __atomic_store_n(&volstat_mapped_inputs[index].length, 0, __ATOMIC_RELAXED);
            free(volstat_mapped_inputs[index].message);
            volstat_mapped_inputs[index].message = NULL;
            __atomic_store_n(&volstat_mapped_inputs[index].claimed, 0, __ATOMIC_SEQ_CST);
            return;
        }
    }
}
