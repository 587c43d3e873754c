/* SPDX-License-Identifier: MIT */
/*
 * fuzz_check.h - CHECK() for the fuzz targets' invariants
 *
 * A broken invariant names itself on stderr and aborts, which libFuzzer
 * reports as a crash and saves the input for. Header-only.
 */
#ifndef VSTACK_FUZZ_CHECK_H
#define VSTACK_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                            \
	do {                                                                \
		if (!(c)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n",        \
				__FILE__, __LINE__, #c);                    \
			abort();                                            \
		}                                                           \
	} while (0)

#endif /* VSTACK_FUZZ_CHECK_H */
