package main

import (
	"fmt"
	"strings"
)

// RegistryGetCommand is "genie clusters|commands|applications get".
type RegistryGetCommand struct {
	Meta
	kind *resourceKind
}

func (c *RegistryGetCommand) Synopsis() string { return "Show a " + c.kind.name }

func (c *RegistryGetCommand) Help() string {
	return strings.TrimSpace(fmt.Sprintf(`
Usage: genie %s get [options] ID

  Shows a %s.
`, c.kind.plural, c.kind.name) + globalOptions)
}

func (c *RegistryGetCommand) Run(args []string) int {
	fs := c.FlagSet(c.kind.plural + " get")
	rest, code, ok := c.parse(fs, args, 1, 1, "genie "+c.kind.plural+" get [options] ID")
	if !ok {
		return code
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	r, err := c.kind.get(ctx, client, rest[0])
	if err != nil {
		return c.fail("reading "+c.kind.name, err)
	}
	if c.jsonOutput {
		return c.printJSON(r.dto)
	}
	c.printFields(r.summary())
	return 0
}
