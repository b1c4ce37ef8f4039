package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"

	"github.com/hashicorp/go-hclog"
)

// prepareJobsDir creates the jobs root. When jobs run as other accounts it
// belongs to the node with mode 0711: a job user passes through it to its
// own directory (0700, the user's) but can neither list the others nor add
// any. Every directory above it must let job users pass as well.
func prepareJobsDir(dir string, switching bool) error {
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return fmt.Errorf("runner: JobsDir: %w", err)
	}
	if !switching {
		return nil
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("runner: JobsDir: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("runner: JobsDir: %s is not a directory", dir)
	}
	if uid := int(info.Sys().(*syscall.Stat_t).Uid); uid != geteuid() {
		return fmt.Errorf("runner: JobsDir: %s belongs to uid %d, not to the node (uid %d)", dir, uid, geteuid())
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return fmt.Errorf("runner: JobsDir: %w", err)
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		info, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("runner: JobsDir: %w", err)
		}
		if info.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("runner: JobsDir: job users cannot reach %s: %s has mode %04o and needs o+x (0711 lets them pass without listing it)",
				dir, p, info.Mode().Perm())
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// handOver gives a staged job directory to the account the job runs as,
// before anything of the job runs: the job writes its output, exit code
// and temporary files there. It goes bottom up through the root, links
// never followed, and the directory itself comes last: until then nothing
// of that account can enter it, so nothing can swap a directory the walk
// is about to read for a link.
func handOver(dir string, id *identity) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("hand %s to %s: %w", dir, id.name, err)
	}
	defer root.Close()
	return handTree(root, ".", id)
}

// handTree gives directory name to the account, its entries first.
func handTree(root *os.Root, name string, id *identity) error {
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("hand %s to %s: %w", name, id.name, err)
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return fmt.Errorf("hand %s to %s: %w", name, id.name, err)
	}
	for _, e := range entries {
		p := path.Join(name, e.Name())
		if e.IsDir() {
			if err := handTree(root, p, id); err != nil {
				return err
			}
		} else if err := root.Lchown(p, id.uid, id.gid); err != nil {
			return fmt.Errorf("hand %s to %s: %w", p, id.name, err)
		}
	}
	// Through the descriptor: the directory whose entries were handed.
	if err := f.Chown(id.uid, id.gid); err != nil {
		return fmt.Errorf("hand %s to %s: %w", name, id.name, err)
	}
	return nil
}

// reclaim takes a finished job's directory back from the account it ran
// as, before the node reads it for the archive or for clients: the job
// could have left links there to what only the node may read. The
// directory becomes the node's, mode 0700, first, so nothing of the job
// adds entries by path; then every directory is taken before its entries
// are read, so none is added behind the walk. Symbolic links, special
// files and files with another name (the job may hard-link a node file it
// cannot read) are dropped: of a file linked only within the directory,
// the last name found stays. What remains is the node's, writable by
// nobody else. The job's temporary files go too.
func (r *Runner) reclaim(j *job) error {
	root, err := os.OpenRoot(j.dir)
	if err != nil {
		return err
	}
	defer root.Close()
	info, err := root.Stat(".")
	if err != nil {
		return err
	}
	// A node that never switches users owns every directory it made.
	if r.switching || int(info.Sys().(*syscall.Stat_t).Uid) != geteuid() {
		c := reclaimer{root: root, uid: geteuid(), gid: os.Getegid(), log: j.log}
		if err := c.dir("."); err != nil {
			return err
		}
	}
	if err := root.RemoveAll(tmpDir); err != nil {
		return fmt.Errorf("remove %s: %w", tmpDir, err)
	}
	return nil
}

type reclaimer struct {
	root     *os.Root
	uid, gid int
	log      hclog.Logger
}

// dir takes directory name and, depth first, everything in it.
func (c *reclaimer) dir(name string) error {
	f, err := c.root.OpenFile(name, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("reclaim %s: %w", name, err)
	}
	defer f.Close()
	mode := os.FileMode(0o700)
	if name != "." {
		info, err := f.Stat()
		if err != nil {
			return fmt.Errorf("reclaim %s: %w", name, err)
		}
		mode = info.Mode().Perm() &^ 0o022
	}
	if err := f.Chown(c.uid, c.gid); err != nil {
		return fmt.Errorf("reclaim %s: %w", name, err)
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("reclaim %s: %w", name, err)
	}
	entries, err := f.ReadDir(-1)
	if err != nil {
		return fmt.Errorf("reclaim %s: %w", name, err)
	}
	for _, e := range entries {
		p := path.Join(name, e.Name())
		switch t := e.Type(); {
		case t.IsDir():
			err = c.dir(p)
		case t.IsRegular():
			err = c.file(p)
		default:
			err = c.drop(p, "not a regular file")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// file takes a regular file, through a descriptor so that what is checked
// is what is changed.
func (c *reclaimer) file(name string) error {
	f, err := c.root.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("reclaim %s: %w", name, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reclaim %s: %w", name, err)
	}
	st := info.Sys().(*syscall.Stat_t)
	switch {
	case !info.Mode().IsRegular():
		return c.drop(name, "not a regular file")
	case st.Nlink > 1:
		return c.drop(name, "has another name")
	}
	if err := f.Chown(c.uid, c.gid); err != nil {
		return fmt.Errorf("reclaim %s: %w", name, err)
	}
	// Only the permission bits: set-id bits go.
	if err := f.Chmod(info.Mode().Perm() &^ 0o022); err != nil {
		return fmt.Errorf("reclaim %s: %w", name, err)
	}
	return nil
}

func (c *reclaimer) drop(name, why string) error {
	c.log.Warn("leaving a file out of the job directory", "file", name, "reason", why)
	if err := c.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reclaim %s: %w", name, err)
	}
	return nil
}
