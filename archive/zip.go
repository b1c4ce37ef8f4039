package archive

import (
	"archive/zip"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// zipSuffix ends the name of a job archived as one zip file.
const zipSuffix = ".zip"

// writeZipArchive archives the job directory src as the zip file dst. It is
// for a src on another file system: a disk pays for every file it creates,
// so one zip costs far less than a copy of the tree. dst appears complete or
// not at all, and replaces an earlier file of the same name. src is left in
// place.
func writeZipArchive(ctx context.Context, src, dst string) (err error) {
	root, err := os.Stat(src)
	if err != nil {
		return err
	}
	entries, err := zipEntries(ctx, src)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := writeZip(ctx, tmp, src, entries); err != nil {
		return err
	}
	// CreateTemp makes the file private; an archive is as readable as the
	// directories the same-file-system case leaves.
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	// A zip has no entry for its root; the file's own time stands in for
	// the job directory's (see zipFS).
	if err := os.Chtimes(tmp.Name(), root.ModTime(), root.ModTime()); err != nil {
		return err
	}
	// Not fsynced, like the renamed directories of the same-file-system
	// case: one sync per job would cost more than the job (the raft log,
	// which holds every job's status and exit code, is synced in batches).
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// zipEntry is one directory or regular file going into a zip.
type zipEntry struct {
	rel  string // slash-separated, relative to the job directory
	info fs.FileInfo
}

// zipEntries lists what of dir goes into its zip, in the order BuildManifest
// lists it. Symbolic links, pipes, sockets and devices are left out: the
// output server never serves them. The directory holding the manifest is
// added if the job has none.
func zipEntries(ctx context.Context, dir string) ([]zipEntry, error) {
	var entries []zipEntry
	haveManifestDir := false
	manifestDir := path.Dir(ManifestPath)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." || rel == ManifestPath {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if rel == manifestDir {
			if info.Mode().IsRegular() {
				return fmt.Errorf("%s is a file, not a directory for the manifest", rel)
			}
			haveManifestDir = info.IsDir()
		}
		if info.IsDir() || info.Mode().IsRegular() {
			entries = append(entries, zipEntry{rel, info})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !haveManifestDir {
		// WalkDir visits the top level in name order, each name followed by
		// everything under it.
		i := slices.IndexFunc(entries, func(e zipEntry) bool {
			top, _, _ := strings.Cut(e.rel, "/")
			return top > manifestDir
		})
		if i < 0 {
			i = len(entries)
		}
		made := zipEntry{manifestDir, madeDir{name: manifestDir, mod: time.Now()}}
		entries = slices.Insert(entries, i, made)
	}
	return entries, nil
}

// writeZip writes the entries of the job directory src as a zip to w,
// followed by the manifest of what it wrote.
func writeZip(ctx context.Context, w io.Writer, src string, entries []zipEntry) error {
	zw := zip.NewWriter(w)
	// Job output is mostly text, which compresses well even at the fastest
	// level; archiving runs as each job ends and should not lag behind.
	zw.RegisterCompressor(zip.Deflate, newPooledFlateWriter)
	m := &Manifest{Entries: []ManifestEntry{}}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		added, err := addZipEntry(ctx, zw, src, e)
		if err != nil {
			return fmt.Errorf("zip %s: %w", e.rel, err)
		}
		if added != nil {
			m.add(e.rel, added)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("zip %s: %w", ManifestPath, err)
	}
	hdr := &zip.FileHeader{Name: ManifestPath, Method: zip.Deflate, Modified: time.Now()}
	hdr.SetMode(0o644)
	mw, err := zw.CreateHeader(hdr)
	if err != nil {
		return fmt.Errorf("zip %s: %w", ManifestPath, err)
	}
	if _, err := mw.Write(b); err != nil {
		return fmt.Errorf("zip %s: %w", ManifestPath, err)
	}
	return zw.Close()
}

// addZipEntry writes one entry and returns the info it was written with, or
// nil if the entry is no longer a regular file or directory.
func addZipEntry(ctx context.Context, zw *zip.Writer, src string, e zipEntry) (fs.FileInfo, error) {
	if e.info.IsDir() {
		hdr, err := zip.FileInfoHeader(e.info)
		if err != nil {
			return nil, err
		}
		hdr.Name = e.rel + "/"
		if _, err := zw.CreateHeader(hdr); err != nil {
			return nil, err
		}
		return e.info, nil
	}
	// The walk saw a regular file; opening it must not follow a link or
	// block on a pipe put in its place since.
	f, err := os.OpenFile(filepath.Join(src, filepath.FromSlash(e.rel)), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ELOOP) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil
	}
	hdr, err := zip.FileInfoHeader(info)
	if err != nil {
		return nil, err
	}
	hdr.Name = e.rel
	hdr.Method = zip.Deflate
	fw, err := zw.CreateHeader(hdr)
	if err != nil {
		return nil, err
	}
	// Exactly the size stat reported, so the manifest matches the entry.
	if _, err := io.CopyN(fw, ctxReader{ctx, f}, info.Size()); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("shrank while being archived: %w", io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	return info, nil
}

// ctxReader stops a long copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// madeDir describes a directory the archive adds that the job did not have.
type madeDir struct {
	name string
	mod  time.Time
}

func (d madeDir) Name() string       { return d.name }
func (d madeDir) Size() int64        { return 0 }
func (d madeDir) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (d madeDir) ModTime() time.Time { return d.mod }
func (d madeDir) IsDir() bool        { return true }
func (d madeDir) Sys() any           { return nil }

// flateWriters are reused: a new flate writer allocates and clears about a
// megabyte of tables, far more than most job files hold.
var flateWriters sync.Pool

// pooledFlateWriter returns its flate writer to the pool when closed.
type pooledFlateWriter struct {
	*flate.Writer
}

func newPooledFlateWriter(out io.Writer) (io.WriteCloser, error) {
	if fw, ok := flateWriters.Get().(*flate.Writer); ok {
		fw.Reset(out)
		return pooledFlateWriter{fw}, nil
	}
	fw, err := flate.NewWriter(out, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	return pooledFlateWriter{fw}, nil
}

func (w pooledFlateWriter) Close() error {
	err := w.Writer.Close()
	flateWriters.Put(w.Writer)
	return err
}
