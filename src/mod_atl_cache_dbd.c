/* SPDX-License-Identifier: Apache-2.0 */
/* AtlassianCache dbd: the shared cache in a table of the database that
 * mod_dbd connects to for the server (DBDriver, DBDParams), e.g. a
 * PostgreSQL reached over TLS with a password, or SQLite on one machine.
 *
 * mod_atl_cache.c calls these functions where it would call a mod_socache
 * provider; the keys and the sealed values are the same, only the place
 * they are kept differs. The connection comes from ap_dbd_acquire (mod_dbd
 * keeps it for the rest of the request), so a logged-in request that does
 * not touch the cache never asks mod_dbd for one.
 *
 * The statements are prepared on each connection the first time this file
 * uses it, and kept in the connection's own table of prepared statements:
 * preparing them at configuration time (ap_dbd_prepare) would make every
 * new connection fail, mod_session_dbd's included, while the table does
 * not exist yet. When they cannot be prepared, the table is created
 * (CREATE TABLE IF NOT EXISTS) and they are prepared again, so the
 * administrator writes nothing but the directive.
 *
 * Expiry is absolute, in microseconds since the epoch (apr_time_t), by the
 * clock of the node that writes. A row past its expiry is never read; the
 * expired rows are deleted as the module goes, at most ATL_DBD_SWEEP_ROWS
 * of them every ATL_DBD_SWEEP_GAP seconds per process.
 *
 * Adding a key (a spent state, a lock) is one statement: an INSERT that
 * does nothing when an unexpired row holds the key (ON CONFLICT ... DO
 * UPDATE ... WHERE expired, understood by PostgreSQL and SQLite 3.24 or
 * later); the count of rows it changed says who won, so two nodes can
 * never both own a lock. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include <apr_atomic.h>
#include <apr_dbd.h>
#include <apr_optional.h>
#include <apr_strings.h>

/* After apr_dbd.h, whose types it uses. */
#include "mod_dbd.h"

#include "mod_atl_cache.h"

APLOG_USE_MODULE(auth_atlassian);

#define ATL_DBD_TABLE      "atlassian_cache"
#define ATL_DBD_SWEEP_GAP  10 /* seconds */
#define ATL_DBD_SWEEP_ROWS "500"
#define ATL_DBD_WARN_GAP   apr_time_from_sec(30)
#define ATL_DBD_ATTEMPTS   3

/* The statements, by the label they are prepared under on a connection. */
enum { ATL_DBD_GET, ATL_DBD_PUT, ATL_DBD_ADD, ATL_DBD_DEL, ATL_DBD_SWEEP, ATL_DBD_N };

static const char *const atl_dbd_labels[ATL_DBD_N] = {
    "atlassian_cache_get", "atlassian_cache_put", "atlassian_cache_add",
    "atlassian_cache_del", "atlassian_cache_sweep"};

static const char *const atl_dbd_sql[ATL_DBD_N] = {
    "SELECT value FROM " ATL_DBD_TABLE " WHERE id = %s AND expiry > %lld",
    "INSERT INTO " ATL_DBD_TABLE " (id, value, expiry) VALUES (%s, %s, %lld) "
    "ON CONFLICT (id) DO UPDATE SET value = excluded.value, expiry = excluded.expiry",
    "INSERT INTO " ATL_DBD_TABLE " (id, value, expiry) VALUES (%s, %s, %lld) "
    "ON CONFLICT (id) DO UPDATE SET value = excluded.value, expiry = excluded.expiry "
    "WHERE " ATL_DBD_TABLE ".expiry <= %lld",
    "DELETE FROM " ATL_DBD_TABLE " WHERE id = %s",
    "DELETE FROM " ATL_DBD_TABLE " WHERE id IN (SELECT id FROM " ATL_DBD_TABLE
    " WHERE expiry <= %lld LIMIT " ATL_DBD_SWEEP_ROWS ")"};

/* For PostgreSQL and SQLite (MySQL lacks ON CONFLICT): keys are at most "atl:" and
 * ATL_CACHE_MAX_KEY bytes, values ATL_CACHE_MAX_VALUE bytes of text. */
static const char *const atl_dbd_create[] = {
    "CREATE TABLE IF NOT EXISTS " ATL_DBD_TABLE " (id VARCHAR(128) PRIMARY KEY, "
    "value TEXT NOT NULL, expiry BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS " ATL_DBD_TABLE "_expiry ON " ATL_DBD_TABLE " (expiry)"};

/* mod_dbd's function, found in post_config; read by requests only. */
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) * atl_dbd_acquire;
/* When this process last swept, in seconds of apr_time_now(), and last
 * warned about a statement the database refused. */
static volatile apr_uint32_t atl_dbd_swept;
static apr_time_t atl_dbd_warned;

int atl_cache_is_dbd(const char *spec)
{
    return spec && !strcmp(spec, ATL_CACHE_DBD);
}

int atl_cache_dbd_available(void)
{
    atl_dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    return atl_dbd_acquire != NULL;
}

