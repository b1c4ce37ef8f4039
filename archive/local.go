package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Local is a Store that keeps job directories under a root directory on
// this machine.
type Local struct {
	root string
	// rename moves a job directory into the root. It is os.Rename; tests
	// replace it to act as if the directory were on another file system.
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

// Put moves dir to <root>/<jobID> and writes its manifest. When dir is on
// another file system it is archived as the single file <root>/<jobID>.zip
// instead (see writeZipArchive) and then removed. Calling Put again for the
// same job once the source is gone (a retry) returns what is already there;
// a source that is back replaces the earlier archive.
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
		var loc string
		switch {
		case err == nil:
			loc, err = l.move(ctx, src, dst)
		case errors.Is(err, fs.ErrNotExist):
			// An earlier Put moved the source; only the destination counts.
			loc, err = existing(dst)
		}
		if err != nil {
			return "", fmt.Errorf("archive %s: %w", jobID, err)
		}
		if loc != "" {
			return loc, nil
		}
	}
	if err := writeManifest(dst); err != nil {
		return "", fmt.Errorf("archive %s: %w", jobID, err)
	}
	return Location(dst), nil
}

// Open returns the archived job at a file:// location (see OpenLocal).
func (l *Local) Open(ctx context.Context, location string) (fs.FS, error) {
	return OpenLocal(location)
}

// OpenLocal returns the archived job at a file:// location: a directory, or
// a zip file Put made of a job directory on another file system.
func OpenLocal(location string) (fs.FS, error) {
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("open archive %s: %w", location, err)
	}
	if u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") || !filepath.IsAbs(u.Path) {
		return nil, fmt.Errorf("open archive %s: not a local file:// location", location)
	}
	p := filepath.Clean(u.Path)
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("open archive %s: %w", location, err)
	}
	switch {
	case info.IsDir():
		// Also the directory of a job whose id ends in ".zip".
		return os.DirFS(p), nil
	case info.Mode().IsRegular() && strings.HasSuffix(p, zipSuffix):
		// Reading the zip's directory once here reports a damaged archive
		// as such, rather than as every file in it failing to open.
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("open archive %s: %w", location, err)
		}
		_, _, err = openZip(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("open archive %s: %w", location, err)
		}
		return zipFS{path: p}, nil
	default:
		return nil, fmt.Errorf("open archive %s: not a directory or zip archive", location)
	}
}

// move puts src at dst by renaming it and returns "": dst still needs its
// manifest. When the two are on different file systems it archives src as
// the zip dst+".zip" instead, removes src and returns the zip's location.
// Either form replaces the other left by an earlier Put of the same job,
// once the new one is in place. Should that removal fail, a retry still has
// the source (zip) or finds both and takes the directory, the newer (rename).
func (l *Local) move(ctx context.Context, src, dst string) (string, error) {
	zipPath := dst + zipSuffix
	err := l.place(src, dst)
	if err == nil {
		// Only a regular file: a directory of that name is another job's.
		return "", removeIf(zipPath, fs.FileMode.IsRegular)
	}
	if !errors.Is(err, syscall.EXDEV) {
		return "", err
	}
	if err := writeZipArchive(ctx, src, zipPath); err != nil {
		return "", err
	}
	if err := removeIf(dst, fs.FileMode.IsDir); err != nil {
		return "", err
	}
	// The archive is complete; a source that will not go away is litter,
	// not a failure of the archive.
	os.RemoveAll(src)
	return Location(zipPath), nil
}

// existing finds what an earlier Put left for dst: the directory itself
// (location "": its manifest is rewritten) or else the zip next to it.
func existing(dst string) (string, error) {
	info, err := os.Stat(dst)
	if err == nil && info.IsDir() {
		return "", nil
	}
	zipPath := dst + zipSuffix
	if zinfo, zerr := os.Stat(zipPath); zerr == nil && zinfo.Mode().IsRegular() {
		return Location(zipPath), nil
	}
	if err == nil {
		return "", fmt.Errorf("%s is not a directory", dst)
	}
	return "", err
}

// removeIf removes path if it exists and is(its mode) holds.
func removeIf(path string, is func(fs.FileMode) bool) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil || !is(info.Mode()) {
		return err
	}
	return os.RemoveAll(path)
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

// Locate finds job jobID's archive: its directory, or the zip Put made of
// it.
func (l *Local) Locate(ctx context.Context, jobID string) (string, error) {
	if err := ValidateID(jobID); err != nil {
		return "", err
	}
	dst := filepath.Join(l.root, jobID)
	if info, err := os.Stat(dst); err == nil && info.IsDir() {
		return Location(dst), nil
	}
	zipPath := dst + zipSuffix
	if info, err := os.Stat(zipPath); err == nil && info.Mode().IsRegular() {
		return Location(zipPath), nil
	}
	return "", fmt.Errorf("no archive of job %s in %s: %w", jobID, l.root, fs.ErrNotExist)
}
