package runner

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// errNoAccount is a job user the system does not know.
var errNoAccount = errors.New("no such OS account")

// geteuid is the node's effective uid; tests replace it to play a node
// that does not run as root.
var geteuid = os.Geteuid

// CanSwitchUsers reports whether this process may run jobs as other OS
// accounts: it must run as root.
func CanSwitchUsers() bool {
	return geteuid() == 0
}

// identity is an OS account a job runs as.
type identity struct {
	name   string
	uid    int
	gid    int
	groups []int // supplementary, the primary group among them
}

// lookupIdentity reads an account and its groups from the system's user
// database, by name only: a number is no way to pick an account.
func lookupIdentity(name string) (*identity, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if errors.As(err, new(user.UnknownUserError)) {
			return nil, errNoAccount
		}
		return nil, err
	}
	id := &identity{name: u.Username}
	if id.uid, err = strconv.Atoi(u.Uid); err != nil {
		return nil, fmt.Errorf("uid %q: %w", u.Uid, err)
	}
	if id.gid, err = strconv.Atoi(u.Gid); err != nil {
		return nil, fmt.Errorf("gid %q: %w", u.Gid, err)
	}
	gids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	for _, g := range gids {
		n, err := strconv.Atoi(g)
		if err != nil {
			return nil, fmt.Errorf("gid %q: %w", g, err)
		}
		id.groups = append(id.groups, n)
	}
	return id, nil
}

// selfName is the name of the account the node runs as, for the USER of
// jobs that run as the node itself.
func selfName() string {
	if u, err := user.LookupId(strconv.Itoa(os.Geteuid())); err == nil {
		return u.Username
	}
	return strconv.Itoa(os.Geteuid())
}

// checkJobUsers validates the run-as settings when the runner starts, so
// a node that cannot switch users says so instead of running jobs with its
// own rights. It reports whether jobs may run as another account.
func checkJobUsers(c *Config) (bool, error) {
	if c.RunAsJobUser {
		if !CanSwitchUsers() {
			return false, fmt.Errorf("runner: RunAsJobUser needs the node to run as root (it runs as uid %d)", geteuid())
		}
		return true, nil
	}
	if c.JobUser == "" {
		return false, nil
	}
	id, err := lookupIdentity(c.JobUser)
	if err != nil {
		return false, fmt.Errorf("runner: JobUser %q: %w", c.JobUser, err)
	}
	if id.uid == geteuid() {
		return false, nil
	}
	if !CanSwitchUsers() {
		return false, fmt.Errorf("runner: JobUser %q: running jobs as another OS account needs root (the node runs as uid %d)", c.JobUser, geteuid())
	}
	return true, nil
}

// jobIdentity is the account job spec runs as; nil is the node's own.
func (r *Runner) jobIdentity(spec Spec) (*identity, error) {
	name := r.conf.JobUser
	if r.conf.RunAsJobUser {
		name = spec.Job.Request.User
	}
	if name == "" {
		return nil, nil
	}
	id, err := lookupIdentity(name)
	if err != nil {
		return nil, fmt.Errorf("run as user %q: %w", name, err)
	}
	switch {
	case r.conf.RunAsJobUser && id.uid == 0:
		// A job's user is whatever its submitter wrote.
		return nil, fmt.Errorf("run as user %q: jobs never run as root", name)
	case id.uid == geteuid():
		return nil, nil
	}
	return id, nil
}

// withUID is the account a job of JobUser runs as: a uid of its own, the
// account's name and group, no other groups (the account's would be shared
// with every other job).
func (id *identity) withUID(uid int) *identity {
	return &identity{name: id.name, uid: uid, gid: id.gid}
}

// giveUID makes a job that runs as JobUser run with a uid of its own,
// held until its directory is the node's again (releaseUID).
func (r *Runner) giveUID(j *job, id *identity) (*identity, error) {
	if id == nil || r.uids == nil {
		return id, nil
	}
	uid, err := r.uids.take()
	if err != nil {
		return nil, err
	}
	j.uid = uid
	j.log.Debug("job gets its own uid", "uid", uid)
	return id.withUID(uid), nil
}

// adoptUID holds the uid of a job an earlier run of the node started: its
// directory's owner, which its processes run as. Until the directory is
// taken back no other job may get that uid.
func (r *Runner) adoptUID(j *job) {
	if r.uids == nil || j.dir == "" {
		return
	}
	info, err := os.Lstat(j.dir)
	if err != nil {
		return
	}
	if uid := int(info.Sys().(*syscall.Stat_t).Uid); r.uids.hold(uid) {
		j.uid = uid
		j.account.Store(int64(uid))
	}
}

// releaseUID lets the job's uid go, once its directory is the node's or
// gone. Processes the job left running keep it from being handed out (the
// pool skips uids processes have).
func (r *Runner) releaseUID(j *job) {
	if r.uids != nil && j.uid != 0 {
		r.uids.release(j.uid)
		j.uid = 0
	}
}

// credential makes a process start as the account, with its groups.
func (id *identity) credential() *syscall.Credential {
	c := &syscall.Credential{Uid: uint32(id.uid), Gid: uint32(id.gid)}
	for _, g := range id.groups {
		c.Groups = append(c.Groups, uint32(g))
	}
	return c
}
