package archive

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Prune removes the archived jobs (directories and zip files) that have
// not changed since before cutoff, and returns how many it removed. An
// S3 archive is pruned by the bucket's lifecycle rules instead.
func (l *Local) Prune(cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(l.root)
	if err != nil {
		return 0, fmt.Errorf("prune archive %s: %w", l.root, err)
	}
	removed := 0
	var firstErr error
	for _, e := range entries {
		name := e.Name()
		// Names starting with a dot are a Put at work (see place, writeZip).
		if strings.HasPrefix(name, ".") || ValidateID(strings.TrimSuffix(name, zipSuffix)) != nil {
			continue
		}
		if !e.IsDir() && !(e.Type().IsRegular() && strings.HasSuffix(name, zipSuffix)) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(l.root, name)); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("prune archive: %w", err)
			}
			continue
		}
		removed++
	}
	return removed, firstErr
}
