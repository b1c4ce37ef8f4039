package main

import (
	"fmt"
	"strings"
)

// JobsKillCommand is "genie jobs kill".
type JobsKillCommand struct {
	Meta
}

func (c *JobsKillCommand) Synopsis() string { return "Kill a job" }

func (c *JobsKillCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie jobs kill [options] ID

  Asks for a job to be killed. Killing a finished job does nothing. Use
  "genie jobs wait ID" to wait until it has stopped.
` + globalOptions)
}

func (c *JobsKillCommand) Run(args []string) int {
	fs := c.FlagSet("jobs kill")
	rest, code, ok := c.parse(fs, args, 1, 1, "genie jobs kill [options] ID")
	if !ok {
		return code
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	if err := client.Jobs().Kill(ctx, rest[0]); err != nil {
		return c.fail("killing job", err)
	}
	if !c.jsonOutput {
		c.UI.Output(fmt.Sprintf("Kill requested for job %s", rest[0]))
	}
	return 0
}
