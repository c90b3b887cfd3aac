#ifndef VOLSTAT_CPU_FEATURES_H
#define VOLSTAT_CPU_FEATURES_H

/* Whether the processor (and the system, which must save its registers) has AVX2: the fast paths
   compiled for it are chosen at run time with this. 1 or 0; asked once, then remembered. */
int volstat_cpu_has_avx2(void);

#endif
