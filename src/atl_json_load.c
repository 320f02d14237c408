/* SPDX-License-Identifier: Apache-2.0 */
/* The front door of every JSON answer: the module's own UTF-8 check, then
 * json-c's strict tokener, on every json-c from 0.14 to 0.18. A json-c file
 * of the core (with atl_json.c and atl_json_groups.c); only pool memory
 * leaves it.
 *
 * Why non-ASCII characters are handed to json-c as \u escapes: json-c 0.18
 * refuses every byte above 0x7F inside a string in strict mode (with or
 * without JSON_TOKENER_VALIDATE_UTF8), so "Jürgen Müller" in raw UTF-8, as
 * Atlassian sends it, would fail the login; json-c 0.14 has no UTF-8 check
 * at all, and the check of 0.15 to 0.17 lets overlong forms and surrogates
 * through. So the module checks UTF-8 itself (RFC 3629) and then rewrites
 * each character above U+007F as the \u escape that means the same
 * character. json-c decodes the escape back into the same UTF-8 bytes, so
 * the values are unchanged, and the strict tokener only ever sees ASCII. */

#include <string.h>

#include <apr_strings.h>

#include <json-c/json.h>

#include "atl_identity.h"
#include "atl_json_private.h"

/* json-c 0.14 (RHEL 9) has no json_tokener_get_parse_end (added in 0.15);
 * its tokener structure is public there and char_offset holds the same
 * offset. */
#if !defined(JSON_C_VERSION_NUM) || JSON_C_VERSION_NUM < ((0 << 16) | (15 << 8))
#define json_tokener_get_parse_end(tok) ((size_t)(tok)->char_offset)
#endif

/* Atlassian's answers are at most three levels deep; anything deeper is
 * refused by the tokener before it can cost stack or memory. */
#define ATL_JSON_MAX_DEPTH 16

/* The offset of the first byte of s that does not begin a well-formed UTF-8
 * sequence (RFC 3629), or len when all of s is well-formed. Overlong forms
 * (C0 AF for "/"), UTF-16 surrogates (ED A0 80), code points above
 * U+10FFFF and cut sequences are refused: the values would otherwise reach
 * the session, the environment and the headers. The ranges are those of
 * RFC 3629, section 4. */
static apr_size_t atl_json_utf8_end(const char *str, apr_size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    apr_size_t i = 0, k, n;
    unsigned char lo, hi;

    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        lo = 0x80;
        hi = 0xBF;
        if (s[i] >= 0xC2 && s[i] <= 0xDF) {
            n = 1;
        }
        else if (s[i] >= 0xE0 && s[i] <= 0xEF) {
            n = 2;
            lo = s[i] == 0xE0 ? 0xA0 : lo; /* no overlong form */
            hi = s[i] == 0xED ? 0x9F : hi; /* no surrogate */
        }
        else if (s[i] >= 0xF0 && s[i] <= 0xF4) {
            n = 3;
            lo = s[i] == 0xF0 ? 0x90 : lo; /* no overlong form */
            hi = s[i] == 0xF4 ? 0x8F : hi; /* nothing above U+10FFFF */
        }
        else {
            return i;
        }
        if (len - i <= n || s[i + 1] < lo || s[i + 1] > hi) {
            return i;
        }
        for (k = 2; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return i;
            }
        }
        i += n + 1;
    }
    return len;
}

/* Write the \u escape of one UTF-16 code unit at out; returns 6. */
int atl_json_utf8_valid(const char *s, apr_size_t len)
{
    return atl_json_utf8_end(s, len) == len;
}

static apr_size_t atl_json_put_escape(char *out, unsigned int unit)
{
    static const char hex[] = "0123456789abcdef";

    out[0] = '\\';
    out[1] = 'u';
    out[2] = hex[(unit >> 12) & 0xF];
    out[3] = hex[(unit >> 8) & 0xF];
    out[4] = hex[(unit >> 4) & 0xF];
    out[5] = hex[unit & 0xF];
    return 6;
}

/* The text of len bytes (well-formed UTF-8, checked before) with every
 * character above U+007F written as its \u escape (a surrogate pair above
 * U+FFFF). *out is body itself when it is all ASCII. A non-ASCII character
 * outside a string, or right after a backslash, cannot be part of valid
 * JSON: that is refused (returns 0), since its escape could turn it into
 * something valid. */
