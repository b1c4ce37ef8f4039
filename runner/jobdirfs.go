package runner

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
)

var (
	errNotServed  = errors.New("not a regular file or directory")
	errOtherName  = errors.New("a regular file with another name")
	errSwappedOut = errors.New("changed while being opened")
	errOtherOwner = errors.New("a file of another owner than the job's")
)

// OpenJobDir opens job id's live directory for the node to read for
// clients. The job may change it meanwhile, so nothing there is trusted:
// names resolve inside it only (os.Root), opens never block (a FIFO would
// hold a reader forever), a link is never opened, and only directories and
// regular files with a single name and of the directory's owner are
// (another name may be a node file the job linked in; the owner is what
// settles it, since a lookup racing a rename can see the old file with the
// link count the rename already dropped). While the runner holds the job,
// files of the account the job runs as are served too: after the job ends,
// the node takes the directory back before its files, one by one. Listings
// show every entry, links with their own metadata. The result implements
// fs.StatFS, fs.ReadDirFS and fs.ReadLinkFS.
func (r *Runner) OpenJobDir(id string) (fs.FS, error) {
	account := int64(-1)
	r.mu.Lock()
	if j := r.jobs[id]; j != nil {
		account = j.account.Load()
	}
	r.mu.Unlock()
	return openJobDir(r.JobDir(id), account)
}

// openJobDir opens dir, whose files must be its owner's or, when account
// is not negative, that uid's.
func openJobDir(dir string, account int64) (fs.FS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	info, err := root.Stat(".")
	if err != nil {
		root.Close()
		return nil, err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		root.Close()
		return nil, errors.New("job directory: no owner")
	}
	return &jobDirFS{root: root, owner: st.Uid, account: account}, nil
}

type jobDirFS struct {
	root *os.Root
	// owner owns the directory, and so every file the job or its set-up
	// made there: the job's uid once it is handed over.
	owner uint32
	// account, when not negative, is the uid the job runs as.
	account int64
}

// Open opens what Lstat saw, checked again through the descriptor: a name
// swapped for a link between the two is refused.
func (d *jobDirFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	checked, err := d.root.Lstat(name)
	if err != nil {
		return nil, err
	}
	if err := d.servable(checked); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f, err := d.root.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	opened, err := f.Stat()
	switch {
	case err != nil:
	case !os.SameFile(checked, opened):
		err = errSwappedOut
	default:
		err = d.servable(opened)
	}
	if err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if opened.IsDir() {
		return &jobDirFile{File: f, fsys: d, name: name}, nil
	}
	return f, nil
}

// servable refuses what is neither a directory nor a regular file with
// one name and the directory's owner.
func (d *jobDirFS) servable(info fs.FileInfo) error {
	switch {
	case info.IsDir():
		return nil
	case !info.Mode().IsRegular():
		return errNotServed
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case !ok || st.Nlink != 1:
		return errOtherName
	case st.Uid != d.owner && int64(st.Uid) != d.account:
		return errOtherOwner
	}
	return nil
}

func (d *jobDirFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	return d.root.Stat(name)
}

func (d *jobDirFS) Lstat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrInvalid}
	}
	return d.root.Lstat(name)
}

func (d *jobDirFS) ReadLink(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return d.root.Readlink(name)
}

func (d *jobDirFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := d.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dir, ok := f.(*jobDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: syscall.ENOTDIR}
	}
	entries, err := dir.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// jobDirFile is an open directory of a job. Its entries' metadata is read
// through the root: os.File's own would look them up by path.
type jobDirFile struct {
	*os.File
	fsys *jobDirFS
	name string
}

func (f *jobDirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	entries, err := f.File.ReadDir(n)
	out := make([]fs.DirEntry, len(entries))
	for i, e := range entries {
		out[i] = jobDirEntry{DirEntry: e, fsys: f.fsys, name: path.Join(f.name, e.Name())}
	}
	return out, err
}

type jobDirEntry struct {
	fs.DirEntry
	fsys *jobDirFS
	name string
}

func (e jobDirEntry) Info() (fs.FileInfo, error) {
	return e.fsys.root.Lstat(e.name)
}
