package main

import (
	"fmt"
	"strings"

	"github.com/genie-cluster/genie/api"
)

// RegistryListCommand is "genie clusters|commands|applications list".
type RegistryListCommand struct {
	Meta
	kind *resourceKind
}

func (c *RegistryListCommand) Synopsis() string { return "List " + c.kind.plural }

func (c *RegistryListCommand) Help() string {
	return strings.TrimSpace(fmt.Sprintf(`
Usage: genie %[1]s list [options]

  Lists %[1]s, most recently updated first.

Options:

  -name=<name>       Only %[1]s with this name (%% matches anything).
  -status=<status>   Only %[1]s with this status; repeatable or
                     comma-separated (%[2]s).
  -tag=<tag>         Only %[1]s with this tag; repeatable, all must match.
  -page=<n>          Page to show, from 0.
  -size=<n>          Entries per page.
`, c.kind.plural, c.kind.statuses) + globalOptions)
}

func (c *RegistryListCommand) Run(args []string) int {
	var (
		q        api.QueryOptions
		statuses listFlag
		tags     stringsFlag
	)
	fs := c.FlagSet(c.kind.plural + " list")
	fs.StringVar(&q.Name, "name", "", "")
	fs.Var(&statuses, "status", "")
	fs.Var(&tags, "tag", "")
	fs.IntVar(&q.Page, "page", 0, "")
	fs.IntVar(&q.Size, "size", 0, "")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie "+c.kind.plural+" list [options]"); !ok {
		return code
	}
	for _, s := range statuses {
		status, err := c.kind.parseStatus(s)
		if err != nil {
			return c.fail("parsing -status", err)
		}
		q.Status = append(q.Status, status)
	}
	q.Tags = tags

	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	items, page, err := c.kind.list(ctx, client, &q)
	if err != nil {
		return c.fail("listing "+c.kind.plural, err)
	}
	if c.jsonOutput {
		dtos := make([]any, len(items))
		for i, r := range items {
			dtos[i] = r.dto
		}
		return c.printJSON(dtos)
	}
	if len(items) == 0 {
		c.UI.Output("No " + c.kind.plural + " found")
		return 0
	}
	header := []string{"ID", "NAME", "USER", "VERSION", "STATUS", "TAGS"}
	if c.kind.extraColumn != "" {
		header = append(header, c.kind.extraColumn)
	}
	rows := make([][]string, len(items))
	for i, r := range items {
		rc := r.common
		rows[i] = []string{rc.ID, orDash(rc.Name), orDash(rc.User), orDash(rc.Version), orDash(rc.Status), userTags(rc.Tags)}
		if c.kind.extraColumn != "" {
			rows[i] = append(rows[i], r.column)
		}
	}
	c.printTable(header, rows)
	c.printPage(page, c.kind.plural)
	return 0
}
