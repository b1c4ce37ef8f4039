package main

import (
	"strconv"
	"strings"
)

// RaftListPeersCommand is "genie operator raft list-peers".
type RaftListPeersCommand struct {
	Meta
}

func (c *RaftListPeersCommand) Synopsis() string { return "List the raft peers" }

func (c *RaftListPeersCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie operator raft list-peers [options]

  Lists the servers of the raft configuration, with their state, whether
  they vote, their commit index and how many entries they trail the leader
  by.
` + globalOptions)
}

func (c *RaftListPeersCommand) Run(args []string) int {
	fs := c.FlagSet("operator raft list-peers")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie operator raft list-peers [options]"); !ok {
		return code
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	peers, err := client.Operator().RaftPeers(ctx)
	if err != nil {
		return c.fail("listing raft peers", err)
	}
	if c.jsonOutput {
		return c.printJSON(peers)
	}
	rows := make([][]string, len(peers))
	for i, p := range peers {
		rows[i] = []string{
			orDash(p.Node), p.ID, p.Address, orDash(p.State), strconv.FormatBool(p.Voter),
			strconv.FormatUint(p.CommitIndex, 10), strconv.FormatUint(p.TrailsLeaderBy, 10),
		}
	}
	c.printTable([]string{"NODE", "ID", "ADDRESS", "STATE", "VOTER", "COMMIT INDEX", "TRAILS BY"}, rows)
	return 0
}
