package runner

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/genie-cluster/genie/fsm"
)

// recordingFetcher stages any URI as a file holding the URI, and remembers
// what it was asked for.
type recordingFetcher struct {
	mu   sync.Mutex
	uris []string
}

func (f *recordingFetcher) Fetch(ctx context.Context, uri, dst string) error {
	f.mu.Lock()
	f.uris = append(f.uris, uri)
	f.mu.Unlock()
	return os.WriteFile(dst, []byte(uri), 0o644)
}

func (f *recordingFetcher) fetched() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.uris...)
}

// TestJobsCannotStageFromTheArchive: the s3 fetcher reads with the node's
// credentials, so a job's request naming anything in the archive but its
// own attachments fails at INIT, before anything is fetched.
func TestJobsCannotStageFromTheArchive(t *testing.T) {
	e := newTestEnv(t)
	e.conf.ArchiveS3 = "s3://genie-bucket/archive/"
	s3 := &recordingFetcher{}
	e.conf.Fetchers["s3"] = s3
	r := e.runner()

	setup := func(s *Spec, uri string) { s.Job.Request.SetupFile = uri }
	config := func(s *Spec, uri string) { s.Job.Request.Configs = []string{uri} }
	for _, c := range []struct {
		id, uri string
		add     func(*Spec, string)
	}{
		{"steal-1", "s3://genie-bucket/archive/other-job/stdout", dependency},
		{"steal-2", "s3://genie-bucket/archive/other-job/run", config},
		{"steal-3", "s3://genie-bucket/archive/other-job/genie/job/setup", setup},
		{"steal-4", "s3://genie-bucket/archive/attachments/other-job/query.sql", dependency},
		{"steal-5", "s3://genie-bucket/archive/attachments/steal-5/../x/stdout", dependency},
		{"steal-6", "s3://genie-bucket/archive/attachments/steal-6/./query.sql", dependency},
		{"steal-7", "s3://genie-bucket/archive/attachments/steal-7-other/file.sh", dependency},
		{"steal-8", "s3://genie-bucket/archive/attachments/steal-8/", dependency},
		{"steal-9", "s3://genie-bucket//archive/other-job/stdout", dependency},
		{"steal-10", "s3://GENIE-BUCKET/archive/other-job/genie/exit-code", dependency},
		{"steal-11", "s3://genie-bucket/archive/%6Fther-job/stdout", dependency},
		{"steal-12", "s3://genie-bucket/other/../archive/other-job/stdout", dependency},
		{"steal-13", "s3://genie-bucket/archive", dependency},
	} {
		s := e.shSpec(c.id, "true")
		c.add(&s, c.uri)
		r.Start(s)
		j := waitJob(t, e.rep, c.id, fsm.JobFailed)
		if want := fsm.MsgSetupFailed + " stage " + c.uri + ": jobs may not read genie's archive"; j.StatusMsg != want {
			t.Errorf("%s:\n got %q\nwant %q", c.uri, j.StatusMsg, want)
		}
	}
	if got := s3.fetched(); len(got) != 0 {
		t.Fatalf("fetched %v", got)
	}

	// Its own attachments, other buckets and prefixes, and what operators
	// registered are staged.
	s := e.shSpec("own-1", "cat query.sql other.sql")
	s.Job.Request.Dependencies = []string{
		"s3://genie-bucket/archive/attachments/own-1/query.sql",
		"s3://genie-bucket/archive-not/other.sql",
	}
	s.Cluster.Dependencies = []string{"s3://genie-bucket/archive/other-job/setup-data"}
	r.Start(s)
	if j := waitJob(t, e.rep, "own-1", fsm.JobSucceeded); j.ExitCode == nil || *j.ExitCode != 0 {
		t.Fatalf("own-1: %+v", j)
	}
	if got := s3.fetched(); len(got) != 3 {
		t.Fatalf("fetched %v", got)
	}
}

func dependency(s *Spec, uri string) { s.Job.Request.Dependencies = []string{uri} }
