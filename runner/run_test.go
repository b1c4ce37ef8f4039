package runner

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/fsm"
)

func TestEchoSucceeds(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	r.Start(e.spec("echo-1", "/bin/echo", "hello"))

	a := waitArchived(t, e.rep, "echo-1")
	j := e.rep.job("echo-1")
	if j.Status != fsm.JobSucceeded || j.StatusMsg != fsm.MsgSucceeded {
		t.Fatalf("status %s %q", j.Status, j.StatusMsg)
	}
	if j.ExitCode == nil || *j.ExitCode != 0 {
		t.Fatalf("exit code %v", j.ExitCode)
	}
	if j.ProcessID == 0 || j.Started == 0 || j.Finished < j.Started {
		t.Fatalf("pid %d started %d finished %d", j.ProcessID, j.Started, j.Finished)
	}
	if a.ArchiveStatus != fsm.ArchiveArchived || !strings.HasPrefix(a.ArchiveLocation, "file://") {
		t.Fatalf("archive %+v", a)
	}
	if a.StdoutSize != 6 || a.StderrSize != 0 {
		t.Fatalf("sizes %d %d", a.StdoutSize, a.StderrSize)
	}
	if out := e.readArchived(a, "stdout"); out != "hello\n" {
		t.Fatalf("stdout %q", out)
	}
	if code := e.readArchived(a, "genie/exit-code"); code != "0\n" {
		t.Fatalf("exit-code file %q", code)
	}
	// The archive keeps the job's final record, so it outlives the state.
	rec, err := fsm.DecodeJobRecord([]byte(e.readArchived(a, archive.RecordPath)))
	if err != nil {
		t.Fatal(err)
	}
	if !a.RecordArchived || rec.Status != fsm.JobSucceeded || *rec.ExitCode != 0 || rec.Finished != j.Finished ||
		rec.ArchiveStatus != fsm.ArchiveArchived || rec.StdoutSize != 6 || !rec.RecordArchived {
		t.Fatalf("archived record %+v (recorded %v)", rec, a.RecordArchived)
	}
	if _, err := os.Stat(r.JobDir("echo-1")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("working dir still there: %v", err)
	}
	select {
	case f := <-e.finish:
		if f.id != "echo-1" || f.status != fsm.JobSucceeded {
			t.Fatalf("OnFinish %+v", f)
		}
	default:
		t.Fatal("OnFinish not called")
	}
	if n := r.Active(); n != 0 {
		t.Fatalf("%d jobs still tracked", n)
	}
}

func TestExitCodeFails(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	r.Start(e.shSpec("exit-3", "echo oops >&2; exit 3"))
	a := waitArchived(t, e.rep, "exit-3")
	j := e.rep.job("exit-3")
	if j.Status != fsm.JobFailed || j.StatusMsg != "Job failed with exit code 3." {
		t.Fatalf("status %s %q", j.Status, j.StatusMsg)
	}
	if j.ExitCode == nil || *j.ExitCode != 3 {
		t.Fatalf("exit code %v", j.ExitCode)
	}
	if got := e.readArchived(a, "stderr"); got != "oops\n" {
		t.Fatalf("stderr %q", got)
	}
	if (<-e.finish).status != fsm.JobFailed {
		t.Fatal("OnFinish status")
	}
}

func TestDisableLogArchivalKeepsDir(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	s := e.spec("keep-1", "/bin/echo", "kept")
	s.Job.Request.DisableLogArchival = true
	r.Start(s)
	a := waitArchived(t, e.rep, "keep-1")
	if a.ArchiveStatus != fsm.ArchiveDisabled || a.ArchiveLocation != "" {
		t.Fatalf("archive %+v", a)
	}
	b, err := os.ReadFile(filepath.Join(r.JobDir("keep-1"), "stdout"))
	if err != nil || string(b) != "kept\n" {
		t.Fatalf("stdout %q, %v", b, err)
	}
	if a.StdoutSize != 5 {
		t.Fatalf("stdout size %d", a.StdoutSize)
	}
	// The output stays on the node, but the record is archived all the same.
	_, b, err = archive.ReadRecord(context.Background(), e.conf.Archive, "keep-1")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := fsm.DecodeJobRecord(b)
	if err != nil || !a.RecordArchived || rec.ArchiveStatus != fsm.ArchiveDisabled || rec.Status != fsm.JobSucceeded {
		t.Fatalf("record %+v, %v (recorded %v)", rec, err, a.RecordArchived)
	}
	loc, _ := e.conf.Archive.Locate(context.Background(), "keep-1")
	fsys, err := e.conf.Archive.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fsys, "stdout"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the output of a job with log archival off was archived: %v", err)
	}
}

func TestNoArchiveStoreKeepsDir(t *testing.T) {
	e := newTestEnv(t)
	e.conf.Archive = nil
	r := e.runner()
	r.Start(e.spec("keep-2", "/bin/true"))
	if a := waitArchived(t, e.rep, "keep-2"); a.ArchiveStatus != fsm.ArchiveDisabled || a.RecordArchived {
		t.Fatalf("archive %+v", a)
	}
	if _, err := os.Stat(filepath.Join(r.JobDir("keep-2"), "run")); err != nil {
		t.Fatal(err)
	}
}

