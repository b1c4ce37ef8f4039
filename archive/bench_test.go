package archive_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/internal/s3test"
)

// BenchmarkS3ArchiveUpload archives a job directory of an 8 MB stdout and
// 30 small files to versitygw on loopback, 8 uploads at a time.
func BenchmarkS3ArchiveUpload(b *testing.B) {
	srv := s3test.Start(b)
	srv.Env(b)
	client := srv.Client(b)
	srv.Put(b, client, "archive", "README", []byte("x"))
	store, err := archive.NewS3(client, "s3://archive/jobs")
	if err != nil {
		b.Fatal(err)
	}
	stdout := bytes.Repeat([]byte("a line of job output\n"), 8<<20/21)
	total := int64(len(stdout))
	small := make(map[string][]byte)
	for i := 0; i < 30; i++ {
		body := bytes.Repeat([]byte("k=v\n"), 256)
		small[fmt.Sprintf("genie/config/file-%02d.conf", i)] = body
		total += int64(len(body))
	}
	root := b.TempDir()
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := filepath.Join(root, fmt.Sprint(i))
		os.MkdirAll(filepath.Join(dir, "genie", "config"), 0o755)
		os.WriteFile(filepath.Join(dir, "stdout"), stdout, 0o644)
		for name, body := range small {
			os.WriteFile(filepath.Join(dir, name), body, 0o644)
		}
		b.StartTimer()
		if _, err := store.Put(context.Background(), fmt.Sprint("job-", i), dir); err != nil {
			b.Fatal(err)
		}
	}
}
