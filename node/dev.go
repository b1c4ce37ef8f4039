package node

import (
	"context"
	"time"

	"github.com/genie-cluster/genie/fsm"
)

// Demo registry for -dev: a cluster standing for this machine and commands
// that run anything, so a first job runs with nothing registered.
func devRegistry(now int64) ([]fsm.Cluster, []fsm.Command) {
	res := func(id, desc string, tags ...string) fsm.Resource {
		return fsm.Resource{ID: id, Name: id, User: "genie", Version: "1.0", Description: desc,
			Tags: tags, Created: now, Updated: now}
	}
	clusters := []fsm.Cluster{{
		Resource: res("local", "This machine: jobs run on the genie node itself.", "sched:adhoc", "type:local"),
		Status:   fsm.ClusterUp,
	}}
	commands := []fsm.Command{
		{
			// sh -c 'eval "$*"' joins the job's arguments into one shell
			// command, as ssh does: both `-- echo hi` and `-- 'echo hi | wc'`
			// work.
			Resource:   res("shell", "Runs the job's arguments as a shell command line.", "type:shell"),
			Status:     fsm.StatusActive,
			Executable: []string{"/bin/sh", "-c", `eval "$*"`, "genie-shell"},
		},
		{
			Resource:   res("exec", "Runs the job's arguments as a program and its arguments, without a shell.", "type:exec"),
			Status:     fsm.StatusActive,
			Executable: []string{"/usr/bin/env"},
		},
	}
	return clusters, commands
}

// seedDev registers the demo resources that do not exist yet.
func (n *Node) seedDev() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clusters, commands := devRegistry(time.Now().UnixMilli())
	state := n.State()
	for _, c := range clusters {
		if state.Cluster(c.ID) != nil {
			continue
		}
		if _, err := n.Apply(ctx, fsm.ClusterRequestType, &fsm.ClusterRequest{Op: fsm.OpCreate, Cluster: c}); err != nil && fsm.CodeOf(err) != fsm.ErrCodeExists {
			n.logger.Error("cannot register demo cluster", "cluster", c.ID, "error", err)
		}
	}
	for _, c := range commands {
		if state.Command(c.ID) != nil {
			continue
		}
		if _, err := n.Apply(ctx, fsm.CommandRequestType, &fsm.CommandRequest{Op: fsm.OpCreate, Command: c}); err != nil && fsm.CodeOf(err) != fsm.ErrCodeExists {
			n.logger.Error("cannot register demo command", "command", c.ID, "error", err)
		}
	}
}
