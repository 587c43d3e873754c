// SPDX-License-Identifier: MIT
/*
 * test_ctl_proto.c - control protocol, config file and value parsers
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "parse.h"
#include "proto.h"
#include "spec.h"

static char err[512];

/**
 * parse_req() - parse a request given as a C string
 * @s:		request
 * @req:	result
 *
 * Return: proto_request_parse()'s return value
 */
static int parse_req(const char *s, struct proto_request *req)
{
	err[0] = '\0';
	return proto_request_parse(s, strlen(s), req, err, sizeof(err));
}

static void test_proto_valid(void)
{
	struct proto_request req;
	uint64_t u;
	bool b;

	CU_ASSERT_EQUAL_FATAL(parse_req("{\"version\":1,\"command\":\"port.add\",\"args\":{\"name\":\"tap1\",\"mtu\":9000,\"offload\":false,\"addresses\":[\"10.0.0.1/24\",\"fd00::1/64\"]}}\n", &req), 0);
	CU_ASSERT_EQUAL(req.cmd, PROTO_PORT_ADD);
	CU_ASSERT_TRUE(proto_cmd_changes_state(req.cmd));
	CU_ASSERT_STRING_EQUAL(proto_arg_str(&req, "name"), "tap1");
	CU_ASSERT_PTR_NULL(proto_arg_str(&req, "network"));
	CU_ASSERT_EQUAL(proto_arg_uint(&req, "mtu", &u), 0);
	CU_ASSERT_EQUAL(u, 9000);
	CU_ASSERT_EQUAL(proto_arg_uint(&req, "queues", &u), -ENOENT);
	CU_ASSERT_EQUAL(proto_arg_bool(&req, "offload", &b), 0);
	CU_ASSERT_FALSE(b);
	CU_ASSERT_EQUAL(proto_arg_list_len(&req, "addresses"), 2);
	CU_ASSERT_STRING_EQUAL(proto_arg_list_str(&req, "addresses", 1),
			       "fd00::1/64");
	proto_request_free(&req);

	/* No args at all, and CRLF. */
	CU_ASSERT_EQUAL_FATAL(parse_req("{\"version\":1,\"command\":\"stats\"}\r\n", &req), 0);
	CU_ASSERT_EQUAL(req.cmd, PROTO_STATS);
	CU_ASSERT_FALSE(proto_cmd_changes_state(req.cmd));
	CU_ASSERT_PTR_NOT_NULL(req.args);
	proto_request_free(&req);
}

static void test_proto_invalid_json(void)
{
	struct proto_request req;

	CU_ASSERT_EQUAL(parse_req("{\"version\":1,", &req), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid JSON"));
	CU_ASSERT_EQUAL(parse_req("", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{bad}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"stats\"} x", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("[1,2]", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("\"x\"", &req), -EINVAL);
	CU_ASSERT_EQUAL(proto_request_parse("{\"a\0\":1}", 9, &req, err,
					    sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"stats\",\"args\":{\"port\":\"\xff\xfe\"}}", &req), -EINVAL);
	/* Deep nesting is bounded by json-c's depth limit. */
	{
		char deep[2100];

		memset(deep, '[', 2000);
		deep[2000] = '\0';
		CU_ASSERT_EQUAL(parse_req(deep, &req), -EINVAL);
	}
	CU_ASSERT_PTR_NULL(req.root);
}

static void test_proto_oversize(void)
{
	struct proto_request req;
	size_t n = PROTO_MAX_REQUEST + 100;
	char *big = malloc(n + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, ' ', n);
	memcpy(big, "{\"version\":1,\"command\":\"stats\"", 30);
	big[n - 1] = '}';
	big[n] = '\0';
	CU_ASSERT_EQUAL(parse_req(big, &req), -EMSGSIZE);
	CU_ASSERT_STRING_EQUAL(err, "request larger than 65536 bytes");
	free(big);
}

static void test_proto_version(void)
{
	struct proto_request req;

	CU_ASSERT_EQUAL(parse_req("{\"version\":2,\"command\":\"stats\"}", &req), -EPROTONOSUPPORT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "version 2"));
	CU_ASSERT_EQUAL(parse_req("{\"command\":\"stats\"}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":\"1\",\"command\":\"stats\"}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1.0,\"command\":\"stats\"}", &req), -EINVAL);
}

static void test_proto_types(void)
{
	struct proto_request req;

	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"port.add\",\"args\":{\"name\":5}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "port.add: argument 'name' must be a string");
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"port.add\",\"args\":{\"name\":\"a\",\"mtu\":-1}}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"port.add\",\"args\":{\"name\":\"a\",\"mtu\":1.5}}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"port.add\",\"args\":{\"name\":\"a\",\"offload\":1}}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"port.add\",\"args\":{\"name\":\"a\",\"addresses\":[1]}}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"port.add\",\"args\":{\"name\":\"\"}}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"port.add\",\"args\":{}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "port.add: missing argument 'name'");
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"port.list\",\"args\":{\"x\":1}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "port.list: unknown argument 'x'");
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"port.list\",\"args\":[]}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"port.list\",\"extra\":1}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":3}", &req), -EINVAL);

	/* json-c reads an integer beyond 64 bits as the nearest that fits:
	 * refused, not a cap of 2^64 - 1. */
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"tenant.set\",\"args\":{\"name\":\"a\",\"rate_bps\":18446744073709551616}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid JSON: integer 18446744073709551616 out of range");
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"tenant.set\",\"args\":{\"name\":\"a\",\"weight\":1000000000000000000000000000000}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid JSON: integer 100000000000000000000000... out of range");
	CU_ASSERT_EQUAL(parse_req("{\"version\":99999999999999999999,\"command\":\"stats\"}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"tenant.set\",\"args\":{\"name\":\"a\",\"pid\":-9223372036854775809}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid JSON: integer -9223372036854775809 out of range");
	/* The largest integers are kept; digits in strings and in doubles
	 * are not integers. */
	CU_ASSERT_EQUAL_FATAL(parse_req("{\"version\":1,\"command\":\"tenant.set\",\"args\":{\"name\":\"a\\\"99999999999999999999\",\"rate_bps\":18446744073709551615}}", &req), 0);
	{
		uint64_t u;

		CU_ASSERT_EQUAL(proto_arg_uint(&req, "rate_bps", &u), 0);
		CU_ASSERT_EQUAL(u, UINT64_MAX);
	}
	proto_request_free(&req);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"tenant.set\",\"args\":{\"name\":\"a\",\"pid\":-9223372036854775808}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "tenant.set: argument 'pid' must be a non-negative integer");
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"tenant.set\",\"args\":{\"name\":\"a\",\"weight\":1e99999999999999999999}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "tenant.set: argument 'weight' must be a non-negative integer");
}

