package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
)

// Local is a Store that keeps job directories under a root directory on
// this machine.
type Local struct {
	root string
	// rename is os.Rename; tests replace it to force the copy fallback.
	rename func(oldpath, newpath string) error
}

var _ Store = (*Local)(nil)

// NewLocal returns a store that archives into root, creating it if needed.
func NewLocal(root string) (*Local, error) {
	if root == "" {
		return nil, errors.New("local archive: root must be set")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("local archive %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("local archive %s: %w", root, err)
	}
	return &Local{root: abs, rename: os.Rename}, nil
}

// Root is the directory archived jobs are kept under.
func (l *Local) Root() string { return l.root }

// Location is the URI of a local directory.
func Location(dir string) string {
	return (&url.URL{Scheme: "file", Path: dir}).String()
}

// Put moves dir to <root>/<jobID> and writes its manifest. Calling it again
// for the same job (a retry) rewrites the manifest of what is already there.
func (l *Local) Put(ctx context.Context, jobID, dir string) (string, error) {
	if err := ValidateID(jobID); err != nil {
		return "", err
	}
	src, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", jobID, err)
	}
	dst := filepath.Join(l.root, jobID)
	if src != dst {
		_, err := os.Lstat(src)
		switch {
		case err == nil:
			if err := l.move(ctx, jobID, src, dst); err != nil {
				return "", fmt.Errorf("archive %s: %w", jobID, err)
			}
		case errors.Is(err, fs.ErrNotExist):
			// An earlier Put moved the source; only the destination counts.
			if _, err := os.Stat(dst); err != nil {
				return "", fmt.Errorf("archive %s: %w", jobID, err)
			}
		default:
			return "", fmt.Errorf("archive %s: %w", jobID, err)
		}
	}
	if err := writeManifest(dst); err != nil {
		return "", fmt.Errorf("archive %s: %w", jobID, err)
	}
	return Location(dst), nil
}

// Open returns the archived directory at a file:// location.
func (l *Local) Open(ctx context.Context, location string) (fs.FS, error) {
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("open archive %s: %w", location, err)
	}
	if u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") || !filepath.IsAbs(u.Path) {
		return nil, fmt.Errorf("open archive %s: not a local file:// location", location)
	}
	dir := filepath.Clean(u.Path)
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open archive %s: %w", location, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("open archive %s: not a directory", location)
	}
	return os.DirFS(dir), nil
}

// move puts src at dst: a rename when both are on one file system, a copy
// when they are not.
func (l *Local) move(ctx context.Context, jobID, src, dst string) error {
	err := l.place(src, dst)
	if err == nil || !errors.Is(err, syscall.EXDEV) {
		return err
	}
	// Copy next to dst first so a failed copy never leaves a half archive
	// under the job's name.
	tmp, err := os.MkdirTemp(l.root, "."+jobID+".put-")
	if err != nil {
		return err
	}
	if err := copyTree(ctx, src, tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := l.place(tmp, dst); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	// The archive is complete; a source that will not go away is litter,
	// not a failure of the archive.
	os.RemoveAll(src)
	return nil
}

// place renames src to dst, replacing a dst left by an earlier Put of the
// same job: the source being put now is the newer copy.
func (l *Local) place(src, dst string) error {
	err := l.rename(src, dst)
	if err == nil || !(errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)) {
		return err
	}
	// MkdirTemp picks an unused name; the directory itself goes again
	// because os.Rename never replaces an existing directory.
	old, err := os.MkdirTemp(l.root, "."+filepath.Base(dst)+".old-")
	if err != nil {
		return err
	}
	if err := os.Remove(old); err != nil {
		return err
	}
	if err := l.rename(dst, old); err != nil {
		return err
	}
	if err := l.rename(src, dst); err != nil {
		// Put the earlier archive back rather than leave nothing.
		if rerr := l.rename(old, dst); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return os.RemoveAll(old)
}
