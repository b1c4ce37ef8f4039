package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/genie-cluster/genie/api"
	"github.com/hashicorp/cli"
)

// resourceKind is what the clusters, commands and applications commands
// need to know about their kind of resource; their subcommands are shared.
type resourceKind struct {
	name, plural  string // "cluster", "clusters"
	defaultStatus string
	statuses      string // for help: "UP, OUT_OF_SERVICE, TERMINATED"
	parseStatus   func(string) (string, error)

	// extraColumn heads a kind-specific column of list tables, if any.
	extraColumn string
	// createFlags adds the kind's own create flags; createHelp documents them.
	createFlags func(fs *flag.FlagSet, o *createOptions)
	createHelp  string

	endpoint  func(*api.Client) registryEndpoint
	create    func(context.Context, *api.Client, *createOptions) (string, error)
	list      func(context.Context, *api.Client, *api.QueryOptions) ([]resource, *api.PageMetadata, error)
	get       func(context.Context, *api.Client, string) (resource, error)
	setStatus func(ctx context.Context, c *api.Client, id, status string) error
}

// registryEndpoint is what the API's Clusters, Commands and Applications
// share that the commands use directly.
type registryEndpoint interface {
	Delete(ctx context.Context, id string) error
	AddTags(ctx context.Context, id string, tags []string) error
	RemoveTag(ctx context.Context, id, tag string) error
}

// resource is one cluster, command or application: the API's value for
// -json, and what tables show.
type resource struct {
	dto    any
	common commonFields
	// column is the list table's kind-specific cell; details are extra
	// "Key = value" lines for get.
	column  string
	details [][2]string
}

// commonFields are the fields every kind has.
type commonFields struct {
	ID, Name, User, Version, Status, Description, SetupFile string
	Tags, Configs, Dependencies                             []string
	Created, Updated                                        api.Time
}

// createOptions are the create flags of every kind.
type createOptions struct {
	id, name, user, version, status string
	description, setupFile          string
	tags, configs, dependencies     stringsFlag

	// Commands.
	executable   string
	args         stringsFlag
	criteria     criteriaFlag
	applications stringsFlag
	memory       int

	// Applications.
	appType string
}

// addRegistryCommands adds the subcommands of k to cmds.
func addRegistryCommands(cmds map[string]cli.CommandFactory, k *resourceKind, meta func() Meta) {
	cmds[k.plural] = parent("Manage "+k.plural, registryHelp(k))
	cmds[k.plural+" create"] = func() (cli.Command, error) { return &RegistryCreateCommand{Meta: meta(), kind: k}, nil }
	cmds[k.plural+" list"] = func() (cli.Command, error) { return &RegistryListCommand{Meta: meta(), kind: k}, nil }
	cmds[k.plural+" get"] = func() (cli.Command, error) { return &RegistryGetCommand{Meta: meta(), kind: k}, nil }
	cmds[k.plural+" set-status"] = func() (cli.Command, error) { return &RegistrySetStatusCommand{Meta: meta(), kind: k}, nil }
	cmds[k.plural+" tag"] = func() (cli.Command, error) { return &RegistryTagCommand{Meta: meta(), kind: k}, nil }
	cmds[k.plural+" untag"] = func() (cli.Command, error) { return &RegistryUntagCommand{Meta: meta(), kind: k}, nil }
	cmds[k.plural+" delete"] = func() (cli.Command, error) { return &RegistryDeleteCommand{Meta: meta(), kind: k}, nil }
}

func registryHelp(k *resourceKind) string {
	return fmt.Sprintf(`
Usage: genie %[1]s <subcommand> [options] [args]

  Register, list, change and delete %[1]s.

    $ genie %[1]s list -status %[2]s
    $ genie %[1]s get <id>
`, k.plural, k.defaultStatus)
}

// summary returns the Key = value lines of get for r.
func (r resource) summary() [][2]string {
	c := r.common
	fields := [][2]string{
		{"ID", c.ID},
		{"Name", c.Name},
		{"User", c.User},
		{"Version", c.Version},
		{"Status", c.Status},
		{"Description", orDash(c.Description)},
		{"Tags", userTags(c.Tags)},
		{"Configs", orDash(strings.Join(c.Configs, ","))},
		{"Dependencies", orDash(strings.Join(c.Dependencies, ","))},
		{"Setup File", orDash(c.SetupFile)},
	}
	fields = append(fields, r.details...)
	return append(fields, [][2]string{
		{"Created", formatTime(c.Created)},
		{"Updated", formatTime(c.Updated)},
	}...)
}
