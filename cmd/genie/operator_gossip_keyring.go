package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/genie-cluster/genie/api"
)

// GossipKeyringCommand is "genie operator gossip keyring".
type GossipKeyringCommand struct {
	Meta
}

func (c *GossipKeyringCommand) Synopsis() string {
	return "List, install, use or remove gossip encryption keys"
}

func (c *GossipKeyringCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie operator gossip keyring [options] (-list | -install KEY | -use KEY | -remove KEY)

  Lists or changes the gossip keyring of every alive node. To rotate the
  key: install the new key everywhere, use it, then remove the old one.
  A change that fails on some node names it; the other nodes keep the
  change, and running it again is harmless.

Options:

  -list           List every key with the nodes that hold it and those
                  that send with it (its primary nodes).
  -install=<key>  Add a key: nodes read gossip sent with it.
  -use=<key>      Make an installed key the one nodes send with.
  -remove=<key>   Remove a key; the primary key cannot be removed.
` + globalOptions)
}

func (c *GossipKeyringCommand) Run(args []string) int {
	var list bool
	var install, use, remove string
	fs := c.FlagSet("operator gossip keyring")
	fs.BoolVar(&list, "list", false, "")
	fs.StringVar(&install, "install", "", "")
	fs.StringVar(&use, "use", "", "")
	fs.StringVar(&remove, "remove", "", "")
	usage := "genie operator gossip keyring [options] (-list | -install KEY | -use KEY | -remove KEY)"
	if _, code, ok := c.parse(fs, args, 0, 0, usage); !ok {
		return code
	}
	var op, key string
	chosen := 0
	if list {
		chosen++
	}
	for _, o := range []struct{ op, key string }{{api.KeyringInstall, install}, {api.KeyringUse, use}, {api.KeyringRemove, remove}} {
		if o.key != "" {
			op, key = o.op, o.key
			chosen++
		}
	}
	if chosen != 1 {
		c.UI.Error("Error: give exactly one of -list, -install, -use or -remove")
		c.UI.Error("Usage: " + usage)
		return 1
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	if list {
		ring, err := client.Operator().Keyring(ctx)
		if err != nil {
			return c.fail("listing gossip keys", err)
		}
		return c.printKeyring(ring)
	}
	res, err := client.Operator().KeyringOp(ctx, op, key)
	if err != nil {
		return c.fail(keyringDoing[op]+" gossip key", err)
	}
	if c.jsonOutput {
		return c.printJSON(res)
	}
	names := make([]string, len(res.Nodes))
	for i, n := range res.Nodes {
		names[i] = n.Node
	}
	c.UI.Output(fmt.Sprintf("%s on %d nodes: %s", keyringDone[op], len(names), strings.Join(names, ", ")))
	return 0
}

var (
	keyringDoing = map[string]string{api.KeyringInstall: "installing", api.KeyringUse: "using", api.KeyringRemove: "removing"}
	keyringDone  = map[string]string{api.KeyringInstall: "Installed the key", api.KeyringUse: "Made the key primary", api.KeyringRemove: "Removed the key"}
)

// printKeyring prints one row per key; a node that did not answer makes
// the run fail after the table, since its keys are unknown.
func (c *GossipKeyringCommand) printKeyring(ring *api.GossipKeyring) int {
	if c.jsonOutput {
		c.printJSON(ring)
	} else {
		rows := make([][]string, 0, len(ring.Keys))
		for _, k := range ring.Keys {
			primary := strings.Join(k.PrimaryOn, ", ")
			if primary == "" {
				primary = "-"
			}
			rows = append(rows, []string{k.Key, strconv.Itoa(k.Nodes) + "/" + strconv.Itoa(ring.NumNodes), primary})
		}
		c.printTable([]string{"KEY", "NODES", "PRIMARY ON"}, rows)
	}
	var failed []string
	for _, n := range ring.Nodes {
		switch {
		case n.Error != "":
			failed = append(failed, n.Node+": "+n.Error)
		case !n.Encrypted && !c.jsonOutput:
			c.UI.Warn(fmt.Sprintf("Node %s does not encrypt gossip (started without -encrypt)", n.Node))
		}
	}
	if len(failed) > 0 {
		return c.fail("listing gossip keys", errors.New(strings.Join(failed, "; ")))
	}
	return 0
}
