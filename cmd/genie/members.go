package main

import (
	"fmt"
	"strconv"
	"strings"
)

// MembersCommand is "genie members".
type MembersCommand struct {
	Meta
}

func (c *MembersCommand) Synopsis() string { return "List the cluster's nodes" }

func (c *MembersCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie members [options]

  Lists the nodes the answering node knows of, with their gossip status,
  raft role, load and capacity, and how many jobs wait in the cluster's
  queue.
` + globalOptions)
}

func (c *MembersCommand) Run(args []string) int {
	fs := c.FlagSet("members")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie members [options]"); !ok {
		return code
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	members, err := client.Agent().Members(ctx)
	if err != nil {
		return c.fail("listing members", err)
	}
	if c.jsonOutput {
		return c.printJSON(members)
	}
	rows := make([][]string, len(members))
	for i, m := range members {
		rows[i] = []string{
			m.Name, orDash(m.Address), orDash(m.Status), orDash(m.RaftRole),
			strconv.Itoa(m.RunningJobs),
			fmt.Sprintf("%d/%d jobs, %d/%d MB", m.RunningJobs, m.MaxJobs, m.UsedMemory, m.MaxMemory),
			strconv.FormatBool(m.Draining), orDash(m.Zone),
		}
	}
	c.printTable([]string{"NAME", "ADDRESS", "STATUS", "ROLE", "RUNNING", "CAPACITY", "DRAINING", "ZONE"}, rows)
	for _, m := range members {
		if m.DiskLow != "" {
			c.UI.Output(fmt.Sprintf("\n%s takes no new jobs: %s", m.Name, m.DiskLow))
		}
	}
	if len(members) > 0 {
		// The queue is the cluster's, so every member reports the same.
		c.UI.Output(fmt.Sprintf("\nQueued: %d jobs waiting for capacity", members[0].QueuedJobs))
	}
	return 0
}
