package main

import (
	"strings"
)

// JobsWaitCommand is "genie jobs wait".
type JobsWaitCommand struct {
	Meta
}

func (c *JobsWaitCommand) Synopsis() string { return "Wait for a job to finish" }

func (c *JobsWaitCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie jobs wait [options] ID

  Waits for a job to finish, printing each status change, and exits with
  its exit code: 0 when it succeeded, 2 when it was invalid, else its
  process's exit code (1 when there is none).
` + globalOptions)
}

func (c *JobsWaitCommand) Run(args []string) int {
	fs := c.FlagSet("jobs wait")
	rest, code, ok := c.parse(fs, args, 1, 1, "genie jobs wait [options] ID")
	if !ok {
		return code
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	job, err := waitForJob(ctx, client, rest[0], c.printStatusChange)
	if err != nil {
		return c.fail("waiting for job "+rest[0], err)
	}
	return exitCodeOf(ctx, client, job)
}
