/* A fixed Huffman code for short profile text (names, e-mail addresses,
 * titles, places): about 5 bits a character instead of 8. The identity's
 * storage format 3 (atl_identity_codec.c) writes a value with it when that
 * is shorter. The code itself is src/atl_textcode_table.h, generated once
 * by src/atl_textcode_gen.py and part of the format forever. */
#ifndef ATL_TEXTCODE_H
#define ATL_TEXTCODE_H

#include <apr.h>

/* Bytes that n bytes of s take once coded (the last byte padded with
 * zero bits). */
apr_size_t atl_textcode_size(const char *s, apr_size_t n);

/* Write n bytes of s, coded, to out (atl_textcode_size(s, n) bytes). */
void atl_textcode_put(unsigned char *out, const char *s, apr_size_t n);

/* Read n characters from the bytes at *in (not beyond end) into out (n
 * bytes, no terminator), and move *in past the bytes they took. 0 when
 * the bytes end first, a code is unknown or the padding bits of the last
 * byte are not zero: every encoding has one spelling. */
int atl_textcode_get(char *out, apr_size_t n, const unsigned char **in,
                     const unsigned char *end);

#endif
