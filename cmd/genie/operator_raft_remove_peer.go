package main

import (
	"fmt"
	"strings"
)

// RaftRemovePeerCommand is "genie operator raft remove-peer".
type RaftRemovePeerCommand struct {
	Meta
}

func (c *RaftRemovePeerCommand) Synopsis() string {
	return "Remove a server from the raft configuration"
}

func (c *RaftRemovePeerCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie operator raft remove-peer [options] -id ID

  Removes a server, such as one that failed and will not come back, from
  the raft configuration.

Options:

  -id=<id>   The server's raft id (see "genie operator raft list-peers").
` + globalOptions)
}

func (c *RaftRemovePeerCommand) Run(args []string) int {
	var id string
	fs := c.FlagSet("operator raft remove-peer")
	fs.StringVar(&id, "id", "", "")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie operator raft remove-peer [options] -id ID"); !ok {
		return code
	}
	if id == "" {
		c.UI.Error("Error: -id is required")
		return 1
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	if err := client.Operator().RaftRemovePeer(ctx, id); err != nil {
		return c.fail("removing raft peer", err)
	}
	if !c.jsonOutput {
		c.UI.Output(fmt.Sprintf("Removed peer %s", id))
	}
	return 0
}
