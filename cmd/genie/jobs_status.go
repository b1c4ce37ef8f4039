package main

import (
	"strings"

	"github.com/genie-cluster/genie/api"
)

// JobsStatusCommand is "genie jobs status".
type JobsStatusCommand struct {
	Meta
}

func (c *JobsStatusCommand) Synopsis() string { return "Show a job's status" }

func (c *JobsStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie jobs status [options] ID

  Shows a job's status, status message, the node running it and its exit
  code once it has one.
` + globalOptions)
}

// jobStatus is what "genie jobs status -json" prints.
type jobStatus struct {
	ID        string        `json:"id"`
	Status    api.JobStatus `json:"status"`
	StatusMsg string        `json:"statusMsg"`
	HostName  string        `json:"hostName"`
	ExitCode  *int          `json:"exitCode"`
}

func (c *JobsStatusCommand) Run(args []string) int {
	fs := c.FlagSet("jobs status")
	rest, code, ok := c.parse(fs, args, 1, 1, "genie jobs status [options] ID")
	if !ok {
		return code
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	job, err := client.Jobs().Get(ctx, rest[0])
	if err != nil {
		return c.fail("reading job", err)
	}
	st := jobStatus{ID: job.ID, Status: job.Status, StatusMsg: job.StatusMsg}
	exec, err := client.Jobs().Execution(ctx, job.ID)
	switch {
	case err == nil:
		st.HostName, st.ExitCode = exec.HostName, exec.ExitCode
	case !api.IsNotFound(err):
		return c.fail("reading job execution", err)
	}
	if c.jsonOutput {
		return c.printJSON(st)
	}
	c.printFields([][2]string{
		{"ID", st.ID},
		{"Status", string(st.Status)},
		{"Message", orDash(st.StatusMsg)},
		{"Node", orDash(st.HostName)},
		{"Exit Code", formatInt(st.ExitCode)},
	})
	return 0
}
