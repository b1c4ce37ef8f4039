package runner

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/genie-cluster/genie/fsm"
)

// nobodyUID is the uid of Debian's nobody, the job user of these tests;
// its jobs run with uids of their own and nobody's group.
const nobodyUID = 65534

// jobUID reads the uid a job printed, which must be one of JobUIDs.
func jobUID(t testing.TB, s string) int {
	t.Helper()
	uid := atoi(t, s)
	if !DefaultJobUIDs().Contains(uid) {
		t.Fatalf("the job runs as uid %d, not one of %s", uid, DefaultJobUIDs())
	}
	return uid
}

// owner is the uid a file belongs to.
func owner(t testing.TB, path string) int {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(info.Sys().(*syscall.Stat_t).Uid)
}

// procUID is the real uid of a running process.
func procUID(t testing.TB, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines(string(b)) {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "Uid:" {
			return atoi(t, f[1])
		}
	}
	t.Fatalf("no Uid in /proc/%d/status", pid)
	return 0
}

// writeSecret puts a file only root may read at path.
func writeSecret(t testing.TB, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// probe is a job that tries each thing and says whether it was allowed.
const probe = `id -u
check() { what=$1; shift; if "$@" >/dev/null 2>&1; then echo "$what: allowed"; else echo "$what: denied"; fi; }
check own-write touch own-file
check own-list ls .
`

// probeResults parses a probe's output after its first line.
func probeResults(out []string) map[string]string {
	res := map[string]string{}
	for _, l := range out[1:] {
		if k, v, ok := strings.Cut(l, ": "); ok {
			res[k] = v
		}
	}
	return res
}

func TestJobRunsAsJobUser(t *testing.T) {
	e := newTestEnv(t)
	e.runAs("nobody")
	r := e.runner()
	if info, err := os.Stat(e.conf.JobsDir); err != nil || info.Mode().Perm() != 0o711 || owner(t, e.conf.JobsDir) != 0 {
		t.Fatalf("jobs dir %v %v", info.Mode(), err)
	}
	r.Start(e.shSpec("as-1", `id -u; id -g; id -G; stat -c '%u %a' . genie genie/tmp run; stat -c %u stdout
echo "$HOME $USER $LOGNAME $TMPDIR"
echo kept >result; echo tmp >"$TMPDIR/scratch"; echo oops >&2`))
	a := waitArchived(t, e.rep, "as-1")
	if j := e.rep.job("as-1"); j.Status != fsm.JobSucceeded {
		t.Fatalf("status %s %q; stderr %q", j.Status, j.StatusMsg, e.readArchived(a, "stderr"))
	}
	if a.ArchiveStatus != fsm.ArchiveArchived {
		t.Fatalf("archive %+v", a)
	}
	dir := r.JobDir("as-1")
	got := lines(e.readArchived(a, "stdout"))
	uid := strconv.Itoa(jobUID(t, got[0]))
	want := []string{uid, "65534", "65534",
		uid + " 700", uid + " 755", uid + " 700", uid + " 755", uid,
		dir + " nobody nobody " + filepath.Join(dir, tmpDir)}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stdout\n got %q\nwant %q", got, want)
	}
	if got := e.readArchived(a, "stderr"); got != "oops\n" {
		t.Fatalf("stderr %q", got)
	}
	if got := e.readArchived(a, "result"); got != "kept\n" {
		t.Fatalf("result %q", got)
	}
	if code := e.readArchived(a, exitCodeFile); code != "0\n" {
		t.Fatalf("exit-code %q", code)
	}
	// The archive is the node's, without the job's temporary files.
	archived := strings.TrimPrefix(a.ArchiveLocation, "file://")
	for _, name := range []string{".", "stdout", "result", "genie", exitCodeFile} {
		if uid := owner(t, filepath.Join(archived, name)); uid != 0 {
			t.Errorf("archived %s belongs to uid %d", name, uid)
		}
	}
	if _, err := os.Lstat(filepath.Join(archived, tmpDir)); err == nil {
		t.Error("the job's temporary files were archived")
	}
}

