package blob_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/genie-cluster/genie/blob"
	"github.com/genie-cluster/genie/internal/s3test"
)

func TestFetchThroughTheCache(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	client := srv.Client(t)
	srv.Put(t, client, "deps", "lib/tool.sh", []byte("echo tool v1\n"))

	cache, err := blob.NewCache(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var hits, misses int
	f := &blob.Fetcher{Client: client, Cache: cache, OnFetch: func(hit bool) {
		mu.Lock()
		defer mu.Unlock()
		if hit {
			hits++
		} else {
			misses++
		}
	}}
	dir := t.TempDir()
	// Eight jobs want it at once: one download.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			dst := filepath.Join(dir, "tool.sh."+string(rune('a'+i)))
			if err := f.Fetch(context.Background(), "s3://deps/lib/tool.sh", dst); err != nil {
				t.Errorf("fetch %d: %v", i, err)
				return
			}
			if b, _ := os.ReadFile(dst); string(b) != "echo tool v1\n" {
				t.Errorf("fetch %d got %q", i, b)
			}
		}(i)
	}
	wg.Wait()
	if misses != 1 || hits != 7 {
		t.Fatalf("%d downloads and %d cache hits, want 1 and 7", misses, hits)
	}
	// A job changing its copy does not change the cache's.
	os.WriteFile(filepath.Join(dir, "tool.sh.a"), []byte("changed"), 0o644)
	dst := filepath.Join(dir, "again")
	if err := f.Fetch(context.Background(), "s3://deps/lib/tool.sh", dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "echo tool v1\n" {
		t.Fatalf("cached copy changed: %q", b)
	}
	// A new version of the object is a new entry.
	srv.Put(t, client, "deps", "lib/tool.sh", []byte("echo tool v2, longer\n"))
	dst = filepath.Join(dir, "v2")
	if err := f.Fetch(context.Background(), "s3://deps/lib/tool.sh", dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "echo tool v2, longer\n" {
		t.Fatalf("after the object changed: %q", b)
	}
	if misses != 2 {
		t.Fatalf("%d downloads, want 2", misses)
	}
}

func TestFetchFailuresNameTheCause(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	client := srv.Client(t)
	srv.Put(t, client, "deps", "a.txt", []byte("a"))
	fetch := func(f *blob.Fetcher, uri string) error {
		return f.Fetch(context.Background(), uri, filepath.Join(t.TempDir(), "out"))
	}
	good := &blob.Fetcher{Client: client}
	for uri, want := range map[string]string{
		"s3://deps/missing.txt": "NotFound",
		"s3://no-such-bucket/a": "NotFound",
		"s3://deps/":            "names no object",
	} {
		if err := fetch(good, uri); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", uri, err, want)
		}
	}

	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	bad, err := blob.NewClient(context.Background(), srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := fetch(&blob.Fetcher{Client: bad}, "s3://deps/a.txt"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("wrong credentials: error %v, want Forbidden", err)
	}

	unreachable, err := blob.NewClient(context.Background(), blob.Config{Endpoint: "http://127.0.0.1:1", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := fetch(&blob.Fetcher{Client: unreachable}, "s3://deps/a.txt"); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("unreachable endpoint: error %v", err)
	}
}
