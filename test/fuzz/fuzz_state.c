// SPDX-License-Identifier: MIT
/*
 * fuzz_state.c - libFuzzer target: state directory records
 *
 * A record is read back at start-up from a file anyone with root could
 * have edited: whatever it holds must be refused or accepted, never crash
 * or leak. What is accepted must survive a round trip: written out and
 * parsed again, it is the same record.
 */
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *again;
	struct state_tenant t, t2;
	struct state_port p, p2;
	struct state_endpoint e, e2;
	char err[256], *f1, *f2;

	if (!tok)
		return 0;
	o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!o)
		return 0;

	if (!state_port_parse(o, &p, err, sizeof(err))) {
		again = state_port_json(&p.spec);
		json_object_object_add(again, "version", json_object_new_int(1));
		json_object_object_add(again, "origin",
				       json_object_new_string("vstackctl"));
		if (state_port_parse(again, &p2, err, sizeof(err)))
			abort();
		f1 = state_port_fingerprint(&p.spec);
		f2 = state_port_fingerprint(&p2.spec);
		if (!f1 || !f2 || strcmp(f1, f2))
			abort();
		free(f1);
		free(f2);
		free(p2.config);
		json_object_put(again);
	}
	free(p.config);

	if (!state_tenant_parse(o, &t, err, sizeof(err))) {
		again = state_tenant_json(&t.spec);
		json_object_object_add(again, "version", json_object_new_int(1));
		json_object_object_add(again, "origin",
				       json_object_new_string("vstackctl"));
		if (state_tenant_parse(again, &t2, err, sizeof(err)))
			abort();
		f1 = state_tenant_fingerprint(&t.spec);
		f2 = state_tenant_fingerprint(&t2.spec);
		if (!f1 || !f2 || strcmp(f1, f2))
			abort();
		free(f1);
		free(f2);
		free(t2.config);
		json_object_put(again);
	}
	free(t.config);

	if (!state_endpoint_parse(o, &e, err, sizeof(err))) {
		again = state_endpoint_json(&e.spec);
		json_object_object_add(again, "version", json_object_new_int(1));
		json_object_object_add(again, "origin",
				       json_object_new_string("vstackctl"));
		if (state_endpoint_parse(again, &e2, err, sizeof(err)))
			abort();
		f1 = state_endpoint_fingerprint(&e.spec);
		f2 = state_endpoint_fingerprint(&e2.spec);
		if (!f1 || !f2 || strcmp(f1, f2))
			abort();
		free(f1);
		free(f2);
		free(e2.config);
		json_object_put(again);
	}
	free(e.config);
	json_object_put(o);
	return 0;
}
