#!/usr/bin/env bash
# A local genie cluster on 127.0.0.1 for trying the peer cluster by hand:
# start, grow, shrink, kill and restart nodes.
#
#   scripts/cluster.sh start [N]   start N nodes (default 3) that bootstrap one raft group
#   scripts/cluster.sh add         start one more node that joins the running cluster
#   scripts/cluster.sh remove [I]  gracefully remove node I (default: the highest index)
#   scripts/cluster.sh kill I      kill -9 node I (its data stays, for `restart I`)
#   scripts/cluster.sh restart I   start node I again on its data dir and ports
#   scripts/cluster.sh stop        gracefully stop every node (data stays)
#   scripts/cluster.sh status      the nodes, gossip members and raft peers
#   scripts/cluster.sh clean       stop every node and delete the state dir (secrets too)
#
# The cluster is secured: ACLs, TLS (an HTTPS API, mutual TLS between
# nodes) and gossip encryption, and, when the script runs as root, jobs run
# as -job-os-user (nobody); as another user that isolation is impossible,
# and the nodes get -insecure for it alone. `start` creates the secrets
# once, in <state dir>/secrets (mode 0700): the CA (genie-agent-ca.pem and
# its key), the server certificate all nodes share (global-server-genie.pem
# and its key), the gossip key (gossip.key) and the admin token of the ACL
# bootstrap (bootstrap-token). Clients need
#   GENIE_ADDR=https://127.0.0.1:18000 GENIE_CACERT=<secrets>/genie-agent-ca.pem
#   GENIE_TOKEN=$(cat <secrets>/bootstrap-token)
# GENIE_SECURE=0 (or SECURE=0) starts a plain cluster instead: http, no
# ACLs, no gossip encryption, -insecure. A cluster keeps the mode it was
# created with until `clean`.
#
# Environment:
#   GENIE_SECURE             1 (default) or 0, see above; SECURE is read when it is unset
#   GENIE_CLUSTER_DIR        state dir (default <repo>/.cluster): nodeI/{data,agent.log,pid,node.env}
#   GENIE_CLUSTER_BASE_PORT  first port (default 18000): node I serves HTTP on base+10*I,
#                            raft on base+10*I+1, gossip on base+10*I+2
#   GENIE_CLUSTER_TIMEOUT    seconds to wait for nodes to become healthy (default 60)
#   GENIE_CLUSTER_DRAIN      seconds a leaving node waits for its jobs (-drain-timeout, default 30)
# Other GENIE_<FLAG> variables (GENIE_MAX_JOBS, GENIE_LOG_LEVEL, ...) reach
# every node as usual.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
BIN="$ROOT/bin/genie"
PROG=$0

STATE=${GENIE_CLUSTER_DIR:-$ROOT/.cluster}
case $STATE in /*) ;; *) STATE="$PWD/$STATE" ;; esac
BASE_PORT=${GENIE_CLUSTER_BASE_PORT:-18000}
HEALTH_TIMEOUT=${GENIE_CLUSTER_TIMEOUT:-60}
DRAIN=${GENIE_CLUSTER_DRAIN:-30}
# A graceful leave: the drain, then the leadership hand-over and the raft
# and gossip leave.
STOP_TIMEOUT=$((DRAIN + 60))
MARKER=.genie-cluster

SECRETS=$STATE/secrets
CA_FILE=$SECRETS/genie-agent-ca.pem
CA_KEY_FILE=$SECRETS/genie-agent-ca-key.pem
CERT_FILE=$SECRETS/global-server-genie.pem
KEY_FILE=$SECRETS/global-server-genie-key.pem
GOSSIP_KEY_FILE=$SECRETS/gossip.key
TOKEN_FILE=$SECRETS/bootstrap-token

# rel PATH: PATH as messages show it, relative to the current directory
# when it is inside it.
rel() {
	if [[ $1 == "$PWD"/* ]]; then echo "${1#"$PWD"/}"; else echo "$1"; fi
}
SHOWN_STATE=$(rel "$STATE")
SHOWN_SECRETS=$(rel "$SECRETS")

die() {
	echo "$PROG: $*" >&2
	exit 1
}
say() { echo "==> $*"; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

for v in BASE_PORT HEALTH_TIMEOUT DRAIN; do
	is_uint "${!v}" || die "$v must be a whole number, not '${!v}'"
done
# A cluster keeps the ports it was created with.
if [[ -f $STATE/base-port ]]; then
	BASE_PORT=$(cat "$STATE/base-port")
fi

# parse_bool VALUE: 1 or 0, or empty when VALUE is empty.
parse_bool() {
	case ${1,,} in
	"") echo "" ;;
	1 | true | yes | on) echo 1 ;;
	0 | false | no | off) echo 0 ;;
	*) die "GENIE_SECURE must be 1 or 0, not '$1'" ;;
	esac
}

# The mode asked for; empty when neither variable is set.
REQUESTED_SECURE=$(parse_bool "${GENIE_SECURE:-${SECURE:-}}")

# set_mode 1|0: a secured or a plain cluster.
set_mode() {
	SECURE=$1
	if ((SECURE)); then SCHEME=https; else SCHEME=http; fi
}
# A cluster keeps the mode it was created with; one created before the
# mode was recorded is plain.
if [[ -f $STATE/secure ]]; then
	set_mode "$(cat "$STATE/secure")"
elif [[ -f $STATE/expect ]]; then
	set_mode 0
else
	set_mode "${REQUESTED_SECURE:-1}"
fi

# Jobs run as another OS account (-job-os-user, nobody by default) only
# when the node runs as root.
job_isolation() { ((EUID == 0)) && [[ ${GENIE_JOB_OS_USER-nobody} != "" ]]; }
job_user() { echo "${GENIE_JOB_OS_USER:-nobody}"; }

usage() {
	sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

ensure_bin() {
	if [[ ! -x $BIN ]]; then
		say "building $BIN"
		make -C "$ROOT" build >&2 || die "make build failed"
	fi
}

# --- node bookkeeping -------------------------------------------------------

node_dir() { echo "$STATE/node$1"; }

# Indexes of the nodes that have a state dir, in order.
node_indexes() {
	local d
	[[ -d $STATE ]] || return 0
	for d in "$STATE"/node*; do
		[[ -f $d/node.env ]] || continue
		d=${d##*/node}
		if is_uint "$d"; then echo "$d"; fi
	done | sort -n
}

