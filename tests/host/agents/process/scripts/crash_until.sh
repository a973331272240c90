#!/bin/sh
# Crashes at start (exit 1) until the file named by $1 exists; then runs agent.py.
if [ ! -e "$1" ]; then
  exit 1
fi
exec python3 "$(dirname "$0")/agent.py"