// TestJobUserCannotReachTheNode runs a job as nobody next to what a node
// keeps: a key in its data directory, the directory of another job, its
// own process.
func TestJobUserCannotReachTheNode(t *testing.T) {
	e := newTestEnv(t)
	e.runAs("nobody")
	key := filepath.Join(e.root, "tls", "node.key")
	writeSecret(t, key)
	if err := os.Chmod(filepath.Dir(key), 0o755); err != nil {
		t.Fatal(err)
	}
	r := e.runner()

	// A finished job whose directory stays on the node.
	kept := e.shSpec("kept-1", "echo private >private")
	kept.Job.Request.DisableLogArchival = true
	r.Start(kept)
	if a := waitArchived(t, e.rep, "kept-1"); a.ArchiveStatus != fsm.ArchiveDisabled {
		t.Fatalf("archive %+v", a)
	}

	s := e.spec("probe-1", "/bin/sh", "-c", probe+`
check key cat "$1"
check data-dir ls "$2"
check jobs-dir ls "$3"
check other-job-list ls "$4"
check other-job-read cat "$4/private"
check node-environ cat "/proc/$5/environ"
check node-signal kill -0 "$5"
`, "sh", key, e.root, e.conf.JobsDir, r.JobDir("kept-1"), strconv.Itoa(os.Getpid()))
	r.Start(s)
	a := waitArchived(t, e.rep, "probe-1")
	out := lines(e.readArchived(a, "stdout"))
	jobUID(t, out[0])
	res := probeResults(out)
	for what, want := range map[string]string{
		"own-write": "allowed", "own-list": "allowed",
		"key": "denied", "data-dir": "denied", "jobs-dir": "denied",
		"other-job-list": "denied", "other-job-read": "denied",
		"node-environ": "denied", "node-signal": "denied",
	} {
		if res[what] != want {
			t.Errorf("%s: %q, want %s", what, res[what], want)
		}
	}
}

func TestJobUserCannotStageNodeFiles(t *testing.T) {
	e := newTestEnv(t)
	e.runAs("nobody")
	e.conf.AttachmentsDir = filepath.Join(e.root, "attachments")
	key := filepath.Join(e.root, "node.key")
	writeSecret(t, key)
	own := filepath.Join(e.conf.AttachmentsDir, "att-1", "query.q")
	writeSecret(t, own)
	other := filepath.Join(e.conf.AttachmentsDir, "other", "query.q")
	writeSecret(t, other)
	r := e.runner()

	for id, uri := range map[string]string{"steal-key": key, "steal-att": "file://" + other} {
		s := e.spec(id, "/bin/true")
		s.Job.Request.Dependencies = []string{uri}
		r.Start(s)
		j := waitJob(t, e.rep, id, fsm.JobFailed)
		if !strings.HasPrefix(j.StatusMsg, fsm.MsgSetupFailed) || !strings.Contains(j.StatusMsg, "permission denied") || j.ProcessID != 0 {
			t.Errorf("%s: msg %q pid %d", id, j.StatusMsg, j.ProcessID)
		}
	}

	// The job's own attachment is staged with the node's rights; so are
	// the files operators registered with the cluster.
	s := e.spec("att-1", "/bin/sh", "-c", "cat query.q genie/cluster/c1/config/node.key")
	s.Job.Request.Dependencies = []string{"file://" + own}
	s.Cluster.Configs = []string{key}
	r.Start(s)
	a := waitArchived(t, e.rep, "att-1")
	if j := e.rep.job("att-1"); j.Status != fsm.JobSucceeded {
		t.Fatalf("status %s %q", j.Status, j.StatusMsg)
	}
	if out := e.readArchived(a, "stdout"); out != "secret\nsecret\n" {
		t.Fatalf("stdout %q", out)
	}
}

func TestJobUserKillReachesGrandchildren(t *testing.T) {
	for _, how := range []string{"kill", "timeout"} {
		t.Run(how, func(t *testing.T) {
			e := newTestEnv(t)
			e.runAs("nobody")
			e.conf.KillGrace = 300 * time.Millisecond
			r := e.runner()
			id := "gc-" + how
			s := e.shSpec(id, `trap "" TERM
sleep 600 & echo $! >pids
(sleep 600 & echo $! >>pids; wait) & echo $! >>pids
echo $$ >>pids
sleep 600`)
			if how == "timeout" {
				s.Job.Timeout = 2
			}
			r.Start(s)
			j := waitJob(t, e.rep, id, fsm.JobRunning)
			t.Cleanup(func() { killAll(j.ProcessID) })
			var pids []int
			waitFor(t, 10*time.Second, "the job's processes to start", func() bool {
				b, _ := os.ReadFile(filepath.Join(r.JobDir(id), "pids"))
				pids = pids[:0]
				for _, f := range strings.Fields(string(b)) {
					pids = append(pids, atoi(t, f))
				}
				return len(pids) == 4
			})
			pids = append(pids, j.ProcessID)
			want := owner(t, r.JobDir(id))
			jobUID(t, strconv.Itoa(want))
			for _, pid := range pids {
				if uid := procUID(t, pid); uid != want {
					t.Fatalf("process %d runs as uid %d, its job directory is uid %d's", pid, uid, want)
				}
			}
			msg := fsm.MsgTimeout
			if how == "kill" {
				msg = fsm.MsgKilledByUser
				if err := r.Kill(id, msg); err != nil {
					t.Fatal(err)
				}
			}
			if got := waitJob(t, e.rep, id, fsm.JobKilled); got.StatusMsg != msg {
				t.Fatalf("msg %q", got.StatusMsg)
			}
			for _, pid := range pids {
				if !gone(pid) {
					t.Errorf("process %d survived", pid)
				}
			}
			if a := waitArchived(t, e.rep, id); a.ArchiveStatus != fsm.ArchiveArchived {
				t.Fatalf("archive %+v", a)
			}
		})
	}
}