# Loads HTTP_ADDR, RAFT_ADDR and GOSSIP_ADDR of node $1.
load_node() {
	local env
	env="$(node_dir "$1")/node.env"
	[[ -f $env ]] || die "there is no node $1 in $SHOWN_STATE"
	HTTP_ADDR='' RAFT_ADDR='' GOSSIP_ADDR=
	# shellcheck disable=SC1090
	. "$env"
}

node_pid() {
	local f
	f="$(node_dir "$1")/pid"
	[[ -f $f ]] && cat "$f"
	return 0
}

# pid_is_node PID I: the process PID runs and is node I's agent (not a
# process that reused the pid).
pid_is_node() {
	local pid=$1 i=$2
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
	if [[ -r /proc/$pid/cmdline ]]; then
		tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF -- "$(node_dir "$i")/data" || return 1
	fi
	return 0
}

node_running() { pid_is_node "$(node_pid "$1")" "$1"; }

running_indexes() {
	local i
	for i in $(node_indexes); do
		if node_running "$i"; then echo "$i"; fi
	done
}

# Comma-separated gossip addresses of the running nodes, but node $1.
join_list() {
	local i out=
	for i in $(running_indexes); do
		[[ $i == "${1:-}" ]] && continue
		load_node "$i"
		out+="${out:+,}$GOSSIP_ADDR"
	done
	echo "$out"
}

# api_url HOST:PORT: a node's API URL.
api_url() { echo "$SCHEME://$1"; }

# healthy HOST:PORT: the node's /v1/health answers 200 (it needs no token).
healthy() {
	local addr=$1 tls=()
	if ((SECURE)); then tls=(--cacert "$CA_FILE"); fi
	if command -v curl >/dev/null 2>&1; then
		curl -fsS -o /dev/null --max-time 2 ${tls[@]+"${tls[@]}"} "$(api_url "$addr")/v1/health" 2>/dev/null
	else
		genie_at "$(api_url "$addr")" members >/dev/null 2>&1
	fi
}

# need_curl: a secured cluster checks health with curl (before the ACL
# bootstrap there is no token the CLI could use).
need_curl() {
	if ((SECURE)) && ! command -v curl >/dev/null 2>&1; then
		die "a secured cluster needs curl for its health checks (or start a plain one with GENIE_SECURE=0)"
	fi
}

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

expect_count() {
	[[ -f $STATE/expect ]] || die "$SHOWN_STATE/expect is missing: is $SHOWN_STATE a cluster state dir?"
	cat "$STATE/expect"
}

# check_ports I: node I's ports are valid and free.
check_ports() {
	local i=$1 base p
	base=$((BASE_PORT + 10 * i))
	((base + 2 <= 65535)) || die "node $i would need port $((base + 2)), above 65535: lower GENIE_CLUSTER_BASE_PORT"
	for p in "$base" $((base + 1)) $((base + 2)); do
		if port_in_use "$p"; then
			die "port $p (node $i) is already in use: set GENIE_CLUSTER_BASE_PORT to a free range"
		fi
	done
}

