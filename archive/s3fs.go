package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/genie-cluster/genie/blob"
)

// s3FS is a read-only file system over an archive in S3: the tree comes
// from the manifest, file content from ranged GETs of the objects, so a
// Range request for the tail of a large log reads only that tail.
type s3FS struct {
	client   *s3.Client
	bucket   string
	prefix   string // ends in "/"
	infos    map[string]s3Info
	children map[string][]fs.DirEntry
}

var _ fs.FS = (*s3FS)(nil)

func newS3FS(client *s3.Client, bucket, prefix string, m *Manifest) *s3FS {
	f := &s3FS{client: client, bucket: bucket, prefix: prefix,
		infos: map[string]s3Info{}, children: map[string][]fs.DirEntry{}}
	var newest time.Time
	for _, e := range m.Entries {
		info := s3Info{name: path.Base(e.Path), size: e.Size, dir: e.Directory, mod: time.UnixMilli(e.Modified)}
		if info.mod.After(newest) {
			newest = info.mod
		}
		f.infos[e.Path] = info
		f.children[path.Dir(e.Path)] = append(f.children[path.Dir(e.Path)], fs.FileInfoToDirEntry(info))
	}
	f.infos["."] = s3Info{name: ".", dir: true, mod: newest}
	for _, c := range f.children {
		sort.Slice(c, func(i, j int) bool { return c[i].Name() < c[j].Name() })
	}
	return f
}

func (f *s3FS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	info, ok := f.infos[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if info.dir {
		return &s3Dir{info: info, entries: f.children[name]}, nil
	}
	return &s3File{fs: f, key: f.prefix + name, info: info}, nil
}

// s3Info describes a manifest entry.
type s3Info struct {
	name string
	size int64
	dir  bool
	mod  time.Time
}

func (i s3Info) Name() string       { return i.name }
func (i s3Info) Size() int64        { return i.size }
func (i s3Info) ModTime() time.Time { return i.mod }
func (i s3Info) IsDir() bool        { return i.dir }
func (i s3Info) Sys() interface{}   { return nil }
func (i s3Info) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}

type s3Dir struct {
	info    s3Info
	entries []fs.DirEntry
	read    int
}

func (d *s3Dir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *s3Dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}
func (d *s3Dir) Close() error { return nil }

func (d *s3Dir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.read:]
	if n <= 0 {
		d.read = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.read += len(rest)
	return rest, nil
}

// s3File reads an object from a position: the body is opened at the first
// Read after a Seek, with a Range from there.
type s3File struct {
	fs   *s3FS
	key  string
	info s3Info
	pos  int64
	body io.ReadCloser
}

func (f *s3File) Stat() (fs.FileInfo, error) { return f.info, nil }

func (f *s3File) Read(p []byte) (int, error) {
	if f.pos >= f.info.size {
		return 0, io.EOF
	}
	if f.body == nil {
		out, err := f.fs.client.GetObject(context.Background(), &s3.GetObjectInput{
			Bucket: &f.fs.bucket, Key: &f.key, Range: aws.String(fmt.Sprintf("bytes=%d-", f.pos)),
		})
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: f.info.name, Err: blob.Describe(err)}
		}
		f.body = out.Body
	}
	n, err := f.body.Read(p)
	f.pos += int64(n)
	return n, err
}

func (f *s3File) Seek(offset int64, whence int) (int64, error) {
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = offset
	case io.SeekCurrent:
		pos = f.pos + offset
	case io.SeekEnd:
		pos = f.info.size + offset
	default:
		return 0, errors.New("seek: bad whence")
	}
	if pos < 0 {
		return 0, errors.New("seek: negative position")
	}
	if pos != f.pos && f.body != nil {
		f.body.Close()
		f.body = nil
	}
	f.pos = pos
	return pos, nil
}

func (f *s3File) Close() error {
	if f.body != nil {
		return f.body.Close()
	}
	return nil
}
