package node

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
)

func TestLeftJobDirectoriesGoAfterTheRetention(t *testing.T) {
	n := MakeNode(t, func(cfg *Config) {
		cfg.JobDirRetention = 300 * time.Millisecond
		cfg.jobDirSweepInterval = 50 * time.Millisecond
	})
	c := client(t, n)
	register(t, c)
	kept := shellJob("echo kept here")
	kept.DisableLogArchival = true
	left := submit(t, c, kept)
	running := submit(t, c, shellJob("sleep 300"))
	waitStatus(t, c, left, api.JobStatusSucceeded, 30*time.Second)
	waitStatus(t, c, running, api.JobStatusRunning, 30*time.Second)
	if _, err := os.Stat(n.runner.JobDir(left)); err != nil {
		t.Fatalf("a job without archiving lost its directory at once: %v", err)
	}
	waitFor(t, 30*time.Second, "the left directory to go", func() bool {
		_, err := os.Stat(n.runner.JobDir(left))
		return os.IsNotExist(err)
	})
	if _, err := os.Stat(n.runner.JobDir(running)); err != nil {
		t.Fatalf("a running job's directory went: %v", err)
	}
}

func TestALocalArchiveIsPrunedAfterItsRetention(t *testing.T) {
	n := MakeNode(t, func(cfg *Config) {
		cfg.ArchiveRetention = 300 * time.Millisecond
		cfg.jobDirSweepInterval = 50 * time.Millisecond
	})
	c := client(t, n)
	register(t, c)
	id := submit(t, c, shellJob("echo archived"))
	waitStatus(t, c, id, api.JobStatusSucceeded, 30*time.Second)
	// The job is archived after its end is recorded: an archive not made
	// yet is not one that was pruned.
	waitFor(t, 30*time.Second, "the job to be archived", func() bool { return archivedOn(n, id) })
	archived := filepath.Join(n.localArchive.Root(), id)
	waitFor(t, 30*time.Second, "the job's archive to go", func() bool {
		_, err := os.Stat(archived)
		return os.IsNotExist(err)
	})
	if _, err := c.Jobs().OutputFile(context.Background(), id, "stdout", 0); !api.IsNotFound(err) {
		t.Fatalf("output of a pruned job: %v, want 404", err)
	}
}
