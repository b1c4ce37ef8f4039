package archive

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPruneRemovesOnlyOldArchives(t *testing.T) {
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-40 * 24 * time.Hour)
	mk := func(name string, dir bool, mtime time.Time) string {
		p := filepath.Join(l.Root(), name)
		if dir {
			if err := os.MkdirAll(filepath.Join(p, "genie"), 0o755); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p, []byte("zip"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gone := []string{mk("old-job", true, old), mk("old-zipped.zip", false, old)}
	kept := []string{mk("new-job", true, time.Now()), mk("new-zipped.zip", false, time.Now()), mk(".not-a-job", true, old), mk("old.txt", false, old)}
	n, err := l.Prune(time.Now().Add(-30 * 24 * time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want 2", n, err)
	}
	for _, p := range gone {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there", p)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s went: %v", p, err)
		}
	}
}
