/* SPDX-License-Identifier: Apache-2.0 */
/* What every unit test program shares: a pool per test and the runner. */
#ifndef ATL_CHECK_H
#define ATL_CHECK_H

#include <stdlib.h>
#include <check.h>
#include <apr_general.h>
#include <apr_pools.h>

/* The pool of the running test, made fresh for each one. */
static apr_pool_t *pool;

static inline void atl_check_setup(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
}

static inline void atl_check_teardown(void)
{
    apr_pool_destroy(pool);
    pool = NULL;
    apr_terminate();
}

/* Run the suite; the exit status tells make check whether all passed. */
static inline int atl_check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
