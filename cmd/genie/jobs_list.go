package main

import (
	"fmt"
	"strings"

	"github.com/genie-cluster/genie/api"
)

// JobsListCommand is "genie jobs list".
type JobsListCommand struct {
	Meta
}

func (c *JobsListCommand) Synopsis() string { return "List jobs" }

func (c *JobsListCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie jobs list [options]

  Lists jobs, newest first.

Options:

  -status=<status>   Only jobs with this status; repeatable or comma-separated
                     (ACCEPTED, INIT, RUNNING, SUCCEEDED, FAILED, KILLED, INVALID).
  -user=<user>       Only this user's jobs.
  -name=<name>       Only jobs with this name (% matches anything).
  -tag=<tag>         Only jobs with this tag; repeatable, all must match.
  -cluster=<name>    Only jobs run on this cluster.
  -command=<name>    Only jobs run by this command.
  -page=<n>          Page to show, from 0.
  -size=<n>          Jobs per page. Defaults to the server's (10).
` + globalOptions)
}

func (c *JobsListCommand) Run(args []string) int {
	var (
		q        api.JobQuery
		statuses listFlag
		tags     stringsFlag
	)
	fs := c.FlagSet("jobs list")
	fs.Var(&statuses, "status", "")
	fs.StringVar(&q.User, "user", "", "")
	fs.StringVar(&q.Name, "name", "", "")
	fs.Var(&tags, "tag", "")
	fs.StringVar(&q.ClusterName, "cluster", "", "")
	fs.StringVar(&q.CommandName, "command", "", "")
	fs.IntVar(&q.Page, "page", 0, "")
	fs.IntVar(&q.Size, "size", 0, "")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie jobs list [options]"); !ok {
		return code
	}
	for _, s := range statuses {
		status, err := api.ParseJobStatus(s)
		if err != nil {
			return c.fail("parsing -status", err)
		}
		q.Status = append(q.Status, status)
	}
	q.Tags = tags

	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	jobs, page, err := client.Jobs().List(ctx, &q)
	if err != nil {
		return c.fail("listing jobs", err)
	}
	if c.jsonOutput {
		return c.printJSON(jobs)
	}
	if len(jobs) == 0 {
		c.UI.Output("No jobs found")
		return 0
	}
	rows := make([][]string, len(jobs))
	for i, j := range jobs {
		rows[i] = []string{
			j.ID, orDash(j.Name), orDash(j.User), string(j.Status), orDash(j.ClusterName),
			orDash(j.CommandName), formatTime(j.Started), formatDuration(j.Runtime),
		}
	}
	c.printTable([]string{"ID", "NAME", "USER", "STATUS", "CLUSTER", "COMMAND", "STARTED", "RUNTIME"}, rows)
	c.printPage(page, "jobs")
	return 0
}

// printPage says which page was shown when there are several.
func (m *Meta) printPage(p *api.PageMetadata, what string) {
	if p == nil || p.TotalPages <= 1 {
		return
	}
	m.UI.Output(fmt.Sprintf("\nPage %d of %d (%d %s); see others with -page", p.Number, p.TotalPages, p.TotalElements, what))
}
