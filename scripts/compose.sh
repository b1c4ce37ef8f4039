#!/usr/bin/env bash
# Runs genie as a group of identical containers with docker-compose, like
# an auto-scaling group, from the FROM scratch image (scripts/image.sh).
#
#   scripts/compose.sh up [N]       build the image, start N nodes (default 3)
#   scripts/compose.sh scale N      grow or shrink to N nodes; the removed
#                                   ones drain and leave
#   scripts/compose.sh replace C    red-black replacement of container C: a
#                                   new node joins, then C drains and leaves
#   scripts/compose.sh status       containers, addresses and genie members
#   scripts/compose.sh addr         one client address per node
#   scripts/compose.sh down         stop everything and delete the data
#
# The group is secured: ACLs, TLS (an HTTPS API, mutual TLS between nodes),
# gossip encryption, and jobs run as nobody. `up` creates the secrets once,
# in .compose/secrets (mode 0700): the CA (genie-agent-ca.pem and its key),
# the gossip key (gossip.key), and in agent/ what every node mounts
# read-only at /secrets: the CA certificate and the one server certificate
# the nodes share (global-server-genie.pem, valid for server.global.genie,
# localhost and 127.0.0.1) with its key. Once the group runs, `up`
# bootstraps its ACLs and keeps the admin token in bootstrap-token (mode
# 0600). Clients need
#   GENIE_ADDR=https://<node>:8080 GENIE_CACERT=.compose/secrets/genie-agent-ca.pem
#   GENIE_TOKEN=$(cat .compose/secrets/bootstrap-token)
# GENIE_SECURE=0 makes `up` start a plain group instead: http, no ACLs, no
# gossip encryption (-insecure); jobs still run as nobody. The other
# commands keep the mode of the running group.
#
# GENIE_PROJECT names the compose project (default genie); GENIE_COMPOSE_DIR
# holds the secrets (default .compose); the variables in deploy/compose.yaml
# (GENIE_NODE_LOST_GRACE, ...) tune the nodes. GENIE_NO_BUILD=1 makes `up`
# use the image GENIE_IMAGE as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
project=${GENIE_PROJECT:-genie}
compose() { docker-compose -p "$project" -f deploy/compose.yaml "$@"; }
genie=bin/genie

state=${GENIE_COMPOSE_DIR:-.compose}
secrets=$state/secrets
agent_secrets=$secrets/agent
ca_file=$secrets/genie-agent-ca.pem
ca_key_file=$secrets/genie-agent-ca-key.pem
gossip_key_file=$secrets/gossip.key
token_file=$secrets/bootstrap-token
# The names `genie tls cert create -server` gives the files.
cert_file=$agent_secrets/global-server-genie.pem
key_file=$agent_secrets/global-server-genie-key.pem

die() {
	echo "compose: $*" >&2
	exit 1
}

# containers lists the running nodes' container ids.
containers() {
	docker ps -q --filter "label=com.docker.compose.project=$project" \
		--filter "label=com.docker.compose.service=genie"
}

# secure_mode sets secure to 1 for a secured group, 0 for a plain one:
# the mode of the running nodes, else (and always for `up`) GENIE_SECURE,
# default 1.
secure_mode() {
	local c
	if [ "$cmd" != up ]; then
		c=$(containers | sed -n 1p)
		if [ -n "$c" ]; then
			secure=0
			if docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$c" | grep -qx 'GENIE_ACL_ENABLED=true'; then
				secure=1
			fi
			return
		fi
	fi
	case ${GENIE_SECURE:-1} in
	1 | true | yes | on) secure=1 ;;
	0 | false | no | off) secure=0 ;;
	*) die "GENIE_SECURE must be 1 or 0, not '${GENIE_SECURE:-}'" ;;
	esac
}

