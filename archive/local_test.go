package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// makeJobDir builds a small job directory like the runner leaves behind.
func makeJobDir(t *testing.T, parent, id string) string {
	t.Helper()
	dir := filepath.Join(parent, id)
	files := map[string]string{
		"stdout":             "hello\n",
		"stderr":             "",
		"run":                "#!/bin/sh\necho hello\n",
		"genie/pid":          "123\n",
		"genie/exit-code":    "0\n",
		"genie/job/config/a": "x=1\n",
		"data.json":          `{"a":1}`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func newStore(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(filepath.Join(t.TempDir(), "archive"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestPutOpenRoundTrip(t *testing.T) {
	l := newStore(t)
	src := makeJobDir(t, t.TempDir(), "job-1")
	loc, err := l.Put(context.Background(), "job-1", src)
	if err != nil {
		t.Fatal(err)
	}
	want := "file://" + filepath.Join(l.Root(), "job-1")
	if loc != want {
		t.Fatalf("location %q, want %q", loc, want)
	}
	if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("source still there: %v", err)
	}
	fsys, err := l.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, "stdout")
	if err != nil || string(b) != "hello\n" {
		t.Fatalf("stdout %q, %v", b, err)
	}
	if _, err := fs.Stat(fsys, ManifestPath); err != nil {
		t.Fatal(err)
	}
}

func TestOpenMissing(t *testing.T) {
	l := newStore(t)
	_, err := l.Open(context.Background(), Location(filepath.Join(l.Root(), "nope")))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
	if _, err := l.Open(context.Background(), "s3://bucket/x"); err == nil {
		t.Fatal("s3 location opened by the local store")
	}
}

func TestManifestContents(t *testing.T) {
	l := newStore(t)
	src := makeJobDir(t, t.TempDir(), "job-m")
	mod := time.UnixMilli(1_700_000_000_123)
	if err := os.Chtimes(filepath.Join(src, "stdout"), mod, mod); err != nil {
		t.Fatal(err)
	}
	loc, err := l.Put(context.Background(), "job-m", src)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := l.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(fsys)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]ManifestEntry{}
	var paths []string
	for _, e := range m.Entries {
		byPath[e.Path] = e
		paths = append(paths, e.Path)
	}
	wantPaths := []string{"data.json", "genie", "genie/exit-code", "genie/job", "genie/job/config",
		"genie/job/config/a", "genie/pid", "run", "stderr", "stdout"}
	if strings.Join(paths, " ") != strings.Join(wantPaths, " ") {
		t.Fatalf("paths %v, want %v", paths, wantPaths)
	}
	if e := byPath["stdout"]; e.Size != 6 || e.Directory || e.MimeType != "text/plain" || e.Modified != mod.UnixMilli() {
		t.Fatalf("stdout entry %+v", e)
	}
	if e := byPath["data.json"]; e.MimeType != "application/json" {
		t.Fatalf("data.json entry %+v", e)
	}
	if e := byPath["genie"]; !e.Directory || e.MimeType != "" {
		t.Fatalf("genie entry %+v", e)
	}
	if m.NumFiles != 7 || m.NumDirectories != 3 || m.TotalSize != int64(6+0+21+4+2+4+7) {
		t.Fatalf("totals %d files %d dirs %d bytes", m.NumFiles, m.NumDirectories, m.TotalSize)
	}
}

func TestRefusesBadIDs(t *testing.T) {
	l := newStore(t)
	src := makeJobDir(t, t.TempDir(), "x")
	for _, id := range []string{"", ".", "..", "a/b", "../x", "a..b", `a\b`, "a\x00b"} {
		if _, err := l.Put(context.Background(), id, src); !errors.Is(err, ErrInvalidID) {
			t.Errorf("id %q: got %v, want ErrInvalidID", id, err)
		}
	}
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("refused put touched the source: %v", err)
	}
}

func TestPutTwiceIsIdempotent(t *testing.T) {
	l := newStore(t)
	parent := t.TempDir()
	src := makeJobDir(t, parent, "job-2")
	loc1, err := l.Put(context.Background(), "job-2", src)
	if err != nil {
		t.Fatal(err)
	}
	// The retry sees the source gone.
	loc2, err := l.Put(context.Background(), "job-2", src)
	if err != nil {
		t.Fatal(err)
	}
	if loc1 != loc2 {
		t.Fatalf("locations differ: %s %s", loc1, loc2)
	}
	// A source that is back (an earlier attempt left the destination)
	// replaces the destination rather than nesting under it.
	src = makeJobDir(t, parent, "job-2")
	if err := os.WriteFile(filepath.Join(src, "stdout"), []byte("second\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Put(context.Background(), "job-2", src); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(l.Root(), "job-2")
	if _, err := os.Stat(filepath.Join(dst, "job-2")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("nested directory: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dst, "stdout"))
	if err != nil || string(b) != "second\n" {
		t.Fatalf("stdout %q, %v", b, err)
	}
	left, err := os.ReadDir(l.Root())
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 {
		t.Fatalf("root holds %d entries, want 1 (no temporaries left)", len(left))
	}
}

func TestPutConcurrentJobs(t *testing.T) {
	l := newStore(t)
	parent := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 0; i < 32; i++ {
		id := fmt.Sprintf("job-%d", i)
		src := makeJobDir(t, parent, id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Put(context.Background(), id, src); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	left, _ := os.ReadDir(l.Root())
	if len(left) != 32 {
		t.Fatalf("%d archived, want 32", len(left))
	}
}