func TestEnvironmentExported(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	r.Start(e.spec("env-1", "/usr/bin/env"))
	a := waitArchived(t, e.rep, "env-1")
	out := e.readArchived(a, "stdout")
	dir := r.JobDir("env-1")
	for _, want := range []string{
		"GENIE_JOB_ID=env-1",
		"GENIE_JOB_NAME=test-env-1",
		"GENIE_JOB_DIR=" + dir,
		"GENIE_USER=alice",
		"GENIE_VERSION=1.0",
		"GENIE_JOB_MEMORY=512",
		"GENIE_CLUSTER_ID=c1",
		"GENIE_CLUSTER_NAME=cluster-one",
		"GENIE_CLUSTER_DIR=" + dir + "/genie/cluster/c1",
		"GENIE_COMMAND_ID=cmd1",
		"GENIE_COMMAND_NAME=shell",
		"GENIE_COMMAND_DIR=" + dir + "/genie/command/cmd1",
		"GENIE_APPLICATION_DIR=" + dir + "/genie/applications",
		"GENIE_HOST_NAME=node-1",
		"GENIE_REQUESTED_COMMAND_TAGS=type:sh",
		"GENIE_REQUESTED_CLUSTER_TAGS=sched:adhoc,env:test,env:prod",
		"GENIE_REQUESTED_CLUSTER_TAGS_0=sched:adhoc,env:test",
		"GENIE_REQUESTED_CLUSTER_TAGS_1=env:prod",
		"GENIE_REQUESTED_CLUSTER_TAGS_COUNT=2",
		"GENIE_JOB_TAGS=t1,t2",
	} {
		if !strings.Contains(out, "\n"+want+"\n") && !strings.HasPrefix(out, want+"\n") {
			t.Errorf("environment lacks %s", want)
		}
	}
}

func TestCommandArgumentsArriveIntact(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	args := []string{
		"plain", "with space", "it's", `"double"`, "$HOME", "`id`", "$(id)", "a\nb", "back\\slash",
		"", "*", "'", "''", "semi;colon", "-f", "tab\there", "trailing\\",
	}
	s := e.spec("argv-1", "/usr/bin/env", "GENIE_RUNNER_TEST_ARGV=1", os.Args[0], "exe arg")
	s.Job.Request.CommandArguments = args
	r.Start(s)
	a := waitArchived(t, e.rep, "argv-1")
	if j := e.rep.job("argv-1"); j.Status != fsm.JobSucceeded {
		t.Fatalf("status %s %q; stderr %q", j.Status, j.StatusMsg, e.readArchived(a, "stderr"))
	}
	got := decodeArgv(t, e.readArchived(a, "stdout"))
	want := append([]string{"exe arg"}, args...)
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("argv\n got %q\nwant %q", got, want)
	}
}

