#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (the PostgreSQL engine of the state store):
#   tools/pg-cluster.sh start DIR   initdb into DIR/data, start the server on 127.0.0.1 (a free
#                                   port; its unix socket in DIR, none in /var/run), create a login
#                                   role with CREATEDB and a generated password (scram-sha-256),
#                                   print the admin URL postgresql://USER:PW@127.0.0.1:PORT/postgres
#                                   on stdout and write it to DIR/url
#   tools/pg-cluster.sh stop DIR    stop that server (fast shutdown); DIR stays for the caller
# The server binaries are found in /usr/lib/postgresql/*/bin (Debian's `postgresql` package,
# tools/install-deps.sh). The server refuses to run as root: run as root, the cluster belongs to
# the `postgres` user (runuser); otherwise to the caller. Logs: DIR/server.log. Exit status 1 with
# one line on stderr when it cannot start.
set -euo pipefail

die() {
  echo "pg-cluster: $*" >&2
  exit 1
}

[ $# -eq 2 ] || die "usage: tools/pg-cluster.sh start|stop DIR"
cmd=$1
dir=$(realpath -m "$2")

bindir=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && bindir=$d  # the last (highest) version wins
done
[ -n "$bindir" ] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (install the Debian package postgresql)"

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server"
  as_owner=(runuser -u postgres --)
fi

case "$cmd" in
stop)
  [ -f "$dir/data/postmaster.pid" ] || exit 0
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
start)
  mkdir -p "$dir"
  if [ ${#as_owner[@]} -gt 0 ]; then
    chown postgres: "$dir"
    "${as_owner[@]}" test -w "$dir" || die "the postgres user cannot reach $dir (a parent directory is not searchable by others)"
  fi
  [ ! -e "$dir/data" ] || die "$dir/data exists already (stop it and remove the directory first)"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  user=patchbay_admin
  pw=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
  pwfile=$(mktemp "$dir/.pw.XXXXXX")
  printf '%s\n' "$pw" >"$pwfile"
  [ ${#as_owner[@]} -eq 0 ] || chown postgres: "$pwfile"
  # The bootstrap superuser is the role itself; C locale: byte order, as SQLite compares.
  if ! "${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U "$user" --pwfile="$pwfile" \
    --auth=scram-sha-256 --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1; then
    rm -f "$pwfile"
    die "initdb failed (see $dir/initdb.log)"
  fi
  rm -f "$pwfile"
  cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  if ! "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
    >/dev/null; then
    die "the server did not start (see $dir/server.log)"
  fi
  url="postgresql://$user:$pw@127.0.0.1:$port/postgres"
  (umask 077 && printf '%s\n' "$url" >"$dir/url")
  echo "$url"
  ;;
*)
  die "usage: tools/pg-cluster.sh start|stop DIR"
  ;;
esac
