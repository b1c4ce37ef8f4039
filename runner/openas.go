package runner

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// readAsKey carries, in a fetch's context, the account whose rights a
// local file is read with.
type readAsKey struct{}

func withReadAs(ctx context.Context, id *identity) context.Context {
	return context.WithValue(ctx, readAsKey{}, id)
}

// openSource opens a local file to stage: with the rights of the account
// the context names, else with the node's own.
func openSource(ctx context.Context, name string) (*os.File, error) {
	if id, ok := ctx.Value(readAsKey{}).(*identity); ok && id != nil {
		return id.open(name)
	}
	return os.Open(name)
}

// open opens name for reading with the account's file-system rights, so a
// job cannot have the node copy in a file only the node may read. It runs
// on a thread of its own whose file-system ids and groups are the
// account's; that thread is never unlocked, so it ends with its goroutine
// and the changed ids never serve other code.
func (id *identity) open(name string) (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := id.assumeOnThread(); err != nil {
			ch <- result{err: err}
			return
		}
		f, err := os.Open(name)
		ch <- result{f, err}
	}()
	res := <-ch
	return res.f, res.err
}

// assumeOnThread gives the calling thread the account's file-system
// identity. These are raw per-thread system calls (syscall.Setgroups would
// change every thread of the process).
func (id *identity) assumeOnThread() error {
	if err := unix.Setgroups(id.groups); err != nil {
		return fmt.Errorf("read as %s: setgroups: %w", id.name, err)
	}
	unix.Setfsgid(id.gid)
	unix.Setfsuid(id.uid)
	// Neither call reports failure; an invalid id makes them return the
	// current one.
	if uid, _ := unix.SetfsuidRetUid(-1); uid != id.uid {
		return fmt.Errorf("read as %s: cannot take uid %d", id.name, id.uid)
	}
	if gid, _ := unix.SetfsgidRetGid(-1); gid != id.gid {
		return fmt.Errorf("read as %s: cannot take gid %d", id.name, id.gid)
	}
	return nil
}