static int atl_json_ascii(const char **out, apr_size_t *outlen, apr_pool_t *p,
                          const char *body, apr_size_t len)
{
    const unsigned char *s = (const unsigned char *)body;
    int in_string = 0, escaped = 0;
    apr_size_t i, o = 0;
    char *buf;

    for (i = 0; i < len && s[i] < 0x80; i++) {
    }
    if (i == len) {
        *out = body;
        *outlen = len;
        return 1;
    }
    /* Two bytes become six, three six, four twelve: at most three times. */
    buf = apr_palloc(p, len * 3 + 1);
    for (i = 0; i < len;) {
        unsigned int cp, n;

        if (s[i] < 0x80) {
            if (in_string) {
                if (escaped) {
                    escaped = 0;
                }
                else if (s[i] == '\\') {
                    escaped = 1;
                }
                else if (s[i] == '"') {
                    in_string = 0;
                }
            }
            else if (s[i] == '"') {
                in_string = 1;
            }
            buf[o++] = (char)s[i++];
            continue;
        }
        if (!in_string || escaped) {
            return 0;
        }
        n = s[i] >= 0xF0 ? 3 : s[i] >= 0xE0 ? 2 : 1;
        cp = s[i] & (0x3F >> n);
        for (; n > 0; n--) {
            cp = (cp << 6) | (s[++i] & 0x3F);
        }
        i++;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            o += atl_json_put_escape(buf + o, 0xD800 | (cp >> 10));
            o += atl_json_put_escape(buf + o, 0xDC00 | (cp & 0x3FF));
        }
        else {
            o += atl_json_put_escape(buf + o, cp);
        }
    }
    buf[o] = '\0';
    *out = buf;
    *outlen = o;
    return 1;
}

apr_status_t atl_json_load(json_object **out, const char **errmsg, apr_pool_t *p,
                           const char *body, apr_size_t len)
{
    json_tokener *tok = NULL;
    json_object *obj = NULL;
    enum json_tokener_error jerr;
    apr_status_t rv = APR_SUCCESS;
    size_t end;

    *out = NULL;
    if (body == NULL || len == 0) {
        *errmsg = "empty answer";
        rv = ATL_E_MALFORMED;
        goto done;
    }
    if (memchr(body, '\0', len) != NULL) {
        *errmsg = "answer has a NUL byte";
        rv = ATL_E_MALFORMED;
        goto done;
    }
    if ((end = atl_json_utf8_end(body, len)) != len) {
        *errmsg =
            apr_psprintf(p, "answer is not valid UTF-8 (byte %" APR_SIZE_T_FMT ")", end);
        rv = ATL_E_MALFORMED;
        goto done;
    }
    /* json_tokener_parse_ex takes an int length; the escapes below make
     * the text at most three times longer. */
    if (len > (apr_size_t)0x7ffffffe / 3) {
        *errmsg = "answer too large";
        rv = ATL_E_TOOBIG;
        goto done;
    }
    if (!atl_json_ascii(&body, &len, p, body, len)) {
        *errmsg = "answer is not JSON (a non-ASCII character outside a string)";
        rv = ATL_E_MALFORMED;
        goto done;
    }
    tok = json_tokener_new_ex(ATL_JSON_MAX_DEPTH);
    if (tok == NULL) {
        *errmsg = "out of memory";
        rv = APR_ENOMEM;
        goto done;
    }
    /* No JSON_TOKENER_VALIDATE_UTF8: the text is ASCII by now, and the
     * check above is stricter than json-c's. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, body, (int)len);
    jerr = json_tokener_get_error(tok);
    if (jerr == json_tokener_continue) {
        /* A bare number has no end of its own: the terminating NUL tells
         * the tokener the input is complete. Anything else still open
         * (an unclosed object) stays an error. */
        obj = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        end = len;
    }
    else {
        end = json_tokener_get_parse_end(tok);
    }
    if (obj == NULL || jerr != json_tokener_success) {
        *errmsg = apr_psprintf(
            p, "answer is not JSON (%s)",
            jerr == json_tokener_continue ? "truncated" : json_tokener_error_desc(jerr));
        rv = ATL_E_MALFORMED;
        goto done;
    }
    while (end < len
           && (body[end] == ' ' || body[end] == '\t' || body[end] == '\r'
               || body[end] == '\n')) {
        end++;
    }
    if (end != len) {
        *errmsg = "answer has data after the JSON value";
        rv = ATL_E_MALFORMED;
        goto done;
    }
    *out = obj;
    obj = NULL;

done:
    if (obj) {
        json_object_put(obj);
    }
    if (tok) {
        json_tokener_free(tok);
    }
    return rv;
}

apr_status_t atl_json_load_as(json_object **out, const char **errmsg, apr_pool_t *p,
                              const char *body, apr_size_t len, json_type type,
                              const char *what)
{
    apr_status_t rv = atl_json_load(out, errmsg, p, body, len);

    if (rv == APR_SUCCESS && !json_object_is_type(*out, type)) {
        json_object_put(*out);
        *out = NULL;
        *errmsg = apr_psprintf(p, "%s is not a JSON %s", what,
                               type == json_type_array ? "array" : "object");
        rv = ATL_E_MALFORMED;
    }
    return rv;
}

const char *atl_json_whole_value(apr_pool_t *p, json_object *v, apr_size_t max)
{
    const char *s;
    apr_size_t len;

    if (v == NULL || !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    s = json_object_get_string(v);
    len = (apr_size_t)json_object_get_string_len(v);
    if (!len || len > max || atl_identity_has_control(s, len)) {
        return NULL;
    }
    return apr_pstrmemdup(p, s, len);
}
