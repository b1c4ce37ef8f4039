package runner

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/fsm"
	"github.com/hashicorp/go-hclog"
)

const benchConcurrency = 16

// BenchmarkRunTrue runs /bin/true jobs through the whole runner (claim,
// stage, run, record, archive) with a fake reporter, 16 at a time: with the
// job and archive directories in the test's temporary directory, and in
// /dev/shm where there is one, which separates the runner's cost from the
// file system's.
func BenchmarkRunTrue(b *testing.B) {
	b.Run("tempdir", func(b *testing.B) { benchRunTrue(b, "") })
	if info, err := os.Stat("/dev/shm"); err == nil && info.IsDir() {
		b.Run("shm", func(b *testing.B) {
			dir, err := os.MkdirTemp("/dev/shm", "genie-bench-")
			if err != nil {
				b.Skip(err)
			}
			b.Cleanup(func() { os.RemoveAll(dir) })
			benchRunTrue(b, dir)
		})
	}
}

func benchRunTrue(b *testing.B, root string) {
	e := newTestEnv(b)
	if root != "" {
		store, err := archive.NewLocal(filepath.Join(root, "archive"))
		if err != nil {
			b.Fatal(err)
		}
		e.store, e.conf.Archive, e.conf.JobsDir = store, store, filepath.Join(root, "jobs")
	}
	e.conf.Logger = hclog.NewNullLogger()
	e.conf.OnFinish = nil
	sem := make(chan struct{}, benchConcurrency)
	e.rep.onArchived = func(string) { <-sem }
	r := e.runner()
	specs := make([]Spec, b.N)
	for i := range specs {
		specs[i] = e.spec(fmt.Sprintf("bench-%d", i), "/bin/true")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range specs {
		sem <- struct{}{}
		r.Start(specs[i])
	}
	for i := 0; i < benchConcurrency; i++ {
		sem <- struct{}{}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	for i := range specs {
		if j := e.rep.job(specs[i].Job.ID); j.Status != fsm.JobSucceeded || j.ArchiveStatus != fsm.ArchiveArchived {
			b.Fatalf("job %s: %s %s %q", j.ID, j.Status, j.ArchiveStatus, j.StatusMsg)
		}
	}
}

// BenchmarkRawSpawn starts `sh -c true` directly, 16 at a time: the floor
// under BenchmarkRunTrue. "fork" makes the shell start /bin/true as a child,
// as the run script does.
func BenchmarkRawSpawn(b *testing.B) {
	b.Run("builtin", func(b *testing.B) { benchSpawn(b, "true") })
	b.Run("fork", func(b *testing.B) { benchSpawn(b, "/bin/true; exit $?") })
}

func benchSpawn(b *testing.B, script string) {
	b.ReportAllocs()
	var wg sync.WaitGroup
	sem := make(chan struct{}, benchConcurrency)
	errs := make(chan error, 1)
	for i := 0; i < b.N; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := exec.Command("/bin/sh", "-c", script).Run(); err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}
