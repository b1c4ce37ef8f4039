package main

import (
	"strings"
)

// JobsGetCommand is "genie jobs get".
type JobsGetCommand struct {
	Meta
}

func (c *JobsGetCommand) Synopsis() string { return "Show a job" }

func (c *JobsGetCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie jobs get [options] ID

  Shows a job: its request's names, its status and where it ran.
` + globalOptions)
}

func (c *JobsGetCommand) Run(args []string) int {
	fs := c.FlagSet("jobs get")
	rest, code, ok := c.parse(fs, args, 1, 1, "genie jobs get [options] ID")
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
	if c.jsonOutput {
		return c.printJSON(job)
	}
	c.printFields([][2]string{
		{"ID", job.ID},
		{"Name", job.Name},
		{"User", job.User},
		{"Version", job.Version},
		{"Description", orDash(job.Description)},
		{"Status", string(job.Status)},
		{"Message", orDash(job.StatusMsg)},
		{"Cluster", orDash(job.ClusterName)},
		{"Command", orDash(job.CommandName)},
		{"Command Args", orDash(job.CommandArgs)},
		{"Tags", orDash(strings.Join(job.Tags, ","))},
		{"Grouping", orDash(job.Grouping)},
		{"Grouping Instance", orDash(job.GroupingInstance)},
		{"Created", formatTime(job.Created)},
		{"Started", formatTime(job.Started)},
		{"Finished", formatTime(job.Finished)},
		{"Runtime", formatDuration(job.Runtime)},
		{"Archive Location", orDash(job.ArchiveLocation)},
	})
	return 0
}