/* The database refused a statement: say what it said, now and then (the
 * caller's ATL00206 says that the cache is down). */
static void atl_dbd_refused(request_rec *r, ap_dbd_t *dbd, const char *what, int rc)
{
    apr_time_t now = apr_time_now();
    const char *msg = apr_dbd_error(dbd->driver, dbd->handle, rc);

    if (now - atl_dbd_warned >= ATL_DBD_WARN_GAP) {
        atl_dbd_warned = now;
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00661: AtlassianCache dbd: the database refused to %s "
                      "(table " ATL_DBD_TABLE "): %s",
                      what, msg ? msg : "no message");
    }
}

/* Prepare the statements missing from st on the connection; 0 or the
 * driver's code. Each one prepared is recorded on the connection at once:
 * PostgreSQL keeps it under its label, and would refuse to prepare it
 * again when a later one fails. */
static int atl_dbd_prepare_missing(ap_dbd_t *dbd, apr_dbd_prepared_t **st)
{
    int i, rc;

    for (i = 0; i < ATL_DBD_N; i++) {
        if (st[i]) {
            continue;
        }
        rc = apr_dbd_prepare(dbd->driver, dbd->pool, dbd->handle, atl_dbd_sql[i],
                             atl_dbd_labels[i], &st[i]);
        if (rc) {
            st[i] = NULL;
            return rc;
        }
        apr_hash_set(dbd->prepared, atl_dbd_labels[i], APR_HASH_KEY_STRING, st[i]);
    }
    return 0;
}

/* A connection this file has not used yet: SQLite waits for a lock held
 * by another process instead of failing at once; the statements are
 * prepared, after creating the table when that fails. Several processes
 * and nodes may do this at the same moment (SQLite then answers "locked",
 * PostgreSQL may refuse one of two concurrent CREATE TABLEs), so it is
 * tried a few times. 0 or the driver's last code. */
static int atl_dbd_first_use(ap_dbd_t *dbd, apr_dbd_prepared_t **st)
{
    apr_size_t i;
    int attempt, n, rc;

    if (!strcmp(apr_dbd_name(dbd->driver), "sqlite3")) {
        apr_dbd_query(dbd->driver, dbd->handle, &n, "PRAGMA busy_timeout = 2000");
    }
    for (attempt = 0;; attempt++) {
        if ((rc = atl_dbd_prepare_missing(dbd, st)) == 0 || attempt == ATL_DBD_ATTEMPTS) {
            return rc;
        }
        for (i = 0; i < sizeof(atl_dbd_create) / sizeof(atl_dbd_create[0]); i++) {
            apr_dbd_query(dbd->driver, dbd->handle, &n, atl_dbd_create[i]);
        }
        if (attempt) {
            apr_sleep(apr_time_from_msec(50 * attempt));
        }
    }
}

/* Statements prepared on a SQLite connection fail once another process
 * has changed the schema (apr_dbd_sqlite3 uses sqlite3_prepare, which does
 * not prepare again by itself): as several processes create the table and
 * its index on first use, a failed statement there is prepared again, and
 * tried once more, once in the connection's life (the statements live in
 * its pool). 1 when that was done. */
static int atl_dbd_prepare_again(ap_dbd_t *dbd, apr_dbd_prepared_t **st)
{
    static const char *const done = "atl-dbd-prepared-again";
    void *again = NULL;
    int i;

    if (strcmp(apr_dbd_name(dbd->driver), "sqlite3")
        || apr_pool_userdata_get(&again, done, dbd->pool) != APR_SUCCESS || again) {
        return 0;
    }
    apr_pool_userdata_setn((void *)done, done, NULL, dbd->pool);
    for (i = 0; i < ATL_DBD_N; i++) {
        st[i] = NULL;
        apr_hash_set(dbd->prepared, atl_dbd_labels[i], APR_HASH_KEY_STRING, NULL);
    }
    return atl_dbd_prepare_missing(dbd, st) == 0;
}

/* The request's connection with this file's statements on it. */
static apr_status_t atl_dbd_open(request_rec *r, ap_dbd_t **out, apr_dbd_prepared_t **st)
{
    ap_dbd_t *dbd;
    int i, rc, missing = 0;

    *out = NULL;
    if (!atl_dbd_acquire || !(dbd = atl_dbd_acquire(r))) {
        /* mod_dbd logged why (no connection, a bad DBDParams). */
        return APR_ECONNREFUSED;
    }
    for (i = 0; i < ATL_DBD_N; i++) {
        st[i] = apr_hash_get(dbd->prepared, atl_dbd_labels[i], APR_HASH_KEY_STRING);
        missing |= !st[i];
    }
    if (missing && (rc = atl_dbd_first_use(dbd, st)) != 0) {
        atl_dbd_refused(r, dbd, "prepare its statements", rc);
        return APR_EGENERAL;
    }
    *out = dbd;
    return APR_SUCCESS;
}

/* Delete a bounded number of expired rows, when this process has not done
 * so for ATL_DBD_SWEEP_GAP seconds. */