static void test_proto_unknown_command(void)
{
	struct proto_request req;

	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"port.frob\"}", &req), -EOPNOTSUPP);
	CU_ASSERT_STRING_EQUAL(err, "unknown command 'port.frob'");
	/* Control characters never reach the message. */
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"a\\nb\"}", &req), -EOPNOTSUPP);
	CU_ASSERT_PTR_NULL(strchr(err, '\n'));
}

static void test_proto_responses(void)
{
	struct json_object *res, *o = json_object_new_object();
	size_t len;
	char *line;

	json_object_object_add(o, "n", json_object_new_int(3));
	line = proto_response_ok(o, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(line[len - 1], '\n');
	CU_ASSERT_EQUAL(proto_response_parse(line, len, &res, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(res, "n")), 3);
	json_object_put(res);
	free(line);

	line = proto_response_error("port 'x' not found", &len);
	CU_ASSERT_EQUAL(proto_response_parse(line, len, &res, err, sizeof(err)), -EREMOTEIO);
	CU_ASSERT_STRING_EQUAL(err, "port 'x' not found");
	free(line);

	CU_ASSERT_EQUAL(proto_response_parse("nonsense", 8, &res, err, sizeof(err)), -EPROTO);

	line = proto_request_build("tenant.list", NULL, &len);
	{
		struct proto_request req;

		CU_ASSERT_EQUAL(proto_request_parse(line, len, &req, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(req.cmd, PROTO_TENANT_LIST);
		proto_request_free(&req);
	}
	free(line);
}

static void test_proto_endpoint(void)
{
	struct proto_request req;
	uint64_t u;

	CU_ASSERT_EQUAL_FATAL(parse_req("{\"version\":1,\"command\":\"endpoint.add\",\"args\":{\"name\":\"web\",\"tenant\":\"gold\",\"network\":\"blue\",\"address\":\"10.0.0.10/24\",\"gateway\":\"10.0.0.1\",\"mtu\":9000,\"mac\":\"02:00:00:00:00:0a\"}}", &req), 0);
	CU_ASSERT_EQUAL(req.cmd, PROTO_ENDPOINT_ADD);
	CU_ASSERT_TRUE(proto_cmd_changes_state(req.cmd));
	CU_ASSERT_STRING_EQUAL(proto_cmd_name(req.cmd), "endpoint.add");
	CU_ASSERT_STRING_EQUAL(proto_arg_str(&req, "address"), "10.0.0.10/24");
	CU_ASSERT_STRING_EQUAL(proto_arg_str(&req, "gateway"), "10.0.0.1");
	CU_ASSERT_EQUAL(proto_arg_uint(&req, "mtu", &u), 0);
	CU_ASSERT_EQUAL(u, 9000);
	proto_request_free(&req);

	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"endpoint.add\",\"args\":{\"name\":\"web\"}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "endpoint.add: missing argument 'address'");
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"endpoint.add\",\"args\":{\"address\":\"10.0.0.1/24\"}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "endpoint.add: missing argument 'name'");
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"endpoint.add\",\"args\":{\"name\":\"w\",\"address\":\"10.0.0.1/24\",\"mtu\":\"9000\"}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "endpoint.add: argument 'mtu' must be a non-negative integer");
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"endpoint.add\",\"args\":{\"name\":\"w\",\"address\":\"10.0.0.1/24\",\"queues\":2}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "endpoint.add: unknown argument 'queues'");
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"endpoint.add\",\"args\":{\"name\":\"w\",\"address\":[\"10.0.0.1/24\"]}}", &req), -EINVAL);

	CU_ASSERT_EQUAL_FATAL(parse_req("{\"version\":1,\"command\":\"endpoint.del\",\"args\":{\"name\":\"web\"}}", &req), 0);
	CU_ASSERT_EQUAL(req.cmd, PROTO_ENDPOINT_DEL);
	CU_ASSERT_TRUE(proto_cmd_changes_state(req.cmd));
	proto_request_free(&req);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"endpoint.del\",\"args\":{\"names\":[\"web\"]}}", &req), -EINVAL);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"endpoint.del\"}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "endpoint.del: missing argument 'name'");

	CU_ASSERT_EQUAL_FATAL(parse_req("{\"version\":1,\"command\":\"endpoint.list\"}", &req), 0);
	CU_ASSERT_EQUAL(req.cmd, PROTO_ENDPOINT_LIST);
	CU_ASSERT_FALSE(proto_cmd_changes_state(req.cmd));
	proto_request_free(&req);
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"endpoint.list\",\"args\":{\"name\":\"x\"}}", &req), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "endpoint.list: unknown argument 'name'");
	CU_ASSERT_EQUAL(parse_req("{\"version\":1,\"command\":\"endpoint.frob\"}", &req), -EOPNOTSUPP);
}

