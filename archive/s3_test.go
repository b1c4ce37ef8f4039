package archive_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/internal/s3test"
)

func TestS3ArchiveRoundTrip(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	client := srv.Client(t)
	srv.Put(t, client, "archive", "keep", []byte("x"))
	store, err := archive.NewS3(client, "s3://archive/genie/jobs")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	job := filepath.Join(dir, "job-1")
	files := map[string]string{
		"stdout":                       strings.Repeat("line of output\n", 1000),
		"stderr":                       "",
		"run":                          "#!/bin/sh\necho hi\n",
		"genie/exit-code":              "0\n",
		"genie/cluster/local/config/a": "k=v\n",
	}
	for name, body := range files {
		p := filepath.Join(job, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	loc, err := store.Put(context.Background(), "job-1", job)
	if err != nil {
		t.Fatal(err)
	}
	if loc != "s3://archive/genie/jobs/job-1/" {
		t.Fatalf("location %q", loc)
	}
	if _, err := os.Stat(job); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the job directory is still there: %v", err)
	}
	// A retry after the directory went returns the archive.
	if again, err := store.Put(context.Background(), "job-1", job); err != nil || again != loc {
		t.Fatalf("retried Put: %q, %v", again, err)
	}

	fsys, err := store.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "stdout", "stderr", "run", "genie/exit-code", "genie/cluster/local/config/a", archive.ManifestPath); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		got, err := fs.ReadFile(fsys, name)
		if err != nil || string(got) != body {
			t.Fatalf("%s: %q, %v", name, got, err)
		}
	}
	// A read from an offset fetches from there.
	f, _ := fsys.Open("stdout")
	defer f.Close()
	seeker := f.(io.ReadSeeker)
	if _, err := seeker.Seek(-15, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(seeker)
	if string(tail) != "line of output\n" {
		t.Fatalf("tail %q", tail)
	}

	if _, err := store.Open(context.Background(), "s3://archive/genie/jobs/none/"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing archive: %v", err)
	}
}

func TestS3ArchiveFailureNamesTheLocation(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	store, err := archive.NewS3(srv.Client(t), "s3://no-such-bucket/jobs")
	if err != nil {
		t.Fatal(err)
	}
	job := filepath.Join(t.TempDir(), "j")
	os.MkdirAll(job, 0o755)
	os.WriteFile(filepath.Join(job, "stdout"), []byte("x"), 0o644)
	_, err = store.Put(context.Background(), "j", job)
	if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/jobs/j/") || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Fatalf("error %v", err)
	}
	if _, serr := os.Stat(job); serr != nil {
		t.Fatalf("a failed archive lost the job directory: %v", serr)
	}
}