static void atl_dbd_sweep(request_rec *r, ap_dbd_t *dbd, apr_dbd_prepared_t **st,
                          apr_time_t now)
{
    apr_uint32_t sec = (apr_uint32_t)apr_time_sec(now);
    apr_uint32_t last = apr_atomic_read32(&atl_dbd_swept);
    int n, rc;

    if (sec - last < ATL_DBD_SWEEP_GAP
        || apr_atomic_cas32(&atl_dbd_swept, sec, last) != last) {
        return; /* done lately, or by another thread right now */
    }
    rc = apr_dbd_pvquery(dbd->driver, r->pool, dbd->handle, &n, st[ATL_DBD_SWEEP],
                         apr_psprintf(r->pool, "%" APR_TIME_T_FMT, now), NULL);
    if (rc) {
        atl_dbd_refused(r, dbd, "delete expired rows", rc);
    }
}

apr_status_t atl_cache_dbd_get(request_rec *r, const char *id, const char **value,
                               apr_size_t *len)
{
    apr_dbd_prepared_t *st[ATL_DBD_N];
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    ap_dbd_t *dbd;
    const char *v;
    apr_status_t rv;
    int attempt, rc;

    if ((rv = atl_dbd_open(r, &dbd, st)) != APR_SUCCESS) {
        return rv;
    }
    for (attempt = 0;; attempt++) {
        rc = apr_dbd_pvselect(
            dbd->driver, r->pool, dbd->handle, &res, st[ATL_DBD_GET], 1, id,
            apr_psprintf(r->pool, "%" APR_TIME_T_FMT, apr_time_now()), NULL);
        if (!rc || attempt || !atl_dbd_prepare_again(dbd, st)) {
            break;
        }
    }
    if (rc) {
        atl_dbd_refused(r, dbd, "read", rc);
        return APR_EGENERAL;
    }
    if (apr_dbd_get_row(dbd->driver, r->pool, res, &row, -1) != 0
        || !(v = apr_dbd_get_entry(dbd->driver, row, 0))) {
        return APR_NOTFOUND;
    }
    *value = apr_pstrdup(r->pool, v);
    if (len) {
        *len = strlen(v);
    }
    return APR_SUCCESS;
}

/* INSERT or upsert: which is ATL_DBD_PUT or ATL_DBD_ADD. */
static apr_status_t atl_dbd_write(request_rec *r, int which, const char *id,
                                  const char *value, apr_size_t len, apr_time_t expiry)
{
    apr_dbd_prepared_t *st[ATL_DBD_N];
    apr_time_t now = apr_time_now();
    const char *nows = apr_psprintf(r->pool, "%" APR_TIME_T_FMT, now);
    ap_dbd_t *dbd;
    apr_status_t rv;
    int attempt, n = 0, rc;

    if (memchr(value, 0, len)) {
        return APR_EINVAL; /* the column holds text; values are base64url */
    }
    if ((rv = atl_dbd_open(r, &dbd, st)) != APR_SUCCESS) {
        return rv;
    }
    atl_dbd_sweep(r, dbd, st, now);
    for (attempt = 0;; attempt++) {
        rc = apr_dbd_pvquery(dbd->driver, r->pool, dbd->handle, &n, st[which], id,
                             apr_pstrmemdup(r->pool, value, len),
                             apr_psprintf(r->pool, "%" APR_TIME_T_FMT, expiry),
                             which == ATL_DBD_ADD ? nows : NULL, NULL);
        if (!rc || attempt || !atl_dbd_prepare_again(dbd, st)) {
            break;
        }
    }
    if (rc) {
        atl_dbd_refused(r, dbd, which == ATL_DBD_ADD ? "add a key" : "store", rc);
        return APR_EGENERAL;
    }
    /* ATL_DBD_ADD changes no row when an unexpired row holds the key. */
    return n > 0 ? APR_SUCCESS : which == ATL_DBD_ADD ? APR_EBUSY : APR_EGENERAL;
}

apr_status_t atl_cache_dbd_put(request_rec *r, const char *id, const char *value,
                               apr_size_t len, apr_time_t expiry)
{
    return atl_dbd_write(r, ATL_DBD_PUT, id, value, len, expiry);
}

apr_status_t atl_cache_dbd_add(request_rec *r, const char *id, const char *value,
                               apr_time_t expiry)
{
    return atl_dbd_write(r, ATL_DBD_ADD, id, value, strlen(value), expiry);
}

apr_status_t atl_cache_dbd_remove(request_rec *r, const char *id)
{
    apr_dbd_prepared_t *st[ATL_DBD_N];
    ap_dbd_t *dbd;
    apr_status_t rv;
    int n, rc;

    if ((rv = atl_dbd_open(r, &dbd, st)) != APR_SUCCESS) {
        return rv;
    }
    rc =
        apr_dbd_pvquery(dbd->driver, r->pool, dbd->handle, &n, st[ATL_DBD_DEL], id, NULL);
    if (rc) {
        atl_dbd_refused(r, dbd, "remove", rc);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}
