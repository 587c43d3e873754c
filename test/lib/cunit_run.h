/* SPDX-License-Identifier: MIT */
/*
 * cunit_run.h - run one CUnit suite from a table of tests
 *
 * Header-only: each test program includes it once and returns
 * cunit_run()'s result from main().
 */
#ifndef VSTACK_TEST_CUNIT_RUN_H
#define VSTACK_TEST_CUNIT_RUN_H

#include <stddef.h>
#include <stdio.h>

#include <CUnit/Basic.h>

struct cunit_test {
	const char *name;
	void (*fn)(void);
};

/**
 * cunit_run() - register @n tests as suite @suite, run them verbosely
 * @suite:	suite name
 * @tests:	the tests
 * @n:		how many
 * @init:	suite set-up, or NULL
 * @clean:	suite tear-down, or NULL
 *
 * Return: 0 when every assertion held, 1 otherwise (also when the suite's
 * set-up failed, which CUnit does not count as a failed assertion)
 */
static inline int cunit_run(const char *suite, const struct cunit_test *tests,
			    size_t n, int (*init)(void), int (*clean)(void))
{
	unsigned fails;
	CU_pSuite s;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(suite, init, clean);
	if (!s)
		goto err;
	for (i = 0; i < n; i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn))
			goto err;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;

err:
	fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 1;
}

#endif /* VSTACK_TEST_CUNIT_RUN_H */
