#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Prints the request method, its Content-Type, the user and the request body
# as text/plain, so that the tests can see what a form POST delivered.
echo "Content-Type: text/plain; charset=utf-8"
echo "Cache-Control: no-store"
echo
echo "METHOD=$REQUEST_METHOD"
echo "CONTENT_TYPE=$CONTENT_TYPE"
echo "REMOTE_USER=$REMOTE_USER"
printf "BODY="
head -c "${CONTENT_LENGTH:-0}"
echo
