package main

import (
	"fmt"
	"strings"
)

// RegistryCreateCommand is "genie clusters|commands|applications create".
type RegistryCreateCommand struct {
	Meta
	kind *resourceKind
}

func (c *RegistryCreateCommand) Synopsis() string { return "Register a " + c.kind.name }

func (c *RegistryCreateCommand) Help() string {
	return strings.TrimSpace(fmt.Sprintf(`
Usage: genie %[1]s create [options]

  Registers a %[2]s and prints its id.

Options:

  -name=<name>              Name (required).
  -user=<user>              Owner. Defaults to $USER, or "genie".
  -version=<version>        Version. Defaults to "1.0".
  -status=<status>          %[4]s. Defaults to %[3]s.
  -description=<text>       Description.
  -id=<id>                  Id; one is generated when absent.
  -tag=<tag>                A tag; repeatable.
  -config=<uri>             A configuration file to stage; repeatable.
  -dependency=<uri>         A dependency file to stage; repeatable.
  -setup-file=<uri>         A script sourced before jobs run.`, c.kind.plural, c.kind.name,
		c.kind.defaultStatus, c.kind.statuses) + c.kind.createHelp + "\n" + globalOptions)
}

func (c *RegistryCreateCommand) Run(args []string) int {
	var o createOptions
	fs := c.FlagSet(c.kind.plural + " create")
	fs.StringVar(&o.name, "name", "", "")
	fs.StringVar(&o.user, "user", defaultUser(), "")
	fs.StringVar(&o.version, "version", "1.0", "")
	fs.StringVar(&o.status, "status", c.kind.defaultStatus, "")
	fs.StringVar(&o.description, "description", "", "")
	fs.StringVar(&o.id, "id", "", "")
	fs.Var(&o.tags, "tag", "")
	fs.Var(&o.configs, "config", "")
	fs.Var(&o.dependencies, "dependency", "")
	fs.StringVar(&o.setupFile, "setup-file", "", "")
	if c.kind.createFlags != nil {
		c.kind.createFlags(fs, &o)
	}
	if _, code, ok := c.parse(fs, args, 0, 0, "genie "+c.kind.plural+" create [options]"); !ok {
		return code
	}
	if o.name == "" {
		c.UI.Error("Error: -name is required")
		return 1
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	id, err := c.kind.create(ctx, client, &o)
	if err != nil {
		return c.fail("creating "+c.kind.name, err)
	}
	if c.jsonOutput {
		return c.printJSON(map[string]string{"id": id})
	}
	c.UI.Output(id)
	return 0
}