static void test_parse_mac(void)
{
	uint8_t mac[6];
	char buf[PARSE_MAC_STRLEN];

	CU_ASSERT_EQUAL(parse_mac("02:00:5E:10:00:0a", mac), 0);
	parse_mac_format(mac, buf);
	CU_ASSERT_STRING_EQUAL(buf, "02:00:5e:10:00:0a");
	CU_ASSERT_TRUE(parse_mac_is_unicast(mac));
	CU_ASSERT_EQUAL(parse_mac("02:00:00:00:01", mac), -EINVAL);
	CU_ASSERT_EQUAL(parse_mac("zz:00:00:00:00:01", mac), -EINVAL);
	CU_ASSERT_EQUAL(parse_mac("02-00-00-00-00-01", mac), -EINVAL);
	CU_ASSERT_EQUAL(parse_mac("02:00:00:00:00:01:", mac), -EINVAL);
	CU_ASSERT_EQUAL(parse_mac("01:00:5e:00:00:01", mac), 0);
	CU_ASSERT_FALSE(parse_mac_is_unicast(mac));
	CU_ASSERT_EQUAL(parse_mac("00:00:00:00:00:00", mac), 0);
	CU_ASSERT_FALSE(parse_mac_is_unicast(mac));
}

static void test_parse_cidr(void)
{
	struct parse_cidr c;
	char buf[PARSE_CIDR_STRLEN];

	CU_ASSERT_EQUAL(parse_cidr("10.77.0.1/24", &c), 0);
	CU_ASSERT_EQUAL(c.family, AF_INET);
	CU_ASSERT_EQUAL(c.prefix, 24);
	parse_cidr_format(&c, buf);
	CU_ASSERT_STRING_EQUAL(buf, "10.77.0.1/24");
	CU_ASSERT_EQUAL(parse_cidr("fd00:77::1/64", &c), 0);
	CU_ASSERT_EQUAL(c.family, AF_INET6);
	parse_cidr_format(&c, buf);
	CU_ASSERT_STRING_EQUAL(buf, "fd00:77::1/64");
	CU_ASSERT_EQUAL(parse_cidr("10.0.0.1", &c), -EINVAL);
	CU_ASSERT_EQUAL(parse_cidr("10.0.0.1/33", &c), -EINVAL);
	CU_ASSERT_EQUAL(parse_cidr("10.0.0.1/", &c), -EINVAL);
	CU_ASSERT_EQUAL(parse_cidr("10.0.0.1/-1", &c), -EINVAL);
	CU_ASSERT_EQUAL(parse_cidr("/24", &c), -EINVAL);
	CU_ASSERT_EQUAL(parse_cidr("fd00::1/129", &c), -EINVAL);
	CU_ASSERT_EQUAL(parse_cidr("0.0.0.0/0", &c), -EINVAL);
	CU_ASSERT_EQUAL(parse_cidr("224.0.0.1/4", &c), -EINVAL);
	CU_ASSERT_EQUAL(parse_cidr("ff02::1/64", &c), -EINVAL);
	CU_ASSERT_EQUAL(parse_cidr("300.0.0.1/8", &c), -EINVAL);
}

