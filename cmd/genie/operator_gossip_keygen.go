package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/hashicorp/cli"
)

// gossipKeySize selects AES-256.
const gossipKeySize = 32

// GossipKeygenCommand is "genie operator gossip keygen".
type GossipKeygenCommand struct {
	UI cli.Ui
}

func (c *GossipKeygenCommand) Synopsis() string { return "Make a new gossip encryption key" }

func (c *GossipKeygenCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie operator gossip keygen

  Prints a new random gossip encryption key: 32 bytes, base64, for -encrypt
  or "genie operator gossip keyring -install". It needs no node.
`)
}

func (c *GossipKeygenCommand) Run(args []string) int {
	if len(args) > 0 {
		c.UI.Error("Usage: genie operator gossip keygen")
		return 1
	}
	key, err := newGossipKey()
	if err != nil {
		c.UI.Error(fmt.Sprintf("Error making a key: %s", err))
		return 1
	}
	c.UI.Output(key)
	return 0
}

// newGossipKey returns a random base64 key of gossipKeySize bytes.
func newGossipKey() (string, error) {
	key := make([]byte, gossipKeySize)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(key), nil
}