# ensure_secrets creates whatever secret is missing.
ensure_secrets() {
	mkdir -p "$secrets" "$agent_secrets"
	chmod 0700 "$secrets"
	chmod 0755 "$agent_secrets"
	if [ ! -s "$ca_file" ] || [ ! -s "$ca_key_file" ]; then
		# A certificate of another CA would be worthless.
		rm -f "$ca_file" "$ca_key_file" "$cert_file" "$key_file"
		(cd "$secrets" && "$root/$genie" tls ca create >/dev/null) || die "cannot create the CA in $secrets"
		echo "created the CA in $secrets"
	fi
	if [ ! -s "$cert_file" ] || [ ! -s "$key_file" ]; then
		rm -f "$cert_file" "$key_file"
		(cd "$agent_secrets" && "$root/$genie" tls cert create -server \
			-ca ../genie-agent-ca.pem -key ../genie-agent-ca-key.pem >/dev/null) ||
			die "cannot create the server certificate in $agent_secrets"
		echo "created the nodes' certificate in $agent_secrets"
	fi
	cp "$ca_file" "$agent_secrets/genie-agent-ca.pem"
	chmod 0644 "$agent_secrets/genie-agent-ca.pem" "$cert_file"
	chmod 0600 "$key_file"
	if [ ! -s "$gossip_key_file" ]; then
		(umask 077 && "$genie" operator gossip keygen >"$gossip_key_file") || die "cannot create the gossip key"
		echo "created the gossip key $gossip_key_file"
	fi
}

# check_secrets: the secrets a node starts with exist. A running group
# needs the very ones it was started with, so they are never recreated
# here.
check_secrets() {
	local f
	for f in "$ca_file" "$cert_file" "$key_file" "$gossip_key_file"; do
		[ -s "$f" ] || die "$f is missing: the secured group cannot start nodes without it ('down', then 'up' starts afresh)"
	done
}

# configure sets what compose passes the nodes and how the CLI reaches
# them, for the mode of secure_mode; `up` creates missing secrets.
configure() {
	secure_mode
	if [ "$secure" = 1 ]; then
		scheme=https
		if [ "$cmd" = up ]; then ensure_secrets; else check_secrets; fi
		GENIE_SECRETS_DIR=$(cd "$agent_secrets" && pwd)
		export GENIE_SECRETS_DIR
		export GENIE_ENCRYPT
		GENIE_ENCRYPT=$(cat "$gossip_key_file")
		export GENIE_ACL_ENABLED=true GENIE_INSECURE=false
		unset GENIE_TLS_CA_FILE GENIE_TLS_CERT_FILE GENIE_TLS_KEY_FILE
	else
		scheme=http
		unset GENIE_SECRETS_DIR
		export GENIE_ACL_ENABLED=false GENIE_INSECURE=true GENIE_ENCRYPT=
		export GENIE_TLS_CA_FILE= GENIE_TLS_CERT_FILE= GENIE_TLS_KEY_FILE=
	fi
}

# cli ADDR ARGS... runs the CLI against the node at ADDR, with the CA and,
# once there is one, the admin token of a secured group. Client settings
# from the caller's environment are not used: they may name another group.
cli() {
	local addr=$1 vars=(-u GENIE_CACERT -u GENIE_CLIENT_CERT -u GENIE_CLIENT_KEY -u GENIE_TLS_SERVER_NAME -u GENIE_TOKEN)
	shift
	vars+=(GENIE_ADDR="$addr")
	if [ "$scheme" = https ]; then
		vars+=(GENIE_CACERT="$ca_file")
		if [ -s "$token_file" ]; then vars+=(GENIE_TOKEN="$(cat "$token_file")"); fi
	fi
	env "${vars[@]}" "$genie" "$@"
}

# client_ip C prints container C's address on the clients network.
client_ip() {
	docker inspect -f "{{with index .NetworkSettings.Networks \"${project}_clients\"}}{{.IPAddress}}{{end}}" "$1"
}

addrs() {
	for c in $(containers); do
		ip=$(client_ip "$c")
		[ -n "$ip" ] && echo "$scheme://$ip:8080"
	done
}

first_addr() { addrs | sed -n 1p; }

# check_running stops the script, with the end of their logs, when no node
# runs: they refused to start.
check_running() {
	if [ -z "$(containers)" ]; then
		compose logs --tail 5 genie >&2 || true
		die "no node runs"
	fi
}

