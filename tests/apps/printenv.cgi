#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Prints its environment as text/plain KEY=VALUE lines (sorted), so that the
# tests (and the demo) can see what mod_auth_atlassian passes to CGI.
echo "Content-Type: text/plain; charset=utf-8"
echo "Cache-Control: no-store"
echo
env | LC_ALL=C sort
