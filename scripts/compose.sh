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
# GENIE_PROJECT names the compose project (default genie); the variables in
# deploy/compose.yaml (GENIE_NODE_LOST_GRACE, ...) tune the nodes.
# GENIE_NO_BUILD=1 makes `up` use the image GENIE_IMAGE as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
project=${GENIE_PROJECT:-genie}
compose() { docker-compose -p "$project" -f deploy/compose.yaml "$@"; }
genie=bin/genie

# containers lists the running nodes' container ids.
containers() {
	docker ps -q --filter "label=com.docker.compose.project=$project" \
		--filter "label=com.docker.compose.service=genie"
}

# client_ip C prints container C's address on the clients network.
client_ip() {
	docker inspect -f "{{with index .NetworkSettings.Networks \"${project}_clients\"}}{{.IPAddress}}{{end}}" "$1"
}

addrs() {
	for c in $(containers); do
		ip=$(client_ip "$c")
		[ -n "$ip" ] && echo "http://$ip:8080"
	done
}

first_addr() { addrs | sed -n 1p; }

# wait_members N waits until a node reports N alive members and a leader.
wait_members() {
	local want=$1 a out n
	for _ in $(seq 1 120); do
		for a in $(addrs); do
			out=$(GENIE_ADDR=$a $genie members 2>/dev/null || true)
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
		GENIE_ADDR=$a $genie members || true
		echo
		GENIE_ADDR=$a $genie operator raft list-peers || true
	fi
}

cmd=${1:-}
shift || true
case "$cmd" in
up)
	n=${1:-3}
	make -s build
	if [ -z "${GENIE_NO_BUILD:-}" ]; then
		scripts/image.sh "${GENIE_IMAGE:-genie:dev}"
	fi
	GENIE_BOOTSTRAP_EXPECT=${GENIE_BOOTSTRAP_EXPECT:-$(( n < 3 ? n : 3 ))} compose up -d --scale genie="$n"
	wait_members "$n"
	status
	echo
	echo "Try it:"
	echo "  GENIE_ADDR=$(first_addr) $genie jobs submit --wait -- echo hello from genie"
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
	docker rm "$old" >/dev/null
	wait_members "$size"
	status
	;;
status) status ;;
addr) addrs ;;
down) compose down -v --remove-orphans ;;
*)
	sed -n "2,19p" "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
