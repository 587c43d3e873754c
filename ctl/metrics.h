/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - vstackd's statistics in the Prometheus text format
 *
 * metrics_render() turns the result of the "stats" command (the JSON object
 * vstackctl stats --json prints) into the Prometheus exposition format
 * 0.0.4: what vstackctl stats --prometheus prints for node_exporter's
 * textfile collector, and what vstackd serves at GET /metrics.
 */
#ifndef VSTACK_CTL_METRICS_H
#define VSTACK_CTL_METRICS_H

#include <stddef.h>

struct json_object;

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

int metrics_render(struct json_object *stats, char **out, size_t *len);

#endif /* VSTACK_CTL_METRICS_H */
