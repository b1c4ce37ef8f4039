package runner

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/genie-cluster/genie/fsm"
)

func TestSweepRemovesOnlyOldLeftJobDirs(t *testing.T) {
	e := newTestEnv(t)
	r := e.runner()
	r.Start(e.spec("running", "/bin/sleep", "100"))
	waitJob(t, e.rep, "running", fsm.JobRunning)
	t.Cleanup(func() { r.Kill("running", fsm.MsgKilledByUser) })

	old := time.Now().Add(-4 * 24 * time.Hour)
	mk := func(id string, mtime time.Time) string {
		dir := filepath.Join(e.conf.JobsDir, id)
		if err := os.MkdirAll(filepath.Join(dir, "genie"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "stdout"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(dir, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	stale := mk("stale", old)
	leftRecord := mk(".record-123", old) // a record-only archive's build dir, left by a crash
	hidden := mk(".hidden", old)
	kept := mk("kept-by-the-node", old)
	recent := mk("recent", time.Now().Add(-time.Hour))
	// The running job's directory is old too, as far as its time says.
	if err := os.Chtimes(r.JobDir("running"), old, old); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(e.conf.JobsDir, "link")); err != nil {
		t.Fatal(err)
	}

	removed := r.SweepJobDirs(72*time.Hour, func(id string) bool { return id == "kept-by-the-node" })
	if removed != 2 {
		t.Fatalf("removed %d directories, want 2", removed)
	}
	for _, dir := range []string{stale, leftRecord} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("%s is still there: %v", dir, err)
		}
	}
	for _, dir := range []string{kept, recent, r.JobDir("running"), outside, hidden} {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("%s went: %v", dir, err)
		}
	}
}
