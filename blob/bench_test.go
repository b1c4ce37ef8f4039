package blob_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/genie-cluster/genie/blob"
	"github.com/genie-cluster/genie/internal/s3test"
)

// BenchmarkFetch stages a 1 MB s3:// dependency from versitygw on loopback:
// through a warm cache (a HEAD for the ETag, then a local copy) and
// without one (HEAD and GET).
func BenchmarkFetch(b *testing.B) {
	srv := s3test.Start(b)
	srv.Env(b)
	client := srv.Client(b)
	const size = 1 << 20
	srv.Put(b, client, "deps", "lib.jar", bytes.Repeat([]byte("x"), size))
	cache, err := blob.NewCache(b.TempDir(), 64<<20)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name string
		f    *blob.Fetcher
	}{
		{"cache-hit", &blob.Fetcher{Client: client, Cache: cache}},
		{"no-cache", &blob.Fetcher{Client: client}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			dir := b.TempDir()
			// Warm the cache.
			if err := mode.f.Fetch(context.Background(), "s3://deps/lib.jar", filepath.Join(dir, "warm")); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := mode.f.Fetch(context.Background(), "s3://deps/lib.jar", filepath.Join(dir, fmt.Sprint(i))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
