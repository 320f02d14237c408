/* The fixed Huffman code of atl_textcode.h. Bits are written from the
 * most significant bit of each byte down; a symbol's code is its tc_len
 * low bits of tc_code (canonical: codes of one length are consecutive,
 * shorter codes come first), so reading needs no tree: per length, the
 * first code and how many there are. */

#include "atl_textcode.h"
#include "atl_textcode_table.h"

/* The symbol of byte c: printable ASCII is itself, all else escapes. */
static int tc_symbol(unsigned char c)
{
    return c >= 0x20 && c <= 0x7e ? c - 0x20 : -1;
}

static apr_size_t tc_bits(unsigned char c)
{
    int s = tc_symbol(c);

    return s >= 0 ? tc_len[s] : (apr_size_t)tc_len[TC_ESCAPE] + 8;
}

apr_size_t atl_textcode_size(const char *s, apr_size_t n)
{
    apr_size_t i, bits = 0;

    for (i = 0; i < n; i++) {
        bits += tc_bits((unsigned char)s[i]);
    }
    return (bits + 7) / 8;
}

typedef struct {
    unsigned char *out;
    apr_size_t bit; /* bits written */
} tc_writer_t;

static void tc_put_bits(tc_writer_t *w, unsigned int code, unsigned int len)
{
    while (len--) {
        unsigned char *b = w->out + w->bit / 8;

        if (w->bit % 8 == 0) {
            *b = 0;
        }
        if (code >> len & 1) {
            *b |= (unsigned char)(0x80 >> (w->bit % 8));
        }
        w->bit++;
    }
}

void atl_textcode_put(unsigned char *out, const char *s, apr_size_t n)
{
    tc_writer_t w;
    apr_size_t i;

    w.out = out;
    w.bit = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int sym = tc_symbol(c);

        if (sym >= 0) {
            tc_put_bits(&w, tc_code[sym], tc_len[sym]);
        }
        else {
            tc_put_bits(&w, tc_code[TC_ESCAPE], tc_len[TC_ESCAPE]);
            tc_put_bits(&w, c, 8);
        }
    }
}

typedef struct {
    const unsigned char *in, *end;
    apr_size_t bit; /* bits read */
} tc_reader_t;

static int tc_get_bit(tc_reader_t *r, unsigned int *b)
{
    const unsigned char *p = r->in + r->bit / 8;

    if (p >= r->end) {
        return 0;
    }
    *b = *p >> (7 - r->bit % 8) & 1;
    r->bit++;
    return 1;
}

/* One symbol: the code grows a bit at a time until it is one of the
 * codes of its length. */
static int tc_get_symbol(tc_reader_t *r, int *sym)
{
    unsigned int code = 0, first = 0, len, b;
    int index = 0;

    for (len = 1; len <= TC_MAX_BITS; len++) {
        if (!tc_get_bit(r, &b)) {
            return 0;
        }
        code = code << 1 | b;
        if (code - first < tc_count[len]) {
            *sym = tc_sorted[index + (int)(code - first)];
            return 1;
        }
        index += tc_count[len];
        first = (first + tc_count[len]) << 1;
    }
    return 0;
}

int atl_textcode_get(char *out, apr_size_t n, const unsigned char **in,
                     const unsigned char *end)
{
    tc_reader_t r;
    apr_size_t i;
    unsigned int b;

    r.in = *in;
    r.end = end;
    r.bit = 0;
    for (i = 0; i < n; i++) {
        int sym;

        if (!tc_get_symbol(&r, &sym)) {
            return 0;
        }
        if (sym == TC_ESCAPE) {
            unsigned int c = 0, k;

            for (k = 0; k < 8; k++) {
                if (!tc_get_bit(&r, &b)) {
                    return 0;
                }
                c = c << 1 | b;
            }
            if (tc_symbol((unsigned char)c) >= 0) {
                return 0; /* printable bytes have codes of their own */
            }
            out[i] = (char)c;
        }
        else {
            out[i] = (char)(sym + 0x20);
        }
    }
    while (r.bit % 8) {
        if (!tc_get_bit(&r, &b) || b) {
            return 0;
        }
    }
    *in = r.in + r.bit / 8;
    return 1;
}
