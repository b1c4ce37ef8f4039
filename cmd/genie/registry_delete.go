package main

import (
	"fmt"
	"strings"
)

// RegistryDeleteCommand is "genie clusters|commands|applications delete".
type RegistryDeleteCommand struct {
	Meta
	kind *resourceKind
}

func (c *RegistryDeleteCommand) Synopsis() string { return "Delete a " + c.kind.name }

func (c *RegistryDeleteCommand) Help() string {
	return strings.TrimSpace(fmt.Sprintf(`
Usage: genie %s delete [options] ID

  Deletes a %s. The server refuses while anything still uses it.
`, c.kind.plural, c.kind.name) + globalOptions)
}

func (c *RegistryDeleteCommand) Run(args []string) int {
	fs := c.FlagSet(c.kind.plural + " delete")
	rest, code, ok := c.parse(fs, args, 1, 1, "genie "+c.kind.plural+" delete [options] ID")
	if !ok {
		return code
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	if err := c.kind.endpoint(client).Delete(ctx, rest[0]); err != nil {
		return c.fail("deleting "+c.kind.name, err)
	}
	if !c.jsonOutput {
		c.UI.Output(fmt.Sprintf("Deleted %s %s", c.kind.name, rest[0]))
	}
	return 0
}
