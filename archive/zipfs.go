package archive

import (
	"archive/zip"
	"errors"
	"io/fs"
	"os"
	"time"
)

// zipFS is a read-only file system over a zip file made by Put. Each Open
// opens the zip anew and the file it returns owns that descriptor, so
// nothing stays open between calls and closing a file frees everything.
type zipFS struct {
	path string
}

var _ fs.FS = zipFS{}

// Open opens name, a slash-separated path in the zip, "." for its root.
func (z zipFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f, err := os.Open(z.path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	zr, info, err := openZip(f)
	if err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	zf, err := zr.Open(name)
	if err != nil {
		f.Close()
		return nil, err
	}
	if d, ok := zf.(fs.ReadDirFile); ok {
		dir := &zipDir{ReadDirFile: d, zip: f}
		if name == "." {
			dir.rootMod = info.ModTime()
		}
		return dir, nil
	}
	return &zipFile{File: zf, zip: f}, nil
}

// openZip reads the directory of the zip file f and returns it with the
// file's own info.
func openZip(f *os.File) (*zip.Reader, fs.FileInfo, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	zr, err := zip.NewReader(f, info.Size())
	// Put writes only paths relative to the job directory; a name this
	// check still refuses (say one with a backslash, legal on Linux) must
	// not hide the whole job's output when GODEBUG=zipinsecurepath=0.
	if errors.Is(err, zip.ErrInsecurePath) {
		err = nil
	}
	return zr, info, err
}

// zipFile is a file in a zip; closing it closes the zip file too.
type zipFile struct {
	fs.File
	zip *os.File
}

func (f *zipFile) Close() error {
	return errors.Join(f.File.Close(), f.zip.Close())
}

// zipDir is a directory in a zip; closing it closes the zip file too.
type zipDir struct {
	fs.ReadDirFile
	zip *os.File
	// rootMod is set for the root, which has no entry of its own to keep a
	// time: it is the zip file's, which Put sets to the job directory's.
	rootMod time.Time
}

func (d *zipDir) Stat() (fs.FileInfo, error) {
	info, err := d.ReadDirFile.Stat()
	if err != nil || d.rootMod.IsZero() {
		return info, err
	}
	return rootInfo{info, d.rootMod}, nil
}

func (d *zipDir) Close() error {
	return errors.Join(d.ReadDirFile.Close(), d.zip.Close())
}

// rootInfo is the root's info with the job directory's time.
type rootInfo struct {
	fs.FileInfo
	mod time.Time
}

func (r rootInfo) ModTime() time.Time { return r.mod }