# acl_bootstrap makes the group's first admin token and keeps it in
# $token_file. A group bootstrapped before keeps the token it has.
acl_bootstrap() {
	local a out="no node answered" secret
	for _ in $(seq 1 120); do
		check_running
		for a in $(addrs); do
			if out=$(cli "$a" acl bootstrap 2>&1); then
				secret=$(echo "$out" | awk '/^Secret ID/ { print $NF }')
				[ -n "$secret" ] || die "ACL bootstrap printed no Secret ID: $out"
				(umask 077 && echo "$secret" >"$token_file.tmp") && mv "$token_file.tmp" "$token_file"
				echo "ACLs bootstrapped: the admin token is in $token_file (mode 0600)"
				return 0
			fi
			case $out in
			*"already done"*)
				[ -s "$token_file" ] ||
					die "the group's ACLs were bootstrapped before, but $token_file is gone: $out (write that reset index into /data/acl-bootstrap-reset in a node and run 'up' again, or 'down' to start afresh)"
				echo "ACLs were bootstrapped before: the admin token is in $token_file"
				return 0
				;;
			esac
		done
		sleep 1
	done
	die "ACL bootstrap failed within 120s: $out"
}

# wait_members N waits until a node reports N alive members and a leader.
wait_members() {
	local want=$1 a out n
	for _ in $(seq 1 120); do
		check_running
		for a in $(addrs); do
			out=$(cli "$a" members 2>/dev/null || true)
			n=$(echo "$out" | grep -c ' alive ' || true)
			if [ "$n" = "$want" ] && echo "$out" | grep -q ' leader '; then
				return 0
			fi
		done
		sleep 1
	done
	echo "compose: $want members with a leader not seen within 120s" >&2
	return 1
}

status() {
	local a
	compose ps
	a=$(first_addr)
	if [ -n "$a" ]; then
		echo
		cli "$a" members || true
		echo
		cli "$a" operator raft list-peers || true
	fi
}

cmd=${1:-}
shift || true
case "$cmd" in
up | scale | replace)
	[ -x "$genie" ] || make -s build
	configure
	;;
status | addr)
	secure_mode
	scheme=http
	if [ "$secure" = 1 ]; then scheme=https; fi
	;;
esac
case "$cmd" in
up)
	n=${1:-3}
	make -s build
	if [ -z "${GENIE_NO_BUILD:-}" ]; then
		scripts/image.sh "${GENIE_IMAGE:-genie:dev}"
	fi
	GENIE_BOOTSTRAP_EXPECT=${GENIE_BOOTSTRAP_EXPECT:-$(( n < 3 ? n : 3 ))} compose up -d --scale genie="$n"
	if [ "$scheme" = https ]; then
		acl_bootstrap
	fi
	wait_members "$n"
	status
	echo
	echo "Try it:"
	if [ "$scheme" = https ]; then
		echo "  GENIE_ADDR=$(first_addr) GENIE_CACERT=$ca_file GENIE_TOKEN=\$(cat $token_file) \\"
		echo "    $genie jobs submit --wait -- echo hello from genie"
	else
		echo "  GENIE_ADDR=$(first_addr) $genie jobs submit --wait -- echo hello from genie"
	fi
	;;
scale)
	n=${1:?usage: scale N}
	compose up -d --no-recreate --scale genie="$n"
	wait_members "$n"
	status
	;;
replace)
	old=${1:?usage: replace CONTAINER}
	size=$(containers | wc -l)
	echo "adding a node beside $old"
	compose up -d --no-recreate --scale genie=$(( size + 1 ))
	wait_members $(( size + 1 ))
	echo "draining and removing $old"
	docker stop "$old" >/dev/null
	docker rm -v "$old" >/dev/null
	wait_members "$size"
	status
	;;
status) status ;;
addr) addrs ;;
down)
	compose down -v --remove-orphans
	# The group's data is gone, and with it the token's validity.
	rm -f "$token_file"
	;;
*)
	sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 2
	;;
esac