func TestRecoverReattachesJobUserJob(t *testing.T) {
	e := newTestEnv(t)
	e.runAs("nobody")
	e.conf.KillGrace = 200 * time.Millisecond
	old := e.runner()
	s := e.spec("re-as", "/bin/sleep", "600")
	old.Start(s)
	j := waitJob(t, e.rep, "re-as", fsm.JobRunning)
	old.Close()
	t.Cleanup(func() { killAll(j.ProcessID) })

	r := e.runner()
	r.Recover(respec(e, s))
	waitFor(t, 5*time.Second, "the job to be tracked", func() bool { return r.Active() == 1 })
	if err := r.Kill("re-as", fsm.MsgKilledByUser); err != nil {
		t.Fatal(err)
	}
	waitJob(t, e.rep, "re-as", fsm.JobKilled)
	if groupAlive(j.ProcessID) {
		t.Fatal("the re-attached job survived its kill")
	}
	if a := waitArchived(t, e.rep, "re-as"); a.ArchiveStatus != fsm.ArchiveArchived {
		t.Fatalf("archive %+v", a)
	}
}

// TestArchiveLeavesOutWhatPointsAway has a job leave links to a node file
// and special files behind: the archive, written by root, holds none.
func TestArchiveLeavesOutWhatPointsAway(t *testing.T) {
	e := newTestEnv(t)
	e.runAs("nobody")
	key := filepath.Join(e.root, "node.key")
	writeSecret(t, key)
	decoy := filepath.Join(e.root, "decoy")
	if err := os.WriteFile(decoy, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.runner()
	// The cached-dependencies list names files the node removes before
	// archiving; through a link it would name the node's own.
	s := e.spec("links-1", "/bin/sh", "-c", `ln -s "$1" leak; ln -s / rootfs; ln -s "$2" up; mkfifo pipe
mkdir open; chmod 777 open; echo mine >open/file; chmod 4777 open/file
echo twice >linked; ln linked linked-again
echo up/decoy >genie/cached-dependencies`, "sh", key, e.root)
	r.Start(s)
	a := waitArchived(t, e.rep, "links-1")
	if j := e.rep.job("links-1"); j.Status != fsm.JobSucceeded {
		t.Fatalf("status %s %q; stderr %q", j.Status, j.StatusMsg, e.readArchived(a, "stderr"))
	}
	if a.ArchiveStatus != fsm.ArchiveArchived {
		t.Fatalf("archive %+v", a)
	}
	archived := strings.TrimPrefix(a.ArchiveLocation, "file://")
	for _, name := range []string{"leak", "rootfs", "up", "pipe"} {
		if _, err := os.Lstat(filepath.Join(archived, name)); err == nil {
			t.Errorf("%s was archived", name)
		}
	}
	// Of a file hard-linked only within the job directory, one name stays.
	var names []string
	for _, name := range []string{"linked", "linked-again"} {
		if b, err := os.ReadFile(filepath.Join(archived, name)); err == nil && string(b) == "twice\n" {
			names = append(names, name)
		}
	}
	if len(names) != 1 {
		t.Errorf("archived hard-linked names %v", names)
	}
	if got := e.readArchived(a, "open/file"); got != "mine\n" {
		t.Fatalf("open/file %q", got)
	}
	for name, want := range map[string]os.FileMode{"open": os.ModeDir | 0o755, "open/file": 0o755} {
		info, err := os.Lstat(filepath.Join(archived, name))
		if err != nil || info.Mode() != want || owner(t, filepath.Join(archived, name)) != 0 {
			t.Errorf("archived %s: %v %v", name, info.Mode(), err)
		}
	}
	if b, err := os.ReadFile(key); err != nil || string(b) != "secret\n" {
		t.Fatalf("the node's key was touched: %q %v", b, err)
	}
	if _, err := os.Stat(decoy); err != nil {
		t.Fatalf("a node file went with the cached dependencies: %v", err)
	}
}

func TestRunAsJobUser(t *testing.T) {
	requireRoot(t)
	suffix := strconv.Itoa(os.Getpid() % 1_000_000)
	name, group := "genie-t"+suffix, "genie-g"+suffix
	run := func(args ...string) {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	run("groupadd", group)
	t.Cleanup(func() { exec.Command("groupdel", group).Run() })
	run("useradd", "-M", "-s", "/usr/sbin/nologin", "-G", group, name)
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	acct, err := lookupIdentity(name)
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		t.Fatal(err)
	}

	e := newTestEnv(t)
	e.runAs("nobody")
	e.conf.RunAsJobUser = true
	r := e.runner()

	alice := e.spec("user-1", "/bin/sh", "-c", `id -un; id -G; echo "$USER"; echo private >private; exec sleep 600`)
	alice.Job.Request.User = name
	r.Start(alice)
	aj := waitJob(t, e.rep, "user-1", fsm.JobRunning)
	t.Cleanup(func() { killAll(aj.ProcessID) })
	waitFor(t, 10*time.Second, "the job to write", func() bool {
		_, err := os.Stat(filepath.Join(r.JobDir("user-1"), "private"))
		return err == nil
	})
	if uid := owner(t, r.JobDir("user-1")); uid != acct.uid {
		t.Fatalf("job dir belongs to uid %d, want %d", uid, acct.uid)
	}

	// Another user's job cannot see into it or signal it.
	bob := e.spec("user-2", "/bin/sh", "-c", probe+`
check other-job-list ls "$1"
check other-job-read cat "$1/private"
check other-job-signal kill -0 "$2"
`, "sh", r.JobDir("user-1"), strconv.Itoa(aj.ProcessID))
	bob.Job.Request.User = "nobody"
	r.Start(bob)
	b := waitArchived(t, e.rep, "user-2")
	out := lines(e.readArchived(b, "stdout"))
	if out[0] != strconv.Itoa(nobodyUID) {
		t.Fatalf("user-2 runs as uid %s", out[0])
	}
	res := probeResults(out)
	for what, want := range map[string]string{
		"own-write": "allowed", "other-job-list": "denied", "other-job-read": "denied", "other-job-signal": "denied",
	} {
		if res[what] != want {
			t.Errorf("%s: %q, want %s", what, res[what], want)
		}
	}

	for user, msg := range map[string]string{
		"genie-no-such-user": fsm.MsgSetupFailed + ` run as user "genie-no-such-user": no such OS account`,
		"root":               fsm.MsgSetupFailed + ` run as user "root": jobs never run as root`,
	} {
		s := e.spec("user-"+user, "/bin/true")
		s.Job.Request.User = user
		r.Start(s)
		j := waitJob(t, e.rep, "user-"+user, fsm.JobFailed)
		if j.StatusMsg != msg || j.ProcessID != 0 {
			t.Errorf("%s: msg %q pid %d", user, j.StatusMsg, j.ProcessID)
		}
		if _, err := os.Stat(r.JobDir("user-" + user)); err == nil {
			t.Errorf("%s: a job directory was made", user)
		}
	}

	if err := r.Kill("user-1", fsm.MsgKilledByUser); err != nil {
		t.Fatal(err)
	}
	a := waitArchived(t, e.rep, "user-1")
	want := []string{name, fmt.Sprint(acct.gid) + " " + g.Gid, name}
	if got := lines(e.readArchived(a, "stdout")); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stdout\n got %q\nwant %q", got, want)
	}
}