static void test_parse_cpus(void)
{
	int cpus[8];
	unsigned n;

	CU_ASSERT_EQUAL(parse_cpus("0,2-3", cpus, 8, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(cpus[0], 0);
	CU_ASSERT_EQUAL(cpus[1], 2);
	CU_ASSERT_EQUAL(cpus[2], 3);
	CU_ASSERT_EQUAL(parse_cpus("5", cpus, 8, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(parse_cpus("0-9", cpus, 8, &n, err, sizeof(err)), -E2BIG);
	CU_ASSERT_EQUAL(parse_cpus("1,1", cpus, 8, &n, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(parse_cpus("3-2", cpus, 8, &n, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(parse_cpus("", cpus, 8, &n, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(parse_cpus("0,", cpus, 8, &n, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(parse_cpus("a", cpus, 8, &n, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(parse_cpus("99999", cpus, 8, &n, err, sizeof(err)), -EINVAL);
}

static void test_parse_misc(void)
{
	uint64_t v;
	bool b;

	CU_ASSERT_EQUAL(parse_uint("18446744073709551615", &v), 0);
	CU_ASSERT_EQUAL(parse_uint("18446744073709551616", &v), -ERANGE);
	CU_ASSERT_EQUAL(parse_uint("-1", &v), -EINVAL);
	CU_ASSERT_EQUAL(parse_uint(" 1", &v), -EINVAL);
	CU_ASSERT_EQUAL(parse_rate("10M", &v), 0);
	CU_ASSERT_EQUAL(v, 10000000);
	CU_ASSERT_EQUAL(parse_rate("250k", &v), 0);
	CU_ASSERT_EQUAL(v, 250000);
	CU_ASSERT_EQUAL(parse_rate("M", &v), -EINVAL);
	CU_ASSERT_EQUAL(parse_rate("99999999999T", &v), -ERANGE);
	CU_ASSERT_EQUAL(parse_onoff("OFF", &b), 0);
	CU_ASSERT_FALSE(b);
	CU_ASSERT_EQUAL(parse_onoff("maybe", &b), -EINVAL);
	CU_ASSERT_TRUE(parse_ifname_ok("tap0"));
	CU_ASSERT_FALSE(parse_ifname_ok("a-name-too-long"  "x"));
	CU_ASSERT_FALSE(parse_ifname_ok("a/b"));
	CU_ASSERT_FALSE(parse_ifname_ok(".."));
	CU_ASSERT_FALSE(parse_ifname_ok(""));
	CU_ASSERT_TRUE(parse_name_ok("blue_1.x-y"));
	CU_ASSERT_FALSE(parse_name_ok("blue net"));
	CU_ASSERT_FALSE(parse_name_ok("0123456789012345678901234567890123"));
}

static void test_spec_port(void)
{
	struct spec_port p;

	spec_port_init(&p);
	CU_ASSERT_STRING_EQUAL(p.network, "default");
	CU_ASSERT_TRUE(p.offload);
	CU_ASSERT_EQUAL(spec_port_set(&p, "mtu", "70000", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "MTU 70000 out of range (68..65521)");
	CU_ASSERT_EQUAL(spec_port_set(&p, "mtu", "0", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(spec_port_set(&p, "mtu", "jumbo", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(spec_port_set(&p, "queues", "65", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(spec_port_set(&p, "mac", "01:00:00:00:00:01", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(spec_port_set(&p, "type", "vhost", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(spec_port_set(&p, "address", "10.0.0.1/24", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spec_port_set(&p, "address", "10.0.0.1/16", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(spec_port_set(&p, "netns_pid", "1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spec_port_set(&p, "netns", "x", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spec_port_check(&p, err, sizeof(err)), -EINVAL); /* no name */
	CU_ASSERT_EQUAL(spec_port_set(&p, "name", "tap1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spec_port_check(&p, err, sizeof(err)), -EINVAL); /* both netns */
	CU_ASSERT_EQUAL(spec_port_set(&p, "colour", "red", err, sizeof(err)), -ENOENT);
	/* fdb-max: 0 (no limit) up to the largest fdb-limit */
	CU_ASSERT_FALSE(p.has_fdb_max);
	CU_ASSERT_EQUAL(spec_port_set(&p, "fdb-max", "16777217", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "fdb-max 16777217 out of range (0..16777216, 0: no limit)");
	CU_ASSERT_EQUAL(spec_port_set(&p, "fdb-max", "many", err, sizeof(err)), -EINVAL);
	CU_ASSERT_FALSE(p.has_fdb_max);
	CU_ASSERT_EQUAL(spec_port_set(&p, "fdb_max", "0", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(p.has_fdb_max);
	CU_ASSERT_EQUAL(p.fdb_max, 0);
	CU_ASSERT_EQUAL(spec_port_set_uint(&p, "fdb-max", 300, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.fdb_max, 300);
}

/**
 * ep_err() - set an endpoint key, expect failure with this message
 * @e:		endpoint
 * @key:	key
 * @val:	value
 * @msg:	expected message
 */
static void ep_err(struct spec_endpoint *e, const char *key, const char *val,
		   const char *msg)
{
	err[0] = '\0';
	CU_ASSERT_NOT_EQUAL(spec_endpoint_set(e, key, val, err, sizeof(err)), 0);
	if (strcmp(err, msg))
		fprintf(stderr, "\n  got:  %s\n  want: %s\n", err, msg);
	CU_ASSERT_STRING_EQUAL(err, msg);
}

/**
 * ep_check() - an endpoint from address and gateway, checked
 * @addr:	address
 * @gw:		gateway, or NULL
 *
 * Return: spec_endpoint_check()'s return value
 */
static int ep_check(const char *addr, const char *gw)
{
	struct spec_endpoint e;

	spec_endpoint_init(&e);
	CU_ASSERT_EQUAL_FATAL(spec_endpoint_set(&e, "name", "ep1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(spec_endpoint_set(&e, "address", addr, err, sizeof(err)), 0);
	if (gw)
		CU_ASSERT_EQUAL_FATAL(spec_endpoint_set(&e, "gateway", gw, err, sizeof(err)), 0);
	return spec_endpoint_check(&e, err, sizeof(err));
}

static void test_spec_endpoint(void)
{
	struct spec_endpoint e;

	spec_endpoint_init(&e);
	CU_ASSERT_STRING_EQUAL(e.network, "default");
	CU_ASSERT_STRING_EQUAL(e.tenant, "default");
	CU_ASSERT_EQUAL(e.mtu, 0);
	CU_ASSERT_FALSE(e.has_address);

	/* The port's words for the keys they share. */
	ep_err(&e, "name", "a/b",
	       "invalid endpoint name 'a/b': 1..15 characters, no '/', ':' or blanks, not starting with '.'");
	ep_err(&e, "name", "sixteen-chars-xx",
	       "invalid endpoint name 'sixteen-chars-xx': 1..15 characters, no '/', ':' or blanks, not starting with '.'");
	ep_err(&e, "tenant", "a b",
	       "invalid tenant name 'a b': 1..31 characters of A-Z a-z 0-9 _ . -, not starting with '.'");
	ep_err(&e, "network", "",
	       "invalid network name '': 1..31 characters of A-Z a-z 0-9 _ . -, not starting with '.'");
	ep_err(&e, "mac", "01:00:00:00:00:01",
	       "MAC address 01:00:00:00:00:01 is not a unicast address");
	ep_err(&e, "mac", "zz", "invalid MAC address 'zz': expected six hex pairs like 02:00:00:00:00:01");
	CU_ASSERT_FALSE(e.has_mac);
	ep_err(&e, "mtu", "67", "MTU 67 out of range (68..65535)");
	ep_err(&e, "mtu", "65536", "MTU 65536 out of range (68..65535)");
	ep_err(&e, "mtu", "big", "invalid mtu 'big': expected a number");
	ep_err(&e, "mtu", "99999999999999999999",
	       "invalid mtu '99999999999999999999': too large");
	ep_err(&e, "queues", "2", "unknown endpoint key 'queues'");
	ep_err(&e, "netns", "x", "unknown endpoint key 'netns'");
	CU_ASSERT_EQUAL(spec_endpoint_set(&e, "colour", "red", err, sizeof(err)), -ENOENT);
	CU_ASSERT_EQUAL(spec_endpoint_set_uint(&e, "queues", 1, err, sizeof(err)), -ENOENT);

	/* IPv4 only, one address. */
	ep_err(&e, "address", "fd00::1/64",
	       "invalid address 'fd00::1/64': endpoints are IPv4 for now");
	ep_err(&e, "gateway", "fe80::1",
	       "invalid gateway 'fe80::1': endpoints are IPv4 for now");
	ep_err(&e, "address", "10.0.0.1",
	       "invalid address '10.0.0.1': expected ADDR/LEN, e.g. 10.0.0.1/24");
	ep_err(&e, "address", "10.0.0.1/33",
	       "invalid address '10.0.0.1/33': expected ADDR/LEN, e.g. 10.0.0.1/24");
	ep_err(&e, "address", "127.0.0.1/8",
	       "invalid address '127.0.0.1/8': expected ADDR/LEN, e.g. 10.0.0.1/24");
	ep_err(&e, "address", "224.0.0.1/4",
	       "invalid address '224.0.0.1/4': expected ADDR/LEN, e.g. 10.0.0.1/24");
	ep_err(&e, "gateway", "10.0.0.1/24",
	       "invalid gateway '10.0.0.1/24': expected an IPv4 address, e.g. 10.0.0.1");
	ep_err(&e, "gateway", "255.255.255.255",
	       "invalid gateway '255.255.255.255': expected an IPv4 address, e.g. 10.0.0.1");
	CU_ASSERT_EQUAL(spec_endpoint_set(&e, "address", "10.0.0.2/24", err, sizeof(err)), 0);
	ep_err(&e, "address", "10.0.0.3/24",
	       "address '10.0.0.3/24': an endpoint has one address");
	CU_ASSERT_EQUAL(spec_endpoint_set(&e, "mtu", "9000", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(e.mtu, 9000);
	CU_ASSERT_EQUAL(spec_endpoint_set_uint(&e, "mtu", 65535, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spec_endpoint_set(&e, "mac", "02:00:00:00:00:09", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(e.has_mac);
	CU_ASSERT_EQUAL(spec_endpoint_set(&e, "tenant", "acme", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spec_endpoint_set(&e, "network", "blue", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(e.tenant, "acme");
	CU_ASSERT_STRING_EQUAL(e.network, "blue");

	/* How the keys combine. */
	CU_ASSERT_EQUAL(spec_endpoint_check(&e, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "an endpoint needs a name");
	CU_ASSERT_EQUAL(spec_endpoint_set(&e, "name", "ep1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spec_endpoint_check(&e, err, sizeof(err)), 0);
	spec_endpoint_init(&e);
	CU_ASSERT_EQUAL(spec_endpoint_set(&e, "name", "ep1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spec_endpoint_check(&e, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "endpoint ep1 needs an address (--address ADDR/LEN, e.g. 10.0.0.1/24)");

	CU_ASSERT_EQUAL(ep_check("10.0.0.2/24", "10.0.0.1"), 0);
	CU_ASSERT_EQUAL(ep_check("10.0.0.2/24", NULL), 0);
	CU_ASSERT_EQUAL(ep_check("10.0.0.2/24", "10.0.1.1"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "gateway 10.0.1.1 is not inside 10.0.0.2/24");
	CU_ASSERT_EQUAL(ep_check("10.0.0.2/24", "10.0.0.2"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "gateway 10.0.0.2 is the endpoint's own address");
	CU_ASSERT_EQUAL(ep_check("10.0.0.2/24", "10.0.0.255"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "gateway 10.0.0.255 is the network or broadcast address of 10.0.0.2/24");
	CU_ASSERT_EQUAL(ep_check("10.0.0.0/24", NULL), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "address 10.0.0.0/24 is the network or broadcast address of its prefix");
	CU_ASSERT_EQUAL(ep_check("10.0.0.255/24", NULL), -EINVAL);
	/* /31 (RFC 3021) and /32 have no network or broadcast address. */
	CU_ASSERT_EQUAL(ep_check("10.0.0.0/31", "10.0.0.1"), 0);
	CU_ASSERT_EQUAL(ep_check("10.0.0.7/32", NULL), 0);
	CU_ASSERT_EQUAL(ep_check("10.0.0.7/32", "10.0.0.8"), -EINVAL);
	CU_ASSERT_EQUAL(ep_check("10.9.9.9/0", "192.168.1.1"), 0);
}

static const char config_good[] =
	"; comment\n"
	"[daemon]\n"
	"workers = 2\n"
	"cpus = 0,2-3\n"
	"socket = /tmp/x.sock\n"
	"app-socket = /tmp/app.sock\n"
	"log-level = debug\n"
	"fdb-limit = 1000\n"
	"fdb-aging = 30\n"
	"busy-poll = 50\n"
	"arena-bufs = 4096\n"
	"\n"
	"[tenant gold]\n"
	"weight = 200\n"
	"rate = 10M\n"
	"[tenant empty]\n"
	"[port tap1]\n"
	"tenant = gold\n"
	"network = blue\n"
	"netns = web\n"
	"mac = 02:00:00:00:00:01\n"
	"address = 10.0.0.1/24\n"
	"address = fd00::1/64\n"
	"mtu = 9000\n"
	"queues = 2\n"
	"offload = off\n"
	"[port tap2]\n"
	"[endpoint web]\n"
	"tenant = gold\n"
	"network = blue\n"
	"address = 10.0.0.10/24\n"
	"gateway = 10.0.0.1\n"
	"mtu = 9000\n"
	"mac = 02:00:00:00:00:0a\n"
	"[endpoint db]\n"
	"address = 10.0.0.11/24\n";

static void test_config_good(void)
{
	struct config c;

	CU_ASSERT_EQUAL_FATAL(config_parse_buffer(&c, "t.ini", config_good,
						  strlen(config_good), err,
						  sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.daemon.workers, 2);
	CU_ASSERT_EQUAL(c.daemon.ncpus, 3);
	CU_ASSERT_EQUAL(c.daemon.cpus[2], 3);
	CU_ASSERT_STRING_EQUAL(c.daemon.socket, "/tmp/x.sock");
	CU_ASSERT_EQUAL(c.daemon.log_level, LOG_LEVEL_DEBUG);
	CU_ASSERT_EQUAL(c.daemon.fdb_aging_s, 30);
	CU_ASSERT_FALSE(c.daemon.set & CONFIG_NAPI);
	CU_ASSERT_EQUAL_FATAL(c.ntenants, 2);
	CU_ASSERT_STRING_EQUAL(c.tenants[0].spec.name, "gold");
	CU_ASSERT_EQUAL(c.tenants[0].spec.weight, 200);
	CU_ASSERT_EQUAL(c.tenants[0].spec.rate_bps, 10000000);
	CU_ASSERT_EQUAL(c.tenants[0].line, 13);
	CU_ASSERT_STRING_EQUAL(c.daemon.app_socket, "/tmp/app.sock");
	CU_ASSERT_TRUE(c.daemon.set & CONFIG_APP_SOCKET);
	CU_ASSERT_STRING_EQUAL(c.tenants[1].spec.name, "empty");
	CU_ASSERT_EQUAL_FATAL(c.nports, 2);
	CU_ASSERT_STRING_EQUAL(c.ports[0].spec.tenant, "gold");
	CU_ASSERT_EQUAL(c.ports[0].spec.naddrs, 2);
	CU_ASSERT_EQUAL(c.ports[0].spec.mtu, 9000);
	CU_ASSERT_FALSE(c.ports[0].spec.offload);
	CU_ASSERT_STRING_EQUAL(c.ports[1].spec.name, "tap2");
	CU_ASSERT_STRING_EQUAL(c.ports[1].spec.network, "default");
	CU_ASSERT_EQUAL_FATAL(c.nendpoints, 2);
	CU_ASSERT_STRING_EQUAL(c.endpoints[0].spec.name, "web");
	CU_ASSERT_STRING_EQUAL(c.endpoints[0].spec.tenant, "gold");
	CU_ASSERT_STRING_EQUAL(c.endpoints[0].spec.network, "blue");
	CU_ASSERT_EQUAL(c.endpoints[0].spec.address.prefix, 24);
	CU_ASSERT_TRUE(c.endpoints[0].spec.has_gateway);
	CU_ASSERT_EQUAL(c.endpoints[0].spec.gateway[3], 1);
	CU_ASSERT_EQUAL(c.endpoints[0].spec.mtu, 9000);
	CU_ASSERT_TRUE(c.endpoints[0].spec.has_mac);
	CU_ASSERT_EQUAL(c.endpoints[0].line, 28);
	CU_ASSERT_STRING_EQUAL(c.endpoints[1].spec.name, "db");
	CU_ASSERT_STRING_EQUAL(c.endpoints[1].spec.tenant, "default");
	CU_ASSERT_FALSE(c.endpoints[1].spec.has_gateway);
	config_free(&c);
}

/**
 * config_err() - parse a config, expect failure with this message
 * @text:	file contents
 * @msg:	expected "FILE:LINE: ..." message
 */
static void config_err(const char *text, const char *msg)
{
	struct config c;

	err[0] = '\0';
	CU_ASSERT_NOT_EQUAL(config_parse_buffer(&c, "t.ini", text, strlen(text),
						err, sizeof(err)), 0);
	if (strcmp(err, msg))
		fprintf(stderr, "\n  got:  %s\n  want: %s\n", err, msg);
	CU_ASSERT_STRING_EQUAL(err, msg);
	config_free(&c);
}

static void test_config_bad(void)
{
	struct config_daemon d = { 0 }, cli = { 0 };

	config_err("[daemon]\nworkers = 2\nbogus = 1\n",
		   "t.ini:3: unknown daemon key 'bogus'");
	config_err("[daemon]\nworkers = 65\n",
		   "t.ini:2: workers 65 out of range (1..64)");
	config_err("[daemon]\nfdb-aging = 2000001\n",
		   "t.ini:2: fdb-aging 2000001 out of range (1..2000000)");
	/* more than io_uring registers in one buffer (1 GiB) */
	config_err("[daemon]\narena-bufs = 15421\n",
		   "t.ini:2: arena-bufs 15421 out of range (64..15420)");
	config_err("\n\n[port p1]\nmtu = 70000\n",
		   "t.ini:4: MTU 70000 out of range (68..65521)");
	config_err("[daemon]\nworkers 2\n",
		   "t.ini:2: syntax error (expected KEY = VALUE or [SECTION])");
	config_err("[foo]\n",
		   "t.ini:1: unknown section [foo] (expected [daemon], [tenant NAME], [port NAME] or [endpoint NAME])");
	config_err("[tenant]\n", "t.ini:1: section [tenant] needs a name: [tenant NAME]");
	config_err("x = 1\n", "t.ini:1: key 'x' outside a section");
	config_err("[port a]\n[port a]\n",
		   "t.ini:2: duplicate section [port a] (first on line 1)");
	config_err("[port a]\nnetns = x\nnetns-pid = 3\n",
		   "t.ini:1: netns and netns-pid are mutually exclusive");
	config_err("[port a]\nname = b\n",
		   "t.ini:2: unknown port key 'name' (the name is in the section header)");
	config_err("[tenant t]\ncgroup = /a\npid = 1\n",
		   "t.ini:1: cgroup and pid are mutually exclusive");
	config_err("[daemon]\ncpus = 0,0\n", "t.ini:2: invalid cpus '0,0': CPU 0 listed twice");
	config_err("[endpoint e]\n",
		   "t.ini:1: endpoint e needs an address (--address ADDR/LEN, e.g. 10.0.0.1/24)");
	config_err("[endpoint]\n",
		   "t.ini:1: section [endpoint] needs a name: [endpoint NAME]");
	config_err("[endpoint e]\naddress = fd00::1/64\n",
		   "t.ini:2: invalid address 'fd00::1/64': endpoints are IPv4 for now");
	config_err("[endpoint e]\naddress = 10.0.0.2/24\ngateway = 10.1.0.1\n",
		   "t.ini:1: gateway 10.1.0.1 is not inside 10.0.0.2/24");
	config_err("[endpoint e]\naddress = 10.0.0.2/24\nqueues = 2\n",
		   "t.ini:3: unknown endpoint key 'queues'");
	config_err("[endpoint e]\nname = f\n",
		   "t.ini:2: unknown endpoint key 'name' (the name is in the section header)");
	config_err("[endpoint e]\naddress = 10.0.0.2/24\n[endpoint e]\n",
		   "t.ini:3: duplicate section [endpoint e] (first on line 1)");
	/* One namespace for ports and endpoints. */
	config_err("[port e]\n[endpoint e]\naddress = 10.0.0.2/24\n",
		   "t.ini:2: duplicate section [port e] (first on line 1)");
	config_err("[endpoint e]\naddress = 10.0.0.2/24\n[port e]\n",
		   "t.ini:3: duplicate section [endpoint e] (first on line 1)");
	config_err("[daemon]\napp-socket = \n",
		   "t.ini:2: invalid app socket path '': an absolute path of "
		   "at most 107 characters");
	/* vstackd leaves for "/" when it forks: a relative path would be
	 * bound there, not where the user is. */
	config_err("[daemon]\nsocket = v.sock\n",
		   "t.ini:2: invalid socket path 'v.sock': an absolute path of "
		   "at most 107 characters");
	config_err("[daemon]\napp-socket = run/app.sock\n",
		   "t.ini:2: invalid app socket path 'run/app.sock': an "
		   "absolute path of at most 107 characters");
	/* inih ignores what follows a section header */
	config_err("[port a] mtu = 9000\n",
		   "t.ini:1: text after the section header (a KEY = VALUE goes "
		   "on a line of its own)");
	config_err("[daemon]\nworkers = 2\n[tenant t]x\n",
		   "t.ini:3: text after the section header (a KEY = VALUE goes "
		   "on a line of its own)");
	{
		static const char hdr[] = "[port a] ; c\nmtu = 9000\n";
		struct config c;

		/* but a comment may */
		CU_ASSERT_EQUAL(config_parse_buffer(&c, "t.ini", hdr,
						    strlen(hdr), err,
						    sizeof(err)),
				0);
		CU_ASSERT_EQUAL(c.nports, 1);
		config_free(&c);
	}
	/* inih would take these lines for more of the key's value */
	config_err("[daemon]\nsocket = /x\n  [daemon]\n",
		   "t.ini:3: indented line after a key (it would continue that key's value): start it at the beginning of the line");
	config_err("[port p]\nmtu = 1500\n\n\t[tenant t]\n",
		   "t.ini:4: indented line after a key (it would continue that key's value): start it at the beginning of the line");
	config_err("[daemon]\nsocket = /x\n /y ; old\n",
		   "t.ini:3: indented line after a key (it would continue that key's value): start it at the beginning of the line");
	config_err("[port p]\n  tenant = t\n  mtu = 1500\n",
		   "t.ini:3: indented line after a key (it would continue that key's value): start it at the beginning of the line");
	/* and this one for a header, as the reader must */
	config_err("[port a]\n\f[port a]\n",
		   "t.ini:2: duplicate section [port a] (first on line 1)");
	{
		static const char ok[] =
			"[daemon]\n  [tenant t]\n  weight = 5\nrate = 1M\n  ; c\n\n";
		struct config c;

		/* Before any key an indented line is what it would be
		 * unindented; after one, blank lines and comments are. */
		CU_ASSERT_EQUAL(config_parse_buffer(&c, "t.ini", ok, strlen(ok),
						    err, sizeof(err)), 0);
		CU_ASSERT_EQUAL_FATAL(c.ntenants, 1);
		CU_ASSERT_EQUAL(c.tenants[0].spec.weight, 5);
		config_free(&c);
	}
	/* A key given twice in a section is refused, not the last one
	 * taken: its aliases too, and [daemon] keys across sections. */
	config_err("[port p]\nmtu = 9000\ntenant = t\nmtu = 1500\n",
		   "t.ini:4: duplicate key 'mtu' in [port p] (first on line 2)");
	config_err("[port p]\nnetns-pid = 3\nnetns_pid = 4\n",
		   "t.ini:3: duplicate key 'netns_pid' in [port p] (first on line 2)");
	config_err("[tenant t]\nrate = 1M\nrate_bps = 2M\n",
		   "t.ini:3: duplicate key 'rate_bps' in [tenant t] (first on line 2)");
	config_err("[endpoint e]\naddress = 10.0.0.2/24\ngateway = 10.0.0.1\n"
		   "gateway = 10.0.0.3\n",
		   "t.ini:4: duplicate key 'gateway' in [endpoint e] (first on line 3)");
	config_err("[daemon]\nworkers = 2\n[port p]\n[daemon]\nworkers = 4\n",
		   "t.ini:5: duplicate key 'workers' in [daemon] (first on line 2)");
	config_err("[daemon]\nlog-level = info\nlog_level = debug\n",
		   "t.ini:3: duplicate key 'log_level' in [daemon] (first on line 2)");
	config_err("[daemon]\nfdb_aging = 0\n",
		   "t.ini:2: fdb-aging 0 out of range (1..2000000)");
	{
		static const char ok[] =
			"[daemon]\nlog_level = debug\nfdb_aging = 30\n"
			"busy_poll = 5\none_hop = off\n";
		struct config c;

		/* '_' and '-' are the same in [daemon] keys too, as
		 * vstackd.conf(5) says of every key. */
		CU_ASSERT_EQUAL(config_parse_buffer(&c, "t.ini", ok, strlen(ok),
						    err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(c.daemon.log_level, LOG_LEVEL_DEBUG);
		CU_ASSERT_EQUAL(c.daemon.fdb_aging_s, 30);
		CU_ASSERT_EQUAL(c.daemon.busy_poll_us, 5);
		CU_ASSERT_TRUE(c.daemon.set & CONFIG_ONE_HOP);
		config_free(&c);
	}
	{
		static const char ok[] =
			"[port p]\nmtu = 9000\naddress = 10.0.0.1/24\n"
			"address = 10.0.0.2/24\n[port q]\nmtu = 1500\n"
			"[daemon]\nworkers = 2\n[daemon]\nsocket = /s\n";
		struct config c;

		/* A port's address adds one each time; the same key in
		 * another section is that section's. */
		CU_ASSERT_EQUAL(config_parse_buffer(&c, "t.ini", ok, strlen(ok),
						    err, sizeof(err)), 0);
		CU_ASSERT_EQUAL_FATAL(c.nports, 2);
		CU_ASSERT_EQUAL(c.ports[0].spec.naddrs, 2);
		CU_ASSERT_EQUAL(c.ports[1].spec.mtu, 1500);
		CU_ASSERT_EQUAL(c.daemon.workers, 2);
		config_free(&c);
	}
	{
		char line[400];

		memset(line, 'a', sizeof(line));
		memcpy(line, "[daemon]\nsocket = ", 18);
		line[sizeof(line) - 1] = '\0';
		config_err(line, "t.ini:2: line longer than 198 characters");
	}

	/* The command line overrides the file key by key. */
	CU_ASSERT_EQUAL(config_daemon_set(&d, "workers", "2", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(config_daemon_set(&d, "fdb-limit", "10", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(config_daemon_set(&cli, "workers", "4", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(config_daemon_set(&d, "app-socket", "/a", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(config_daemon_set(&cli, "app-socket", "/b", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(config_daemon_set(&d, "fdb-max", "100", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(config_daemon_set(&cli, "fdb-max", "0", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(config_daemon_set(&cli, "fdb-max", "16777217", err, sizeof(err)), -EINVAL);
	config_daemon_merge(&d, &cli);
	CU_ASSERT_TRUE(d.set & CONFIG_FDB_MAX);
	CU_ASSERT_EQUAL(d.fdb_max, 0);
	CU_ASSERT_EQUAL(d.workers, 4);
	CU_ASSERT_STRING_EQUAL(d.app_socket, "/b");
	CU_ASSERT_EQUAL(d.fdb_limit, 10);
}

int main(void)
{
	CU_pSuite s;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ctl_proto", NULL, NULL);
	CU_add_test(s, "proto valid", test_proto_valid);
	CU_add_test(s, "proto invalid JSON", test_proto_invalid_json);
	CU_add_test(s, "proto oversize", test_proto_oversize);
	CU_add_test(s, "proto version", test_proto_version);
	CU_add_test(s, "proto types", test_proto_types);
	CU_add_test(s, "proto unknown command", test_proto_unknown_command);
	CU_add_test(s, "proto responses", test_proto_responses);
	CU_add_test(s, "proto endpoint commands", test_proto_endpoint);
	CU_add_test(s, "parse MAC", test_parse_mac);
	CU_add_test(s, "parse CIDR", test_parse_cidr);
	CU_add_test(s, "parse CPU list", test_parse_cpus);
	CU_add_test(s, "parse numbers and names", test_parse_misc);
	CU_add_test(s, "spec port", test_spec_port);
	CU_add_test(s, "spec endpoint", test_spec_endpoint);
	CU_add_test(s, "config good", test_config_good);
	CU_add_test(s, "config bad", test_config_bad);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