func TestCommandArgsAreShellInterpreted(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	s := e.spec("argv-2", "/usr/bin/env", "GENIE_RUNNER_TEST_ARGV=1", os.Args[0])
	s.Job.Request.CommandArgs = `"a b" 'c d' $GENIE_JOB_ID e\`
	r.Start(s)
	a := waitArchived(t, e.rep, "argv-2")
	got := decodeArgv(t, e.readArchived(a, "stdout"))
	want := []string{"a b", "c d", "argv-2", "e"}
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("argv\n got %q\nwant %q", got, want)
	}
	if j := e.rep.job("argv-2"); j.Status != fsm.JobSucceeded {
		t.Fatalf("status %s", j.Status)
	}
}

func TestMissingCommandFails(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	r.Start(e.spec("noexe-1"))
	j := waitJob(t, e.rep, "noexe-1", fsm.JobFailed)
	if !strings.Contains(j.StatusMsg, "no executable") || j.ExitCode != nil {
		t.Fatalf("msg %q exit %v", j.StatusMsg, j.ExitCode)
	}
}

func TestBadJobIDNeverTouchesDisk(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	r.Start(e.spec("../escape", "/bin/true"))
	j := waitJob(t, e.rep, "../escape", fsm.JobFailed)
	if !strings.Contains(j.StatusMsg, "cannot name a directory") {
		t.Fatalf("msg %q", j.StatusMsg)
	}
	if a := waitArchived(t, e.rep, "../escape"); a.ArchiveStatus != fsm.ArchiveNoFiles {
		t.Fatalf("archive %+v", a)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(e.conf.JobsDir), "escape")); err == nil {
		t.Fatal("job directory created outside JobsDir")
	}
}

func TestClaimLostStopsSilently(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	s := e.spec("lost-1", "/bin/true")
	e.rep.add(&fsm.Job{ID: "lost-1", Status: fsm.JobKilled})
	r.Start(s)
	f := <-e.finish
	if f.id != "lost-1" || f.status != "" {
		t.Fatalf("OnFinish %+v", f)
	}
	if _, err := os.Stat(r.JobDir("lost-1")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("job dir made for a lost claim: %v", err)
	}
	if n := r.Active(); n != 0 {
		t.Fatalf("%d tracked", n)
	}
}

func TestLeftBehindChildrenAreEnded(t *testing.T) {
	e := newTestEnv(t)
	e.conf.KillGrace = 200 * time.Millisecond
	r := e.runner()
	// The job waits for the subshell to write its child's pid before it
	// exits: the archive is taken when the job ends.
	r.Start(e.shSpec("bg-1", `sleep 100 & echo $! >bg.pid; trap "" TERM; (sleep 100 & echo $! >bg2.pid; wait) & while [ ! -s bg2.pid ]; do :; done; exit 0`))
	a := waitArchived(t, e.rep, "bg-1")
	if j := e.rep.job("bg-1"); j.Status != fsm.JobSucceeded {
		t.Fatalf("status %s", j.Status)
	}
	for _, f := range []string{"bg.pid", "bg2.pid"} {
		pid := atoi(t, e.readArchived(a, f))
		waitFor(t, 10*time.Second, "left-behind process to end", func() bool { return gone(pid) })
	}
}

func TestCloseLeavesProcessesAndStopsReporting(t *testing.T) {
	e := newTestEnv(t)
	r, err := New(e.conf, e.rep)
	if err != nil {
		t.Fatal(err)
	}
	r.Start(e.spec("close-1", "/bin/sleep", "100"))
	j := waitJob(t, e.rep, "close-1", fsm.JobRunning)
	r.Close()
	calls := e.rep.callCount()
	t.Cleanup(func() { killAll(j.ProcessID) })
	if !groupAlive(j.ProcessID) {
		t.Fatal("job process did not survive Close")
	}
	if err := r.Kill("close-1", ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("kill after close: %v", err)
	}
	r.Start(e.spec("close-2", "/bin/true"))
	if n := e.rep.callCount(); n != calls {
		t.Fatalf("%d reporter calls after Close", n-calls)
	}
	if !groupAlive(j.ProcessID) {
		t.Fatal("job process killed after Close")
	}
}

func TestKillUnknownJob(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	if err := r.Kill("nope", fsm.MsgKilledByUser); !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("got %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"JobsDir":          func(c *Config) { c.JobsDir = "" },
		"Shell":            func(c *Config) { c.Shell = "" },
		"KillGrace":        func(c *Config) { c.KillGrace = 0 },
		"FetchParallelism": func(c *Config) { c.FetchParallelism = 0 },
		"ReportTimeout":    func(c *Config) { c.ReportTimeout = 0 },
		"ReportRetry":      func(c *Config) { c.ReportRetry = -1 },
		"Logger":           func(c *Config) { c.Logger = nil },
		"Now":              func(c *Config) { c.Now = nil },
		"JobEnv":           func(c *Config) { c.JobEnv = map[string]string{"A=B": "x"} },
	} {
		c := DefaultConfig()
		c.JobsDir = "/tmp/jobs"
		if err := c.Validate(); err != nil {
			t.Fatalf("default config: %v", err)
		}
		mutate(c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// TestEndIsRecordedOnceTheLogTakesWritesAgain keeps the job's end from
// being recorded for longer than ReportRetry (as while the cluster has no
// leader): the runner keeps trying, and the job does not stay RUNNING.
func TestEndIsRecordedOnceTheLogTakesWritesAgain(t *testing.T) {
	e := newTestEnv(t)
	e.conf.ReportRetry = 200 * time.Millisecond
	var refusals atomic.Int32
	e.rep.block = func(ctx context.Context, req fsm.JobTransitionRequest) error {
		if req.To.Terminal() && refusals.Add(1) <= 5 {
			return errors.New("no leader")
		}
		return nil
	}
	r := e.runner()
	r.Start(e.spec("unrecorded", "/bin/true"))
	waitJob(t, e.rep, "unrecorded", fsm.JobSucceeded)
	if n := refusals.Load(); n <= 5 {
		t.Fatalf("end recorded after %d refusals", n)
	}
}

// failingStore refuses every archive.
type failingStore struct{ archive.Store }

func (failingStore) Put(context.Context, string, string) (string, error) {
	return "", errors.New("archive j to s3://no-such-bucket/jobs/j/: upload stdout: S3 answered NoSuchBucket")
}

func TestFailedArchiveKeepsTheStatusAndSaysWhy(t *testing.T) {
	e := newTestEnv(t)
	e.conf.Archive = failingStore{}
	e.conf.ReportRetry = 200 * time.Millisecond
	r := e.runner()
	r.Start(e.spec("arch-fail", "/bin/true"))
	a := waitArchived(t, e.rep, "arch-fail")
	if a.ArchiveStatus != fsm.ArchiveFailed || !strings.Contains(a.ArchiveMsg, "s3://no-such-bucket/jobs/j/") {
		t.Fatalf("archive %+v", a)
	}
	if j := e.rep.job("arch-fail"); j.Status != fsm.JobSucceeded {
		t.Fatalf("job %s after a failed archive", j.Status)
	}
}
