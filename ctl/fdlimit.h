/* SPDX-License-Identifier: MIT */
/*
 * fdlimit.h - living with the open-files limit: raising it at start, and
 *	       accepting connections when it is reached
 */
#ifndef VSTACK_CTL_FDLIMIT_H
#define VSTACK_CTL_FDLIMIT_H

#include <stddef.h>

int fdlimit_close_inherited(void);
int fdlimit_close_listed(void);
void fdlimit_raise(unsigned long want);
int fdlimit_reserve(void);
int fdlimit_accept(int lfd, const char *what, const void *refusal,
		   size_t refusal_len);

#endif /* VSTACK_CTL_FDLIMIT_H */