# check_reachable: when jobs run as another OS account, it must be able to
# pass through every directory above the nodes' data dirs.
check_reachable() {
	local p=$STATE
	job_isolation || return 0
	while p=$(dirname "$p"); do
		if [[ -z $(find "$p" -maxdepth 0 -perm -0001 2>/dev/null) ]]; then
			die "jobs run as $(job_user), which cannot pass through $p (it needs o+x): chmod o+x it, or set GENIE_CLUSTER_DIR elsewhere"
		fi
		[[ $p == / ]] && break
	done
	return 0
}

# create_node I: the state dir and addresses of a new node I.
create_node() {
	local i=$1 dir base
	dir=$(node_dir "$i")
	base=$((BASE_PORT + 10 * i))
	check_ports "$i"
	mkdir -p "$dir/data"
	# The job user passes through to the jobs dir inside the data dir.
	if job_isolation; then chmod o+x "$STATE" "$dir" "$dir/data"; fi
	cat >"$dir/node.env" <<EOF
HTTP_ADDR=127.0.0.1:$base
RAFT_ADDR=127.0.0.1:$((base + 1))
GOSSIP_ADDR=127.0.0.1:$((base + 2))
EOF
}

# launch I JOIN: starts node I in the background on its data dir.
launch() {
	local i=$1 join=$2 dir expect pid
	dir=$(node_dir "$i")
	load_node "$i"
	expect=$(expect_count)
	if port_in_use "${HTTP_ADDR##*:}"; then
		die "node $i: its API port ${HTTP_ADDR##*:} is in use by another process"
	fi
	local args=(agent
		-node-name "node$i"
		-data-dir "$dir/data"
		-http-addr "$HTTP_ADDR"
		-raft-addr "$RAFT_ADDR"
		-gossip-addr "$GOSSIP_ADDR"
		-bootstrap-expect "$expect"
		-drain-timeout "${DRAIN}s")
	# The gossip key reaches the node through its environment, not its
	# command line, which every local user can read.
	local secure_env=() note=
	if ((SECURE)); then
		check_secrets
		args+=(-acl-enabled
			-tls-ca-file "$CA_FILE"
			-tls-cert-file "$CERT_FILE"
			-tls-key-file "$KEY_FILE")
		# Without root, jobs cannot run as another account: -insecure
		# waives that alone.
		if ! job_isolation; then args+=(-insecure); fi
		secure_env=(GENIE_ENCRYPT="$(cat "$GOSSIP_KEY_FILE")")
		note=" (-encrypt: the key in $GOSSIP_KEY_FILE)"
	else
		args+=(-insecure)
	fi
	if [[ -n $join ]]; then args+=(-join "$join"); fi
	{
		echo "---- $(date '+%Y-%m-%d %H:%M:%S') $BIN ${args[*]}$note"
	} >>"$dir/agent.log"
	# Its own session, so that neither a Ctrl-C nor a closed terminal
	# reaches the node; only `stop`, `remove` or `kill` end it. The
	# variables that -dev and -join read are not inherited: this script
	# decides them.
	local launcher=()
	if command -v setsid >/dev/null 2>&1; then launcher=(setsid); fi
	env -u GENIE_DEV -u GENIE_JOIN ${secure_env[@]+"${secure_env[@]}"} \
		${launcher[@]+"${launcher[@]}"} "$BIN" "${args[@]}" \
		</dev/null >>"$dir/agent.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/pid"
	# Until the exec, the process is still this shell.
	local t
	for ((t = 0; t < 50; t++)); do
		node_running "$i" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	printf '    node%-3s pid %-7s API %s  raft %s  gossip %s\n' "$i" "$pid" "$(api_url "$HTTP_ADDR")" "$RAFT_ADDR" "$GOSSIP_ADDR"
}

