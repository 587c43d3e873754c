/* SPDX-License-Identifier: MIT */
/*
 * caps.h - the capabilities vstackd keeps once it is set up
 */
#ifndef VSTACK_CTL_CAPS_H
#define VSTACK_CTL_CAPS_H

#include <stddef.h>

int caps_check(char *err, size_t errlen);
int caps_drop_control(char *kept, size_t keptlen, char *err, size_t errlen);
int caps_drop_all(void);

#endif /* VSTACK_CTL_CAPS_H */
