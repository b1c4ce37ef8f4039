package runner

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/genie-cluster/genie/fsm"
)

func TestParseUIDRange(t *testing.T) {
	got, err := ParseUIDRange("61184-65519")
	if err != nil || got != DefaultJobUIDs() || got.String() != "61184-65519" {
		t.Fatalf("got %+v %v", got, err)
	}
	if got, err := ParseUIDRange("70000-70000"); err != nil || got.Count != 1 {
		t.Fatalf("one uid: %+v %v", got, err)
	}
	for _, s := range []string{"", "61184", "0-10", "10-5", "a-10", "1-4294967295", "-5-10"} {
		if _, err := ParseUIDRange(s); err == nil {
			t.Errorf("%q was accepted", s)
		}
	}
	e := newTestEnv(t)
	e.conf.JobUIDs = UIDRange{}
	if _, err := New(e.conf, e.rep); err == nil || !strings.Contains(err.Error(), "JobUIDs") {
		t.Fatalf("an empty JobUIDs: %v", err)
	}
}

// TestUIDPoolRotates: each uid handed out is the first free one after the
// last handed out, passing over uids of processes and accounts.
func TestUIDPoolRotates(t *testing.T) {
	p := newUIDPool(UIDRange{First: 1000, Count: 5})
	p.next = 0
	p.running = func() (map[int]bool, error) { return map[int]bool{1002: true, 7: true}, nil }
	p.account = func(uid int) bool { return uid == 1003 }
	take := func(want int) {
		t.Helper()
		got, err := p.take()
		if err != nil || got != want {
			t.Fatalf("took %d %v, want %d", got, err, want)
		}
	}
	take(1000)
	take(1001)
	take(1004)
	p.release(1001)
	// 1000 is still held; 1001, released later, comes back.
	take(1001)
	p.release(1000)
	take(1000)
	if uid, err := p.take(); err == nil {
		t.Fatalf("took %d from a range with nothing free", uid)
	}
	if p.hold(999) || p.hold(1005) {
		t.Fatal("held a uid from outside the range")
	}
	if !p.hold(1004) || p.held[1004] != 2 {
		t.Fatalf("held %v", p.held)
	}
	p.release(1004)
	p.release(1004)
	if _, ok := p.held[1004]; ok {
		t.Fatalf("1004 still held: %v", p.held)
	}
}

// TestUIDPoolWalksProcessesOnlyWhenItMust: uids are handed out on the last
// walk of the processes while it is recent, and a uid released since the
// walk (which a left-behind process may still have) takes a new one.
func TestUIDPoolWalksProcessesOnlyWhenItMust(t *testing.T) {
	p := newUIDPool(UIDRange{First: 1000, Count: 3})
	p.next = 0
	now := time.Unix(1_800_000_000, 0)
	p.now = func() time.Time { return now }
	walks := 0
	leftBehind := map[int]bool{}
	p.running = func() (map[int]bool, error) { walks++; return maps.Clone(leftBehind), nil }
	accountLookups := 0
	p.account = func(int) bool { accountLookups++; return false }
	take := func(want, wantWalks int) {
		t.Helper()
		got, err := p.take()
		if err != nil || got != want || walks != wantWalks {
			t.Fatalf("took %d %v after %d walks, want %d after %d", got, err, walks, want, wantWalks)
		}
	}
	take(1000, 1)
	take(1001, 1)
	take(1002, 1)
	if accountLookups != 3 {
		t.Fatalf("%d account lookups for 3 uids between walks", accountLookups)
	}
	// 1000 ends leaving a process behind; 1001 ends cleanly.
	leftBehind[1000] = true
	p.release(1000)
	p.release(1001)
	take(1001, 2) // 1000 came round released: a new walk finds it still in use
	now = now.Add(uidRescanEvery + time.Millisecond)
	delete(leftBehind, 1000)
	take(1000, 3) // the walk grew old: a new one finds it free
}

// TestUIDPoolPassesOverRunningProcesses: a uid any process has is not
// handed out, whatever started the process.
func TestUIDPoolPassesOverRunningProcesses(t *testing.T) {
	requireRoot(t)
	rng := UIDRange{First: 61184, Count: 2}
	cmd := exec.Command("/bin/sleep", "600")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(rng.First), Gid: nobodyUID}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	running, err := processUIDs()
	if err != nil || !running[rng.First] || !running[0] {
		t.Fatalf("running uids %v %v", running, err)
	}
	p := newUIDPool(rng)
	for range 3 {
		uid, err := p.take()
		if err != nil || uid != rng.First+1 {
			t.Fatalf("took %d %v", uid, err)
		}
		p.release(uid)
	}
}

