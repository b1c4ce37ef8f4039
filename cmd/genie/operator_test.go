package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/api"
)

func TestMembersTable(t *testing.T) {
	f := newFakeGenie(t)
	f.members = []api.Member{
		{Name: "node-1", Address: "10.0.0.1:8080", Status: "alive", RaftRole: "leader", RunningJobs: 2, MaxJobs: 8,
			UsedMemory: 1024, MaxMemory: 8192, Zone: "us-east-1a", QueuedJobs: 7},
		{Name: "node-2", Address: "10.0.0.2:8080", Status: "alive", RaftRole: "follower", MaxJobs: 8,
			MaxMemory: 8192, Draining: true, QueuedJobs: 7},
	}
	r := run(t, f, "members").want(t, 0)
	lines := r.lines()
	if got := fields(lines[0]); !reflect.DeepEqual(got, []string{"NAME", "ADDRESS", "STATUS", "ROLE", "RUNNING", "CAPACITY", "DRAINING", "ZONE"}) {
		t.Fatalf("header %q", got)
	}
	if got := fields(lines[1]); !reflect.DeepEqual(got, []string{"node-1", "10.0.0.1:8080", "alive", "leader", "2", "2/8 jobs, 1024/8192 MB", "false", "us-east-1a"}) {
		t.Fatalf("row %q", got)
	}
	if got := fields(lines[2]); !reflect.DeepEqual(got, []string{"node-2", "10.0.0.2:8080", "alive", "follower", "0", "0/8 jobs, 0/8192 MB", "true", "-"}) {
		t.Fatalf("row %q", got)
	}
	if last := lines[len(lines)-1]; last != "Queued: 7 jobs waiting for capacity" {
		t.Fatalf("queue line %q", last)
	}
	at := column(t, lines[0], "CAPACITY")
	if lines[1][at-1] != ' ' || lines[2][at-1] != ' ' || lines[1][at] == ' ' || lines[2][at] == ' ' {
		t.Fatalf("CAPACITY not aligned:\n%s", r.stdout)
	}

	r = run(t, f, "members", "-json").want(t, 0)
	var got []api.Member
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || !reflect.DeepEqual(got, f.members) {
		t.Fatalf("%v %v", got, err)
	}
}

func TestRaftListPeers(t *testing.T) {
	f := newFakeGenie(t)
	f.peers = []api.RaftPeer{
		{Node: "node-1", ID: "id-1", Address: "10.0.0.1:8300", State: "leader", Voter: true, CommitIndex: 120},
		{Node: "node-2", ID: "id-2", Address: "10.0.0.2:8300", State: "follower", Voter: true, CommitIndex: 117, TrailsLeaderBy: 3},
	}
	r := run(t, f, "operator", "raft", "list-peers").want(t, 0)
	lines := r.lines()
	if got := fields(lines[0]); !reflect.DeepEqual(got, []string{"NODE", "ID", "ADDRESS", "STATE", "VOTER", "COMMIT INDEX", "TRAILS BY"}) {
		t.Fatalf("header %q", got)
	}
	if got := fields(lines[2]); !reflect.DeepEqual(got, []string{"node-2", "id-2", "10.0.0.2:8300", "follower", "true", "117", "3"}) {
		t.Fatalf("row %q", got)
	}
}

func TestRaftRemovePeer(t *testing.T) {
	f := newFakeGenie(t)
	f.peers = []api.RaftPeer{{ID: "id-2"}}
	r := run(t, f, "operator", "raft", "remove-peer", "-id", "id-2").want(t, 0)
	if r.stdout != "Removed peer id-2\n" || f.seen()[0] != "POST /v1/operator/raft/remove-peer?id=id-2" {
		t.Fatalf("stdout %q requests %v", r.stdout, f.seen())
	}
	r = run(t, f, "operator", "raft", "remove-peer", "-id", "id-9").want(t, 1)
	if !strings.Contains(r.stderr, "no raft peer with id id-9 (field id)") {
		t.Fatalf("stderr %q", r.stderr)
	}
	r = run(t, f, "operator", "raft", "remove-peer").want(t, 1)
	if !strings.Contains(r.stderr, "-id is required") {
		t.Fatalf("stderr %q", r.stderr)
	}
}

func TestRaftTransferLeader(t *testing.T) {
	f := newFakeGenie(t)
	run(t, f, "operator", "raft", "transfer-leader").want(t, 0)
	run(t, f, "operator", "raft", "transfer-leader", "--id", "id-3").want(t, 0)
	want := []string{"POST /v1/operator/raft/transfer-leader", "POST /v1/operator/raft/transfer-leader?id=id-3"}
	if got := f.seen(); !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v", got)
	}
}
