package main

import (
	"fmt"
	"strings"
)

// RegistryTagCommand is "genie clusters|commands|applications tag".
type RegistryTagCommand struct {
	Meta
	kind *resourceKind
}

func (c *RegistryTagCommand) Synopsis() string { return "Add tags to a " + c.kind.name }

func (c *RegistryTagCommand) Help() string {
	return strings.TrimSpace(fmt.Sprintf(`
Usage: genie %s tag [options] ID TAG...

  Adds tags to a %s.
`, c.kind.plural, c.kind.name) + globalOptions)
}

func (c *RegistryTagCommand) Run(args []string) int {
	fs := c.FlagSet(c.kind.plural + " tag")
	rest, code, ok := c.parse(fs, args, 2, -1, "genie "+c.kind.plural+" tag [options] ID TAG...")
	if !ok {
		return code
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	if err := c.kind.endpoint(client).AddTags(ctx, rest[0], rest[1:]); err != nil {
		return c.fail("tagging "+c.kind.name, err)
	}
	return 0
}

// RegistryUntagCommand is "genie clusters|commands|applications untag".
type RegistryUntagCommand struct {
	Meta
	kind *resourceKind
}

func (c *RegistryUntagCommand) Synopsis() string { return "Remove a tag from a " + c.kind.name }

func (c *RegistryUntagCommand) Help() string {
	return strings.TrimSpace(fmt.Sprintf(`
Usage: genie %s untag [options] ID TAG

  Removes a tag from a %s.
`, c.kind.plural, c.kind.name) + globalOptions)
}

func (c *RegistryUntagCommand) Run(args []string) int {
	fs := c.FlagSet(c.kind.plural + " untag")
	rest, code, ok := c.parse(fs, args, 2, 2, "genie "+c.kind.plural+" untag [options] ID TAG")
	if !ok {
		return code
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	if err := c.kind.endpoint(client).RemoveTag(ctx, rest[0], rest[1]); err != nil {
		return c.fail("untagging "+c.kind.name, err)
	}
	return 0
}