func TestJobsDirMustBeReachable(t *testing.T) {
	e := newTestEnv(t)
	e.runAs("nobody")
	if err := os.Chmod(e.root, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := New(e.conf, e.rep)
	if err == nil || !strings.Contains(err.Error(), e.root+" has mode 0700") {
		t.Fatalf("got %v", err)
	}
}

func TestNewRefusesJobUserWithoutRoot(t *testing.T) {
	nobody, err := lookupIdentity("nobody")
	if err != nil {
		t.Fatal(err)
	}
	real := geteuid
	t.Cleanup(func() { geteuid = real })
	geteuid = func() int { return 1000 }
	if CanSwitchUsers() {
		t.Fatal("uid 1000 may switch users")
	}
	for name, mutate := range map[string]func(*Config){
		"JobUser":      func(c *Config) { c.JobUser = "nobody" },
		"RunAsJobUser": func(c *Config) { c.RunAsJobUser = true },
	} {
		e := newTestEnv(t)
		mutate(e.conf)
		if _, err := New(e.conf, e.rep); err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "root") {
			t.Errorf("%s: got %v", name, err)
		}
	}
	// The node's own account is no switch.
	geteuid = func() int { return nobody.uid }
	e := newTestEnv(t)
	e.conf.JobUser = "nobody"
	r, err := New(e.conf, e.rep)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	e.conf.JobUser = "genie-no-such-user"
	if _, err := New(e.conf, e.rep); err == nil || !strings.Contains(err.Error(), "no such OS account") {
		t.Fatalf("got %v", err)
	}
}
