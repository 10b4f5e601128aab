#!/usr/bin/env bash
# A private PostgreSQL cluster with TLS, a self-signed CA and password auth.
#
#   scripts/pg_tls.sh start   make certificates, initdb, start the server on 127.0.0.1:<free port>
#   scripts/pg_tls.sh env     print `export ...` lines for eval (see below)
#   scripts/pg_tls.sh stop    stop it and delete everything (keys included)
#
# openssl makes a CA, a server certificate signed by it for `localhost`
# (subjectAltName DNS:localhost, IP:127.0.0.1), and a second, unrelated CA.
# TCP connections must use TLS and scram-sha-256 (pg_hba.conf); the Unix
# socket, trust, is for setting up only. `env` prints:
#   PGWRAP_TLS_HOST, PGWRAP_TLS_PORT    localhost and the TCP port
#   PGWRAP_TLS_CA, PGWRAP_TLS_OTHER_CA  the server's CA and the unrelated one (.crt files)
#   PGWRAP_TLS_USER, PGWRAP_TLS_PASSWORD a login role and its (random) password
#   PGWRAP_TLS_DSN                      sslmode=verify-full with all of the above
# Environment: PGWRAP_TLS_STATE state file (default <repo root>/.pgwrap-tls),
#              PGWRAP_PG_BINDIR as for pg_throwaway.sh.
set -euo pipefail

readonly PROG=pg_tls
SCRIPT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
readonly SCRIPT
STATE_FILE=${PGWRAP_TLS_STATE:-$(dirname "$SCRIPT")/../.pgwrap-tls}
readonly STATE_FILE
# shellcheck source=scripts/pg_env_lib.sh
source "$(dirname "$SCRIPT")/pg_env_lib.sh"

readonly ROLE=pgwrap_tls

# new_ca NAME: a self-signed CA certificate NAME.crt with key NAME.key.
new_ca() {
    openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -days 2 \
        -subj "/CN=pgwrap test $1" -keyout "$1.key" -out "$1.crt" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

make_certificates() {
    local certs=$ENV_DIR/certs
    mkdir -m 700 "$certs"
    (
        cd "$certs"
        new_ca ca
        new_ca other-ca
        openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 \
            -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
        printf '%s\n' "subjectAltName = DNS:localhost, IP:127.0.0.1" "basicConstraints = CA:FALSE" \
            "keyUsage = critical, digitalSignature, keyEncipherment" "extendedKeyUsage = serverAuth" >server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial 1 -days 2 -sha256 \
            -extfile server.ext -out server.crt 2>/dev/null
        rm -f server.csr server.ext ca.key other-ca.key  # nothing more gets signed
        chmod 600 server.key
        chmod 644 ca.crt other-ca.crt server.crt
    ) || die "openssl failed to make the certificates"
    # The server refuses a key that others can read; it must own it.
    if [[ $(id -u) -eq 0 ]]; then chown -R "$SERVER_USER": "$certs"; fi
    chmod 755 "$certs"  # the certificates (not the key) are for the tests to read
}

cmd_start() {
    if read_env_dir; then
        die "already started in $ENV_DIR; run: $0 stop"
    fi
    id "$SERVER_USER" >/dev/null 2>&1 || die "user '$SERVER_USER' does not exist (install postgresql first)"
    command -v openssl >/dev/null 2>&1 || die "openssl is not installed (Debian: apt-get install openssl)"
    make_env_dir
    trap stop_env EXIT  # a failed start leaves nothing behind
    make_certificates

    init_cluster "$ENV_DIR/server" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$ENV_DIR'
ssl = on
ssl_cert_file = '$ENV_DIR/certs/server.crt'
ssl_key_file = '$ENV_DIR/certs/server.key'
password_encryption = 'scram-sha-256'
EOF
    # TCP only with TLS and a password; no entry matches plain TCP, so it is refused.
    as_server "$ENV_DIR" tee "$ENV_DIR/server/pg_hba.conf" >/dev/null <<EOF
local   all  all                 trust
hostssl all  all  127.0.0.1/32   scram-sha-256
EOF

    # The port is free when picked, but another process may take it first:
    # then the start fails and we try another one.
    local port='' attempt
    for attempt in 1 2 3 4 5; do
        port=$(pick_free_port)
        as_server "$ENV_DIR" tee -a "$ENV_DIR/server/postgresql.conf" >/dev/null <<<"port = $port"
        if start_cluster "$ENV_DIR/server" 2>/dev/null; then break; fi
        note "could not start on port $port (attempt $attempt)"
        port=''
    done
    [[ -n $port ]] || die "the server failed to start; see $ENV_DIR/server.log"

    # A random password, so that a test can search every message for it.
    local password bindir
    password="pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    bindir=$(find_bindir)
    as_server "$ENV_DIR" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$ENV_DIR" -p "$port" -U "$SERVER_USER" \
        -d postgres -v "pw=$password" >/dev/null <<EOF || die "could not create role $ROLE"
CREATE ROLE $ROLE LOGIN PASSWORD :'pw';
EOF

    cat >"$ENV_DIR/env" <<EOF
export PGWRAP_TLS_HOST=localhost
export PGWRAP_TLS_PORT=$port
export PGWRAP_TLS_CA='$ENV_DIR/certs/ca.crt'
export PGWRAP_TLS_OTHER_CA='$ENV_DIR/certs/other-ca.crt'
export PGWRAP_TLS_USER=$ROLE
export PGWRAP_TLS_PASSWORD='$password'
export PGWRAP_TLS_DSN='host=localhost port=$port dbname=postgres user=$ROLE password=$password sslmode=verify-full sslrootcert=$ENV_DIR/certs/ca.crt'
EOF
    chmod 600 "$ENV_DIR/env"
    trap - EXIT
    echo "$PROG: PostgreSQL with TLS on localhost:$port (CA $ENV_DIR/certs/ca.crt); state in $STATE_FILE"
}

EXTRA_COMMANDS=()
env_main "$@"
