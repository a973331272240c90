#!/bin/sh
# Dies before reading anything: exit 1, with a word on stderr.
echo "crash_at_start: giving up" >&2
exit 1
