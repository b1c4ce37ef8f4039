package archive

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
)

// Manifest lists an archived job directory, so stores that cannot list
// cheaply (object stores) can still serve directory listings.
type Manifest struct {
	Entries        []ManifestEntry `json:"entries"`
	NumFiles       int             `json:"numFiles"`
	NumDirectories int             `json:"numDirectories"`
	TotalSize      int64           `json:"totalSizeOfFiles"`
}

// ManifestEntry describes one file or directory of a job directory.
type ManifestEntry struct {
	// Path is relative to the job directory, with forward slashes.
	Path      string `json:"path"`
	Directory bool   `json:"directory"`
	Size      int64  `json:"size"`
	// Modified is the modification time in unix milliseconds.
	Modified int64  `json:"lastModified"`
	MimeType string `json:"mimeType,omitempty"`
}

// BuildManifest walks dir and lists everything under it except the manifest
// itself, in lexical order.
func BuildManifest(dir string) (*Manifest, error) {
	m := &Manifest{Entries: []ManifestEntry{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if rel == ManifestPath {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		m.add(rel, info)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", dir, err)
	}
	return m, nil
}

// add lists one file or directory at rel, a slash-separated path relative
// to the job directory.
func (m *Manifest) add(rel string, info fs.FileInfo) {
	e := ManifestEntry{
		Path:      rel,
		Directory: info.IsDir(),
		Modified:  info.ModTime().UnixMilli(),
	}
	if e.Directory {
		m.NumDirectories++
	} else {
		e.Size = info.Size()
		e.MimeType = MimeType(rel)
		m.NumFiles++
		m.TotalSize += e.Size
	}
	m.Entries = append(m.Entries, e)
}

// MimeType guesses a file's type from its extension. Job output (stdout,
// stderr, logs) mostly has none and is text, hence the default.
func MimeType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "text/plain"
}

// ReadManifest reads the manifest of an archived job directory.
func ReadManifest(fsys fs.FS) (*Manifest, error) {
	b, err := fs.ReadFile(fsys, ManifestPath)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	return &m, nil
}

// writeManifest lists dir into its own manifest file.
func writeManifest(dir string) error {
	// The manifest lives under genie/; create it first so the listing
	// includes the directory that holds the manifest.
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(ManifestPath)), 0o755); err != nil {
		return fmt.Errorf("manifest %s: %w", dir, err)
	}
	m, err := BuildManifest(dir)
	if err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestPath), b, 0o644); err != nil {
		return fmt.Errorf("manifest %s: %w", dir, err)
	}
	return nil
}
