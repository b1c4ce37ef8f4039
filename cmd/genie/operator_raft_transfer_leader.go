package main

import (
	"strings"
)

// RaftTransferLeaderCommand is "genie operator raft transfer-leader".
type RaftTransferLeaderCommand struct {
	Meta
}

func (c *RaftTransferLeaderCommand) Synopsis() string {
	return "Hand raft leadership to another server"
}

func (c *RaftTransferLeaderCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie operator raft transfer-leader [options]

  Asks the leader to hand leadership to another voter.

Options:

  -id=<id>   The server to lead. Defaults to the most up-to-date voter.
` + globalOptions)
}

func (c *RaftTransferLeaderCommand) Run(args []string) int {
	var id string
	fs := c.FlagSet("operator raft transfer-leader")
	fs.StringVar(&id, "id", "", "")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie operator raft transfer-leader [options]"); !ok {
		return code
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	if err := client.Operator().RaftTransferLeader(ctx, id); err != nil {
		return c.fail("transferring leadership", err)
	}
	if !c.jsonOutput {
		msg := "Leadership transfer requested"
		if id != "" {
			msg += " to " + id
		}
		c.UI.Output(msg)
	}
	return 0
}
