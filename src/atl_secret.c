/* SPDX-License-Identifier: Apache-2.0 */
/* Secrets in the configuration: "file:/path", "env:NAME", or literal. */

#include <string.h>

#include <apr_env.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "atl_secret.h"

/* A secret file larger than this is surely not a secret file. */
#define SECRET_MAX_FILE (64 * 1024)

/* Drop one trailing "\n" or "\r\n", the way editors and `echo` leave it. */
static void strip_newline(char *v, apr_size_t *len)
{
    if (*len > 0 && v[*len - 1] == '\n') {
        (*len)--;
        if (*len > 0 && v[*len - 1] == '\r') {
            (*len)--;
        }
        v[*len] = '\0';
    }
}

static apr_status_t read_file(const char **value, apr_size_t *len, const char **errmsg,
                              apr_pool_t *p, const char *path)
{
    apr_file_t *f = NULL;
    apr_finfo_t finfo;
    char *buf;
    apr_size_t n = 0;
    apr_status_t rv;
    char ebuf[128];

    if (*path == '\0') {
        *errmsg = "\"file:\" needs a path";
        return ATL_E_BADINPUT;
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT,
                       p);
    if (rv != APR_SUCCESS) {
        *errmsg = apr_psprintf(p, "cannot open secret file %s: %s", path,
                               apr_strerror(rv, ebuf, sizeof(ebuf)));
        return rv;
    }
    rv = apr_file_info_get(&finfo, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv == APR_SUCCESS && finfo.filetype != APR_REG) {
        *errmsg = apr_psprintf(p, "secret file %s is not a regular file", path);
        rv = ATL_E_BADINPUT;
        goto out;
    }
    if (rv == APR_SUCCESS && finfo.size > SECRET_MAX_FILE) {
        *errmsg = apr_psprintf(p, "secret file %s is larger than %d bytes", path,
                               SECRET_MAX_FILE);
        rv = ATL_E_TOOBIG;
        goto out;
    }
    /* Read one byte more than allowed, so that a file that grew after the
     * size check is still caught. */
    buf = apr_palloc(p, SECRET_MAX_FILE + 2);
    rv = apr_file_read_full(f, buf, SECRET_MAX_FILE + 1, &n);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        *errmsg = apr_psprintf(p, "cannot read secret file %s: %s", path,
                               apr_strerror(rv, ebuf, sizeof(ebuf)));
        goto out;
    }
    if (n > SECRET_MAX_FILE) {
        *errmsg = apr_psprintf(p, "secret file %s is larger than %d bytes", path,
                               SECRET_MAX_FILE);
        rv = ATL_E_TOOBIG;
        goto out;
    }
    buf[n] = '\0';
    strip_newline(buf, &n);
    if (n == 0) {
        *errmsg = apr_psprintf(p, "secret file %s is empty", path);
        rv = ATL_E_BADINPUT;
        goto out;
    }
    *value = buf;
    *len = n;
    rv = APR_SUCCESS;

out:
    apr_file_close(f);
    return rv;
}

apr_status_t atl_secret_resolve(const char **value, apr_size_t *len, const char **errmsg,
                                apr_pool_t *p, const char *spec)
{
    apr_size_t n = 0;

    *value = NULL;
    *errmsg = NULL;
    if (len) {
        *len = 0;
    }
    if (spec == NULL) {
        *errmsg = "no secret given";
        return ATL_E_BADINPUT;
    }
    if (strncmp(spec, "file:", 5) == 0) {
        apr_status_t rv = read_file(value, &n, errmsg, p, spec + 5);
        if (len) {
            *len = n;
        }
        return rv;
    }
    if (strncmp(spec, "env:", 4) == 0) {
        const char *name = spec + 4;
        char *v = NULL;

        if (*name == '\0') {
            *errmsg = "\"env:\" needs a variable name";
            return ATL_E_BADINPUT;
        }
        if (apr_env_get(&v, name, p) != APR_SUCCESS || v == NULL || *v == '\0') {
            *errmsg =
                apr_psprintf(p, "environment variable %s is not set or empty", name);
            return ATL_E_BADINPUT;
        }
        *value = v;
        if (len) {
            *len = strlen(v);
        }
        return APR_SUCCESS;
    }
    *value = spec;
    if (len) {
        *len = strlen(spec);
    }
    return APR_SUCCESS;
}