// TestJobsOfOneUserAreIsolated runs two jobs as JobUser at once, for two
// users: each has a uid of its own, and neither reaches the other's files
// or processes.
func TestJobsOfOneUserAreIsolated(t *testing.T) {
	e := newTestEnv(t)
	e.runAs("nobody")
	r := e.runner()

	b := e.shSpec("iso-b", `echo private >private; id -u >uid; exec sleep 600`)
	b.Job.Request.User = "bob"
	r.Start(b)
	bj := waitJob(t, e.rep, "iso-b", fsm.JobRunning)
	t.Cleanup(func() { killAll(bj.ProcessID) })
	bDir := r.JobDir("iso-b")
	waitFor(t, 10*time.Second, "job B to write", func() bool {
		_, err := os.Stat(filepath.Join(bDir, "uid"))
		return err == nil
	})

	a := e.spec("iso-a", "/bin/sh", "-c", probe+`
check own-signal kill -0 $$
check own-environ cat /proc/$$/environ
check other-list ls "$1"
check other-read cat "$1/private"
check other-write touch "$1/planted"
check other-signal kill -0 "$2"
check other-environ cat "/proc/$2/environ"
`, "sh", bDir, strconv.Itoa(bj.ProcessID))
	a.Job.Request.User = "alice"
	r.Start(a)
	out := lines(e.readArchived(waitArchived(t, e.rep, "iso-a"), "stdout"))
	aUID := jobUID(t, out[0])
	bUID := owner(t, bDir)
	if bUID == aUID || procUID(t, bj.ProcessID) != bUID {
		t.Fatalf("job A runs as %d, job B as %d, B's directory is %d's", aUID, procUID(t, bj.ProcessID), bUID)
	}
	for what, want := range map[string]string{
		"own-write": "allowed", "own-list": "allowed", "own-signal": "allowed", "own-environ": "allowed",
		"other-list": "denied", "other-read": "denied", "other-write": "denied",
		"other-signal": "denied", "other-environ": "denied",
	} {
		if res := probeResults(out); res[what] != want {
			t.Errorf("%s: %q, want %s", what, res[what], want)
		}
	}

	// A's uid is free again once its directory is the node's; B's is not.
	r.uids.mu.Lock()
	held := map[int]int{}
	for k, v := range r.uids.held {
		held[k] = v
	}
	r.uids.mu.Unlock()
	if held[aUID] != 0 || held[bUID] != 1 {
		t.Fatalf("held uids %v; A %d, B %d", held, aUID, bUID)
	}
	if err := r.Kill("iso-b", fsm.MsgKilledByUser); err != nil {
		t.Fatal(err)
	}
	waitArchived(t, e.rep, "iso-b")
	waitFor(t, 5*time.Second, "B's uid to be free", func() bool {
		r.uids.mu.Lock()
		defer r.uids.mu.Unlock()
		return len(r.uids.held) == 0
	})
}

// TestRecoveredJobKeepsItsUID: a restarted node holds the uid of a job it
// re-attaches, so no new job gets it, and still kills the job.
func TestRecoveredJobKeepsItsUID(t *testing.T) {
	e := newTestEnv(t)
	e.runAs("nobody")
	e.conf.KillGrace = 200 * time.Millisecond
	e.conf.JobUIDs = UIDRange{First: 61184, Count: 2}
	old := e.runner()
	s := e.spec("keep-uid", "/bin/sleep", "600")
	old.Start(s)
	j := waitJob(t, e.rep, "keep-uid", fsm.JobRunning)
	old.Close()
	t.Cleanup(func() { killAll(j.ProcessID) })
	uid := owner(t, old.JobDir("keep-uid"))

	r := e.runner()
	// Only what the runner knows of its jobs keeps the uid from others.
	r.uids.running = func() (map[int]bool, error) { return nil, nil }
	r.Recover(respec(e, s))
	waitFor(t, 5*time.Second, "the job to be tracked", func() bool { return r.Active() == 1 })
	r.Start(e.shSpec("new-uid", "id -u"))
	if got := atoi(t, e.readArchived(waitArchived(t, e.rep, "new-uid"), "stdout")); got == uid || !e.conf.JobUIDs.Contains(got) {
		t.Fatalf("the new job runs as %d; the recovered one is %d", got, uid)
	}
	if err := r.Kill("keep-uid", fsm.MsgKilledByUser); err != nil {
		t.Fatal(err)
	}
	waitJob(t, e.rep, "keep-uid", fsm.JobKilled)
	if groupAlive(j.ProcessID) {
		t.Fatal("the re-attached job survived its kill")
	}
	waitArchived(t, e.rep, "keep-uid")
	r.uids.mu.Lock()
	defer r.uids.mu.Unlock()
	if len(r.uids.held) != 0 {
		t.Fatalf("held uids %v", r.uids.held)
	}
}