# wait_healthy I...: polls every node's /v1/health until each answers 200.
wait_healthy() {
	local deadline=$((SECONDS + HEALTH_TIMEOUT)) pending=("$@") left i last=$SECONDS
	say "waiting up to ${HEALTH_TIMEOUT}s for $(plural ${#pending[@]} node) to be healthy"
	while ((${#pending[@]} > 0)); do
		left=()
		for i in "${pending[@]}"; do
			load_node "$i"
			if ! node_running "$i"; then
				echo "$PROG: node $i exited; the end of $(rel "$(node_dir "$i")")/agent.log:" >&2
				tail -n 20 "$(node_dir "$i")/agent.log" >&2
				exit 1
			fi
			if healthy "$HTTP_ADDR"; then
				echo "    node$i healthy ($(api_url "$HTTP_ADDR"))"
			else
				left+=("$i")
			fi
		done
		pending=(${left[@]+"${left[@]}"})
		((${#pending[@]} == 0)) && break
		if ((SECONDS >= deadline)); then
			echo "$PROG: not healthy after ${HEALTH_TIMEOUT}s: ${pending[*]/#/node}" >&2
			for i in "${pending[@]}"; do
				echo "---- the end of $(rel "$(node_dir "$i")")/agent.log:" >&2
				tail -n 10 "$(node_dir "$i")/agent.log" >&2
			done
			exit 1
		fi
		if ((SECONDS - last >= 3)); then
			echo "    still waiting for ${pending[*]/#/node} ($((deadline - SECONDS))s left)"
			last=$SECONDS
		fi
		sleep 0.5
	done
}

plural() { if (($1 == 1)); then echo "1 $2"; else echo "$1 ${2}s"; fi; }

# wait_exit DEADLINE_SECONDS I...: waits for the nodes' processes to end.
# Returns 1 when some still run at the deadline, left in STILL.
STILL=()
wait_exit() {
	local timeout=$1 deadline left i last=$SECONDS
	shift
	deadline=$((SECONDS + timeout))
	local pending=("$@")
	while ((${#pending[@]} > 0)); do
		left=()
		for i in "${pending[@]}"; do
			if node_running "$i"; then left+=("$i"); else echo "    node$i exited"; fi
		done
		pending=(${left[@]+"${left[@]}"})
		((${#pending[@]} == 0)) && break
		if ((SECONDS >= deadline)); then
			STILL=("${pending[@]}")
			return 1
		fi
		if ((SECONDS - last >= 5)); then
			echo "    still leaving: ${pending[*]/#/node} ($((deadline - SECONDS))s left)"
			last=$SECONDS
		fi
		sleep 0.5
	done
	return 0
}

# A running node's API address, for the CLI; empty when none answers.
live_addr() {
	local i
	for i in $(running_indexes); do
		load_node "$i"
		if healthy "$HTTP_ADDR"; then
			api_url "$HTTP_ADDR"
			return 0
		fi
	done
	for i in $(running_indexes); do
		load_node "$i"
		api_url "$HTTP_ADDR"
		return 0
	done
}

# genie_at URL ARGS...: the CLI against the node at URL; on a secured
# cluster with the CA and, once bootstrapped, the admin token. Client
# settings from the caller's environment are not used: they may name
# another cluster.
genie_at() {
	local addr=$1
	shift
	local vars=(-u GENIE_CACERT -u GENIE_CLIENT_CERT -u GENIE_CLIENT_KEY -u GENIE_TLS_SERVER_NAME -u GENIE_TOKEN
		GENIE_ADDR="$addr")
	if ((SECURE)); then
		vars+=(GENIE_CACERT="$CA_FILE")
		if [[ -s $TOKEN_FILE ]]; then vars+=(GENIE_TOKEN="$(cat "$TOKEN_FILE")"); fi
	fi
	env "${vars[@]}" "$BIN" "$@"
}

# --- secrets ----------------------------------------------------------------

# ensure_secrets: creates whatever secret is missing in $SECRETS: the CA,
# the server certificate the nodes share (valid for server.global.genie,
# localhost and 127.0.0.1) and the gossip key.
ensure_secrets() {
	local made=()
	mkdir -p "$SECRETS"
	chmod 0700 "$SECRETS"
	if [[ ! -f $CA_FILE || ! -f $CA_KEY_FILE ]]; then
		# A certificate of another CA would be worthless.
		rm -f "$CA_FILE" "$CA_KEY_FILE" "$CERT_FILE" "$KEY_FILE"
		(cd "$SECRETS" && "$BIN" tls ca create >/dev/null) || die "cannot create the CA in $SHOWN_SECRETS"
		made+=("the CA")
	fi
	if [[ ! -f $CERT_FILE || ! -f $KEY_FILE ]]; then
		rm -f "$CERT_FILE" "$KEY_FILE"
		(cd "$SECRETS" && "$BIN" tls cert create -server >/dev/null) ||
			die "cannot create the server certificate in $SHOWN_SECRETS"
		made+=("a server certificate")
	fi
	if [[ ! -s $GOSSIP_KEY_FILE ]]; then
		(umask 077 && "$BIN" operator gossip keygen >"$GOSSIP_KEY_FILE") ||
			die "cannot create the gossip key in $SHOWN_SECRETS"
		made+=("a gossip key")
	fi
	if ((${#made[@]} > 0)); then
		local list
		list=$(printf ', %s' "${made[@]}")
		say "secrets: created ${list:2} in $SHOWN_SECRETS"
	else
		say "secrets: reusing those in $SHOWN_SECRETS"
	fi
}

# check_secrets: the secrets a node starts with exist. A running cluster
# needs the very ones it was started with, so they are never recreated
# here.
check_secrets() {
	local f
	for f in "$CA_FILE" "$CERT_FILE" "$KEY_FILE" "$GOSSIP_KEY_FILE"; do
		[[ -s $f ]] || die "$(rel "$f") is missing: the secured cluster in $SHOWN_STATE cannot start nodes without it ('$PROG clean' starts afresh)"
	done
}

# acl_bootstrap URL: the cluster's first admin token, kept in $TOKEN_FILE,
# unless it is there already. Retried while the cluster settles (a new
# leader, say).
acl_bootstrap() {
	local url=$1 out secret deadline=$((SECONDS + HEALTH_TIMEOUT))
	if [[ -s $TOKEN_FILE ]]; then
		echo "    ACLs were bootstrapped before: the admin token is in $(rel "$TOKEN_FILE")"
		return 0
	fi
	while ! out=$(genie_at "$url" acl bootstrap 2>&1); do
		if [[ $out == *"already done"* ]]; then
			die "the cluster's ACLs were bootstrapped before, but $(rel "$TOKEN_FILE") is gone: $out.
To bootstrap again, write that reset index into $(rel "$(node_dir "$(node_indexes | head -n 1)")")/data/acl-bootstrap-reset and run '$PROG start' again (or '$PROG clean' to start afresh)"
		fi
		if ((SECONDS >= deadline)); then
			die "ACL bootstrap through $url failed: $out"
		fi
		sleep 1
	done
	secret=$(echo "$out" | awk '/^Secret ID/ { print $NF }')
	[[ -n $secret ]] || die "ACL bootstrap through $url printed no Secret ID: $out"
	(umask 077 && echo "$secret" >"$TOKEN_FILE.tmp") && mv "$TOKEN_FILE.tmp" "$TOKEN_FILE" ||
		die "cannot write $(rel "$TOKEN_FILE")"
	echo "    ACLs bootstrapped: the admin token is in $(rel "$TOKEN_FILE") (mode 0600)"
}

# copy_keyring I: gives the new node I the gossip keys of a running node,
# which rotation (genie operator gossip keyring) may have changed since the
# cluster started.
copy_keyring() {
	local i=$1 j src
	for j in $(running_indexes); do
		src="$(node_dir "$j")/data/local.keyring"
		[[ -f $src ]] || continue
		(umask 077 && cp "$src" "$(node_dir "$i")/data/local.keyring") || die "cannot copy $src"
		echo "    gossip keys from node$j's keyring"
		return 0
	done
}

# say_mode: how the nodes are secured.
say_mode() {
	if ! ((SECURE)); then
		say "not secured (GENIE_SECURE=0): http, no ACLs, no gossip encryption, -insecure"
	elif job_isolation; then
		say "secured: ACLs, TLS, gossip encryption; jobs run as $(job_user)"
	else
		say "secured: ACLs, TLS, gossip encryption; not root, so jobs cannot run as another account: -insecure waives that alone"
	fi
}

# register_demo ADDR: the dev node's demo cluster and shell command, unless
# they exist.
register_demo() {
	local addr=$1 out
	if out=$(genie_at "$addr" clusters get local 2>&1); then
		echo "    cluster local exists"
	elif [[ $out == *404* || $out == *"not found"* || $out == *"Not Found"* ]]; then
		genie_at "$addr" clusters create -id local -name local \
			-description "This machine: jobs run on the genie nodes themselves." \
			-tag sched:adhoc -tag type:local >/dev/null || die "cannot register cluster local"
		echo "    registered cluster local (sched:adhoc, type:local)"
	else
		die "cannot read cluster local through $addr: $out"
	fi
	if out=$(genie_at "$addr" commands get shell 2>&1); then
		echo "    command shell exists"
	elif [[ $out == *404* || $out == *"not found"* || $out == *"Not Found"* ]]; then
		genie_at "$addr" commands create -id shell -name shell \
			-description "Runs the job's arguments as a shell command line." \
			-tag type:shell \
			-arg /bin/sh -arg -c -arg 'eval "$*"' -arg genie-shell >/dev/null ||
			die "cannot register command shell"
		echo "    registered command shell (type:shell)"
	else
		die "cannot read command shell through $addr: $out"
	fi
}

# print_usage_hints [nodes]: the running nodes and, unless "nodes", what to
# try next.
print_usage_hints() {
	local i first=
	echo
	echo "Nodes:"
	for i in $(running_indexes); do
		load_node "$i"
		if [[ -z $first ]]; then first=$(api_url "$HTTP_ADDR"); fi
		printf '  node%-3s %s   log %s\n' "$i" "$(api_url "$HTTP_ADDR")" "$(rel "$(node_dir "$i")")/agent.log"
	done
	[[ -n $first && ${1:-} != nodes ]] || return 0
	local cli=${BIN#"$PWD"/} env="GENIE_ADDR=$first"
	if ((SECURE)); then
		# The secrets by the path the caller knows them by, and the token
		# read when the line runs rather than printed.
		local ca=$CA_FILE token=$TOKEN_FILE
		if [[ $SECRETS == "$PWD"/* ]]; then
			ca="\$PWD/${CA_FILE#"$PWD"/}"
			token=${TOKEN_FILE#"$PWD"/}
		fi
		env+=" GENIE_CACERT=$ca GENIE_TOKEN=\$(cat $token)"
	fi
	echo
	echo "Try:"
	echo "  export $env"
	echo "  $cli members"
	echo "  $cli operator raft list-peers"
	echo "  $cli jobs submit --wait -- echo hi"
	if ((SECURE)); then
		echo "  $cli acl token create -name alice -user alice -role user   # a user's token: its Secret ID as GENIE_TOKEN"
	fi
	echo "  $PROG add | remove [I] | kill I | restart I | status | stop | clean"
}

# --- subcommands ------------------------------------------------------------

cmd_start() {
	local n=${1:-3} i first join running existing
	if ! is_uint "$n" || ((n < 1)); then die "start: N must be a positive number, not '$n'"; fi
	mapfile -t running < <(running_indexes)
	if ((${#running[@]} > 0)); then
		die "a cluster is already running in $SHOWN_STATE (${running[*]/#/node}); use add, or stop it first"
	fi

	mapfile -t existing < <(node_indexes)
	if ((${#existing[@]} > 0)); then
		say "resuming the stopped cluster in $SHOWN_STATE (${existing[*]/#/node}); '$PROG clean' starts afresh"
		if [[ -n ${1:-} && $1 != "${#existing[@]}" ]]; then
			echo "    (N=$1 ignored: the cluster has $(plural ${#existing[@]} node))"
		fi
		if [[ -n $REQUESTED_SECURE && $REQUESTED_SECURE != "$SECURE" ]]; then
			echo "    (GENIE_SECURE=$REQUESTED_SECURE ignored: the cluster was created with GENIE_SECURE=$SECURE)"
		fi
		check_reachable
		say_mode
		if ((SECURE)); then ensure_secrets; fi
		# Each node finds the others through the first one started.
		join=
		for i in "${existing[@]}"; do
			launch "$i" "$join"
			load_node "$i"
			if [[ -z $join ]]; then join=$GOSSIP_ADDR; fi
		done
		wait_healthy "${existing[@]}"
	else
		if [[ -e $STATE && -n $(ls -A "$STATE" 2>/dev/null) && ! -f $STATE/$MARKER ]]; then
			die "$SHOWN_STATE exists and is not a cluster state dir: set GENIE_CLUSTER_DIR elsewhere"
		fi
		for ((i = 0; i < n; i++)); do check_ports "$i"; done
		check_reachable
		# A new cluster: the mode asked for, and new secrets.
		set_mode "${REQUESTED_SECURE:-1}"
		rm -rf "$SECRETS"
		mkdir -p "$STATE"
		touch "$STATE/$MARKER"
		echo "$n" >"$STATE/expect"
		echo "$BASE_PORT" >"$STATE/base-port"
		echo "$SECURE" >"$STATE/secure"
		say "starting $(plural "$n" node) in $SHOWN_STATE (-bootstrap-expect $n, ports from $BASE_PORT)"
		say_mode
		if ((SECURE)); then ensure_secrets; fi
		for ((i = 0; i < n; i++)); do create_node "$i"; done
		load_node 0
		first=$GOSSIP_ADDR
		for ((i = 0; i < n; i++)); do
			if ((i == 0)); then launch 0 ""; else launch "$i" "$first"; fi
		done
		wait_healthy $(seq 0 $((n - 1)))
	fi
	load_node "$(node_indexes | head -n 1)"
	if ((SECURE)); then
		say "ACL bootstrap through $(api_url "$HTTP_ADDR")"
		acl_bootstrap "$(api_url "$HTTP_ADDR")"
	fi
	say "demo resources through $(api_url "$HTTP_ADDR")"
	register_demo "$(api_url "$HTTP_ADDR")"
	print_usage_hints
}

cmd_add() {
	local i join last
	[[ -n $(running_indexes) ]] || die "no node is running: '$PROG start' first"
	# Indexes are never reused, so a new node never takes the name and
	# addresses of one the cluster may still remember.
	last=$(node_indexes | tail -n 1)
	i=$((last + 1))
	if [[ -f $STATE/next-index ]] && (($(cat "$STATE/next-index") > i)); then
		i=$(cat "$STATE/next-index")
	fi
	echo $((i + 1)) >"$STATE/next-index"
	join=$(join_list)
	if ((SECURE)); then check_secrets; fi
	create_node "$i"
	say "adding node$i, joining $join"
	if ((SECURE)); then copy_keyring "$i"; fi
	launch "$i" "$join"
	wait_healthy "$i"
	print_usage_hints nodes
}

cmd_remove() {
	local i=${1:-}
	if [[ -z $i ]]; then
		i=$(node_indexes | tail -n 1)
		[[ -n $i ]] || die "there are no nodes in $SHOWN_STATE"
	fi
	is_uint "$i" || die "remove: I must be a node index, not '$i'"
	load_node "$i"
	if node_running "$i"; then
		check_not_last_voter "$i"
		say "node$i leaving the cluster (drains its jobs for up to ${DRAIN}s)"
		kill -TERM "$(node_pid "$i")" 2>/dev/null || true
		if ! wait_exit "$STOP_TIMEOUT" "$i"; then
			die "node$i still runs after ${STOP_TIMEOUT}s; see $(rel "$(node_dir "$i")")/agent.log ('$PROG kill $i' ends it)"
		fi
	else
		# A killed node still holds its raft seat: give it up now rather
		# than after the leader's dead-server grace.
		say "node$i is not running"
		local id
		id=$(cat "$(node_dir "$i")/data/node-id" 2>/dev/null || true)
		if [[ -n $id && -n $(running_indexes) ]]; then
			remove_seat "$i" "$id"
		fi
	fi
	rm -rf "$(node_dir "$i")"
	say "node$i removed (its state dir is deleted)"
}

# check_not_last_voter I: refuses to remove node I when it is the only raft
# voter while other servers remain: they are non-voters and could not
# elect a leader without it.
check_not_last_voter() {
	local i=$1 id peers voters servers
	id=$(cat "$(node_dir "$i")/data/node-id" 2>/dev/null || true)
	load_node "$i"
	peers=$(genie_at "$(api_url "$HTTP_ADDR")" operator raft list-peers -json 2>/dev/null | awk '
		$1 == "\"id\":" { gsub(/[",]/, "", $2); id = $2 }
		$1 == "\"voter\":" { gsub(/,/, "", $2); print id, $2 }') || return 0
	servers=$(echo "$peers" | grep -c . || true)
	voters=$(echo "$peers" | grep -c ' true$' || true)
	if [[ -n $id ]] && ((servers > 1 && voters == 1)) && echo "$peers" | grep -qx "$id true"; then
		die "node$i is the only raft voter: the other $((servers - 1)) server(s) are non-voters and would be left without a leader. Add a node first ('$PROG add'), or stop the whole cluster ('$PROG stop')."
	fi
}

# gossip_status ADDR ID: the gossip status ADDR's node gives member ID.
gossip_status() {
	genie_at "$1" members -json 2>/dev/null | awk -v id="$2" '
		$1 == "\"id\":" { found = (index($2, "\"" id "\"") == 1) }
		found && $1 == "\"status\":" { gsub(/[",]/, "", $2); print $2; exit }'
}

# remove_seat I ID: takes the stopped node I (raft id ID) out of the raft
# configuration, once gossip no longer reports it alive (until then the
# leader would add it straight back).
remove_seat() {
	local i=$1 id=$2 deadline=$((SECONDS + 30)) j st alive out=
	while :; do
		alive=
		for j in $(running_indexes); do
			load_node "$j"
			st=$(gossip_status "$(api_url "$HTTP_ADDR")" "$id")
			if [[ $st == alive || $st == suspect ]]; then alive="node$j"; fi
		done
		[[ -z $alive ]] && break
		if ((SECONDS >= deadline)); then
			echo "    $alive still reports node$i alive after 30s; not removing its raft seat"
			return 0
		fi
		echo "    waiting for gossip to notice node$i is gone"
		sleep 2
	done
	# Only the leader changes the configuration: ask each node.
	for j in $(running_indexes); do
		load_node "$j"
		if out=$(genie_at "$(api_url "$HTTP_ADDR")" operator raft remove-peer -id "$id" 2>&1); then
			echo "    removed its raft seat ($id)"
			return 0
		fi
		if [[ $out == *"404"* ]]; then
			echo "    it holds no raft seat"
			return 0
		fi
	done
	echo "    its raft seat was not removed: $out"
}

cmd_kill() {
	local i=${1:-} pid
	[[ -n $i ]] || die "usage: $PROG kill I"
	is_uint "$i" || die "kill: I must be a node index, not '$i'"
	load_node "$i"
	node_running "$i" || die "node$i is not running"
	pid=$(node_pid "$i")
	kill -KILL "$pid"
	local t
	for ((t = 0; t < 100; t++)); do
		node_running "$i" || break
		sleep 0.1
	done
	say "node$i (pid $pid) killed; its data stays: '$PROG restart $i' starts it again"
}

cmd_restart() {
	local i=${1:-} join
	[[ -n $i ]] || die "usage: $PROG restart I"
	is_uint "$i" || die "restart: I must be a node index, not '$i'"
	load_node "$i"
	node_running "$i" && die "node$i is running (pid $(node_pid "$i"))"
	join=$(join_list "$i")
	say "restarting node$i on $(rel "$(node_dir "$i")")/data${join:+, joining $join}"
	launch "$i" "$join"
	wait_healthy "$i"
}

cmd_stop() {
	local running i
	mapfile -t running < <(running_indexes)
	if ((${#running[@]} == 0)); then
		say "no node is running"
		return 0
	fi
	say "stopping ${running[*]/#/node} (each drains its jobs for up to ${DRAIN}s)"
	for i in "${running[@]}"; do kill -TERM "$(node_pid "$i")" 2>/dev/null || true; done
	if ! wait_exit "$STOP_TIMEOUT" "${running[@]}"; then
		echo "$PROG: still running after ${STOP_TIMEOUT}s: ${STILL[*]/#/node}" >&2
		return 1
	fi
	say "stopped; the data stays in $SHOWN_STATE ('$PROG start' resumes, '$PROG clean' deletes it)"
}

cmd_status() {
	local i state addr
	if [[ -z $(node_indexes) ]]; then
		say "no cluster in $SHOWN_STATE"
		return 0
	fi
	if ((SECURE)); then
		echo "Secured (ACLs, TLS, gossip encryption); secrets in $SHOWN_SECRETS"
	else
		echo "Not secured (http, no ACLs, no gossip encryption)"
	fi
	echo "Nodes in $SHOWN_STATE:"
	for i in $(node_indexes); do
		load_node "$i"
		if node_running "$i"; then
			if healthy "$HTTP_ADDR"; then state="healthy"; else state="running, not healthy"; fi
			state="$state (pid $(node_pid "$i"))"
		else
			state="not running"
		fi
		printf '  node%-3s %-28s %s\n' "$i" "$(api_url "$HTTP_ADDR")" "$state"
	done
	addr=$(live_addr)
	if [[ -z $addr ]]; then
		echo
		echo "No node is running."
		return 0
	fi
	echo
	echo "Members (through $addr):"
	genie_at "$addr" members || true
	echo
	echo "Raft peers (through $addr):"
	genie_at "$addr" operator raft list-peers || true
}

cmd_clean() {
	if [[ ! -e $STATE ]]; then
		say "nothing to clean: $SHOWN_STATE does not exist"
		return 0
	fi
	[[ -f $STATE/$MARKER ]] || die "$SHOWN_STATE is not a cluster state dir (no $MARKER): not deleting it"
	if ! cmd_stop; then
		local i
		for i in $(running_indexes); do
			echo "    kill -9 node$i"
			kill -KILL "$(node_pid "$i")" 2>/dev/null || true
		done
		sleep 0.5
	fi
	rm -rf "$STATE"
	if ((SECURE)); then
		say "deleted $SHOWN_STATE (the nodes' data and the secrets)"
	else
		say "deleted $SHOWN_STATE"
	fi
}

main() {
	local cmd=${1:-}
	[[ $# -gt 0 ]] && shift
	case $cmd in
	start | add | remove | restart | status)
		ensure_bin
		need_curl
		;;
	esac
	case $cmd in
	start) cmd_start "$@" ;;
	add) cmd_add "$@" ;;
	remove) cmd_remove "$@" ;;
	kill) cmd_kill "$@" ;;
	restart) cmd_restart "$@" ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	clean) cmd_clean ;;
	-h | --help | help) usage ;;
	"") usage >&2; exit 2 ;;
	*) echo "$PROG: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
	esac
}

main "$@"
