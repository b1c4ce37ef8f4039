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
#   scripts/cluster.sh clean       stop every node and delete the state dir
#
# Environment:
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
	[[ -f $env ]] || die "there is no node $1 in $STATE"
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

healthy() {
	local addr=$1
	if command -v curl >/dev/null 2>&1; then
		curl -fsS -o /dev/null --max-time 2 "http://$addr/v1/health" 2>/dev/null
	else
		GENIE_ADDR="http://$addr" "$BIN" members >/dev/null 2>&1
	fi
}

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

expect_count() {
	[[ -f $STATE/expect ]] || die "$STATE/expect is missing: is $STATE a cluster state dir?"
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

# create_node I: the state dir and addresses of a new node I.
create_node() {
	local i=$1 dir base
	dir=$(node_dir "$i")
	base=$((BASE_PORT + 10 * i))
	check_ports "$i"
	mkdir -p "$dir/data"
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
		-drain-timeout "${DRAIN}s"
		-insecure)
	if [[ -n $join ]]; then args+=(-join "$join"); fi
	{
		echo "---- $(date '+%Y-%m-%d %H:%M:%S') $BIN ${args[*]}"
	} >>"$dir/agent.log"
	# Its own session, so that neither a Ctrl-C nor a closed terminal
	# reaches the node; only `stop`, `remove` or `kill` end it. The
	# variables that -dev and -join read are not inherited: this script
	# decides them.
	local launcher=()
	if command -v setsid >/dev/null 2>&1; then launcher=(setsid); fi
	env -u GENIE_DEV -u GENIE_JOIN "${launcher[@]}" "$BIN" "${args[@]}" \
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
	printf '    node%-3s pid %-7s API http://%s  raft %s  gossip %s\n' "$i" "$pid" "$HTTP_ADDR" "$RAFT_ADDR" "$GOSSIP_ADDR"
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
				echo "$PROG: node $i exited; the end of $(node_dir "$i")/agent.log:" >&2
				tail -n 20 "$(node_dir "$i")/agent.log" >&2
				exit 1
			fi
			if healthy "$HTTP_ADDR"; then
				echo "    node$i healthy (http://$HTTP_ADDR)"
			else
				left+=("$i")
			fi
		done
		pending=(${left[@]+"${left[@]}"})
		((${#pending[@]} == 0)) && break
		if ((SECONDS >= deadline)); then
			echo "$PROG: not healthy after ${HEALTH_TIMEOUT}s: ${pending[*]/#/node}" >&2
			for i in "${pending[@]}"; do
				echo "---- the end of $(node_dir "$i")/agent.log:" >&2
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
			echo "http://$HTTP_ADDR"
			return 0
		fi
	done
	for i in $(running_indexes); do
		load_node "$i"
		echo "http://$HTTP_ADDR"
		return 0
	done
}

genie_at() {
	local addr=$1
	shift
	GENIE_ADDR=$addr "$BIN" "$@"
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
		if [[ -z $first ]]; then first="http://$HTTP_ADDR"; fi
		printf '  node%-3s http://%s   log %s\n' "$i" "$HTTP_ADDR" "$(node_dir "$i")/agent.log"
	done
	[[ -n $first && ${1:-} != nodes ]] || return 0
	local cli=${BIN#"$PWD"/}
	cat <<EOF

Try:
  export GENIE_ADDR=$first
  $cli members
  $cli operator raft list-peers
  $cli jobs submit --wait -- echo hi
  $PROG add | remove [I] | kill I | restart I | status | stop | clean
EOF
}

# --- subcommands ------------------------------------------------------------

cmd_start() {
	local n=${1:-3} i first join running existing
	if ! is_uint "$n" || ((n < 1)); then die "start: N must be a positive number, not '$n'"; fi
	mapfile -t running < <(running_indexes)
	if ((${#running[@]} > 0)); then
		die "a cluster is already running in $STATE (${running[*]/#/node}); use add, or stop it first"
	fi

	mapfile -t existing < <(node_indexes)
	if ((${#existing[@]} > 0)); then
		say "resuming the stopped cluster in $STATE (${existing[*]/#/node}); '$PROG clean' starts afresh"
		if [[ -n ${1:-} && $1 != "${#existing[@]}" ]]; then
			echo "    (N=$1 ignored: the cluster has $(plural ${#existing[@]} node))"
		fi
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
			die "$STATE exists and is not a cluster state dir: set GENIE_CLUSTER_DIR elsewhere"
		fi
		for ((i = 0; i < n; i++)); do check_ports "$i"; done
		mkdir -p "$STATE"
		touch "$STATE/$MARKER"
		echo "$n" >"$STATE/expect"
		echo "$BASE_PORT" >"$STATE/base-port"
		say "starting $(plural "$n" node) in $STATE (-bootstrap-expect $n, ports from $BASE_PORT)"
		for ((i = 0; i < n; i++)); do create_node "$i"; done
		load_node 0
		first=$GOSSIP_ADDR
		for ((i = 0; i < n; i++)); do
			if ((i == 0)); then launch 0 ""; else launch "$i" "$first"; fi
		done
		wait_healthy $(seq 0 $((n - 1)))
	fi
	load_node "$(node_indexes | head -n 1)"
	say "demo resources through http://$HTTP_ADDR"
	register_demo "http://$HTTP_ADDR"
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
	create_node "$i"
	say "adding node$i, joining $join"
	launch "$i" "$join"
	wait_healthy "$i"
	print_usage_hints nodes
}

cmd_remove() {
	local i=${1:-}
	if [[ -z $i ]]; then
		i=$(node_indexes | tail -n 1)
		[[ -n $i ]] || die "there are no nodes in $STATE"
	fi
	is_uint "$i" || die "remove: I must be a node index, not '$i'"
	load_node "$i"
	if node_running "$i"; then
		check_not_last_voter "$i"
		say "node$i leaving the cluster (drains its jobs for up to ${DRAIN}s)"
		kill -TERM "$(node_pid "$i")" 2>/dev/null || true
		if ! wait_exit "$STOP_TIMEOUT" "$i"; then
			die "node$i still runs after ${STOP_TIMEOUT}s; see $(node_dir "$i")/agent.log ('$PROG kill $i' ends it)"
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
	peers=$(genie_at "http://$HTTP_ADDR" operator raft list-peers -json 2>/dev/null | awk '
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
			st=$(gossip_status "http://$HTTP_ADDR" "$id")
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
		if out=$(genie_at "http://$HTTP_ADDR" operator raft remove-peer -id "$id" 2>&1); then
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
	say "restarting node$i on $(node_dir "$i")/data${join:+, joining $join}"
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
	say "stopped; the data stays in $STATE ('$PROG start' resumes, '$PROG clean' deletes it)"
}

cmd_status() {
	local i state addr
	if [[ -z $(node_indexes) ]]; then
		say "no cluster in $STATE"
		return 0
	fi
	echo "Nodes in $STATE:"
	for i in $(node_indexes); do
		load_node "$i"
		if node_running "$i"; then
			if healthy "$HTTP_ADDR"; then state="healthy"; else state="running, not healthy"; fi
			state="$state (pid $(node_pid "$i"))"
		else
			state="not running"
		fi
		printf '  node%-3s http://%-20s %s\n' "$i" "$HTTP_ADDR" "$state"
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
		say "nothing to clean: $STATE does not exist"
		return 0
	fi
	[[ -f $STATE/$MARKER ]] || die "$STATE is not a cluster state dir (no $MARKER): not deleting it"
	if ! cmd_stop; then
		local i
		for i in $(running_indexes); do
			echo "    kill -9 node$i"
			kill -KILL "$(node_pid "$i")" 2>/dev/null || true
		done
		sleep 0.5
	fi
	rm -rf "$STATE"
	say "deleted $STATE"
}

main() {
	local cmd=${1:-}
	[[ $# -gt 0 ]] && shift
	case $cmd in
	start | add | remove | restart | status) ensure_bin ;;
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
