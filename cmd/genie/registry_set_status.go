package main

import (
	"fmt"
	"strings"
)

// RegistrySetStatusCommand is "genie clusters|commands|applications set-status".
type RegistrySetStatusCommand struct {
	Meta
	kind *resourceKind
}

func (c *RegistrySetStatusCommand) Synopsis() string { return "Change a " + c.kind.name + "'s status" }

func (c *RegistrySetStatusCommand) Help() string {
	return strings.TrimSpace(fmt.Sprintf(`
Usage: genie %s set-status [options] ID STATUS

  Changes a %s's status to STATUS (%s).
`, c.kind.plural, c.kind.name, c.kind.statuses) + globalOptions)
}

func (c *RegistrySetStatusCommand) Run(args []string) int {
	fs := c.FlagSet(c.kind.plural + " set-status")
	rest, code, ok := c.parse(fs, args, 2, 2, "genie "+c.kind.plural+" set-status [options] ID STATUS")
	if !ok {
		return code
	}
	status, err := c.kind.parseStatus(rest[1])
	if err != nil {
		return c.fail("parsing status", err)
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	if err := c.kind.setStatus(ctx, client, rest[0], status); err != nil {
		return c.fail("changing "+c.kind.name+" status", err)
	}
	if !c.jsonOutput {
		c.UI.Output(fmt.Sprintf("%s %s is now %s", strings.ToUpper(c.kind.name[:1])+c.kind.name[1:], rest[0], status))
	}
	return 0
}
