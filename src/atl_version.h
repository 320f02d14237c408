/* SPDX-License-Identifier: Apache-2.0 */
/* The module's version. It is set in configure.ac (AC_INIT) alone and
 * reaches the compiler as -DATL_VERSION from Makefile.am; builds that do
 * not go through configure (fuzz/Makefile, tests/oldheaders/run) get a
 * placeholder that no release carries. */

#ifndef ATL_VERSION_H
#define ATL_VERSION_H

#ifndef ATL_VERSION
#define ATL_VERSION "0.0.0-unconfigured"
#endif

#endif
