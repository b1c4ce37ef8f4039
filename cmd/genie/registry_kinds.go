package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/genie-cluster/genie/api"
)

var clusterKind = &resourceKind{
	name: "cluster", plural: "clusters",
	defaultStatus: string(api.ClusterStatusUp),
	statuses:      "UP, OUT_OF_SERVICE, TERMINATED",
	parseStatus: func(s string) (string, error) {
		v, err := api.ParseClusterStatus(s)
		return string(v), err
	},
	endpoint: func(c *api.Client) registryEndpoint { return c.Clusters() },
	create: func(ctx context.Context, c *api.Client, o *createOptions) (string, error) {
		status, err := api.ParseClusterStatus(o.status)
		if err != nil {
			return "", err
		}
		return c.Clusters().Create(ctx, &api.Cluster{
			ID: o.id, Name: o.name, User: o.user, Version: o.version, Description: o.description,
			Tags: o.tags, Configs: o.configs, Dependencies: o.dependencies, SetupFile: o.setupFile,
			Status: status,
		})
	},
	list: func(ctx context.Context, c *api.Client, q *api.QueryOptions) ([]resource, *api.PageMetadata, error) {
		items, page, err := c.Clusters().List(ctx, q)
		return mapResources(items, clusterResource), page, err
	},
	get: func(ctx context.Context, c *api.Client, id string) (resource, error) {
		cl, err := c.Clusters().Get(ctx, id)
		if err != nil {
			return resource{}, err
		}
		return clusterResource(*cl), nil
	},
	setStatus: func(ctx context.Context, c *api.Client, id, status string) error {
		cl, err := c.Clusters().Get(ctx, id)
		if err != nil {
			return err
		}
		cl.Status, cl.Links = api.ClusterStatus(status), nil
		return c.Clusters().Update(ctx, id, cl)
	},
}

func clusterResource(c api.Cluster) resource {
	return resource{dto: c, common: commonFields{
		ID: c.ID, Name: c.Name, User: c.User, Version: c.Version, Status: string(c.Status),
		Description: c.Description, SetupFile: c.SetupFile, Tags: c.Tags, Configs: c.Configs,
		Dependencies: c.Dependencies, Created: c.Created, Updated: c.Updated,
	}}
}

var commandKind = &resourceKind{
	name: "command", plural: "commands",
	defaultStatus: string(api.CommandStatusActive),
	statuses:      "ACTIVE, DEPRECATED, INACTIVE",
	parseStatus: func(s string) (string, error) {
		v, err := api.ParseCommandStatus(s)
		return string(v), err
	},
	extraColumn: "EXECUTABLE",
	createFlags: func(fs *flag.FlagSet, o *createOptions) {
		fs.StringVar(&o.executable, "executable", "", "")
		fs.Var(&o.args, "arg", "")
		fs.Var(&o.criteria, "cluster-criterion", "")
		fs.Var(&o.applications, "application", "")
		fs.IntVar(&o.memory, "memory", 0, "")
	},
	createHelp: `
  -executable=<cmd>         The executable and its default arguments, split on
                            spaces ("/usr/bin/hive -f").
  -arg=<arg>                One element of the executable and its arguments,
                            kept as it is; repeat in order. Use instead of
                            -executable.
  -cluster-criterion=<tags> Comma-separated tags a cluster must have; repeat
                            for further criteria, in priority order.
  -application=<id>         An application the command uses; repeat in order.
  -memory=<MB>              Default memory for the command's jobs.`,
	endpoint: func(c *api.Client) registryEndpoint { return c.Commands() },
	create: func(ctx context.Context, c *api.Client, o *createOptions) (string, error) {
		status, err := api.ParseCommandStatus(o.status)
		if err != nil {
			return "", err
		}
		switch {
		case o.executable != "" && len(o.args) > 0:
			return "", fmt.Errorf("give -executable or -arg, not both")
		case o.executable == "" && len(o.args) == 0:
			return "", fmt.Errorf("-executable or -arg is required")
		}
		cmd := &api.Command{
			ID: o.id, Name: o.name, User: o.user, Version: o.version, Description: o.description,
			Tags: o.tags, Configs: o.configs, Dependencies: o.dependencies, SetupFile: o.setupFile,
			Status: status, Executable: o.executable, ExecutableAndArguments: o.args,
		}
		for _, tags := range o.criteria {
			cmd.ClusterCriteria = append(cmd.ClusterCriteria, api.Criterion{Tags: tags})
		}
		if o.memory > 0 {
			cmd.Memory = &o.memory
		}
		id, err := c.Commands().Create(ctx, cmd)
		if err != nil || len(o.applications) == 0 {
			return id, err
		}
		if err := c.Commands().SetApplications(ctx, id, o.applications); err != nil {
			return id, fmt.Errorf("command %s was created, but setting its applications failed: %w", id, err)
		}
		return id, nil
	},
	list: func(ctx context.Context, c *api.Client, q *api.QueryOptions) ([]resource, *api.PageMetadata, error) {
		items, page, err := c.Commands().List(ctx, q)
		return mapResources(items, commandResource), page, err
	},
	get: func(ctx context.Context, c *api.Client, id string) (resource, error) {
		cmd, err := c.Commands().Get(ctx, id)
		if err != nil {
			return resource{}, err
		}
		r := commandResource(*cmd)
		apps, err := c.Commands().Applications(ctx, id)
		if err != nil {
			return resource{}, err
		}
		ids := make([]string, len(apps))
		for i, a := range apps {
			ids[i] = a.ID
		}
		r.details = append(r.details, [2]string{"Applications", orDash(strings.Join(ids, ","))})
		return r, nil
	},
	setStatus: func(ctx context.Context, c *api.Client, id, status string) error {
		cmd, err := c.Commands().Get(ctx, id)
		if err != nil {
			return err
		}
		cmd.Status, cmd.Links = api.CommandStatus(status), nil
		return c.Commands().Update(ctx, id, cmd)
	},
}

func commandResource(c api.Command) resource {
	criteria := make([]string, len(c.ClusterCriteria))
	for i, cr := range c.ClusterCriteria {
		criteria[i] = formatCriterion(cr)
	}
	memory := "-"
	if c.Memory != nil {
		memory = strconv.Itoa(*c.Memory) + " MB"
	}
	return resource{
		dto: c,
		common: commonFields{
			ID: c.ID, Name: c.Name, User: c.User, Version: c.Version, Status: string(c.Status),
			Description: c.Description, SetupFile: c.SetupFile, Tags: c.Tags, Configs: c.Configs,
			Dependencies: c.Dependencies, Created: c.Created, Updated: c.Updated,
		},
		column: orDash(strings.Join(c.Argv(), " ")),
		details: [][2]string{
			{"Executable", orDash(strings.Join(c.Argv(), " "))},
			{"Cluster Criteria", orDash(strings.Join(criteria, " | "))},
			{"Memory", memory},
		},
	}
}

// formatCriterion writes a criterion as its fields and tags, such as
// "name=prod sched:adhoc,type:yarn".
func formatCriterion(c api.Criterion) string {
	var parts []string
	for _, f := range [][2]string{{"id", c.ID}, {"name", c.Name}, {"version", c.Version}, {"status", c.Status}} {
		if f[1] != "" {
			parts = append(parts, f[0]+"="+f[1])
		}
	}
	if len(c.Tags) > 0 {
		parts = append(parts, strings.Join(c.Tags, ","))
	}
	return strings.Join(parts, " ")
}

var applicationKind = &resourceKind{
	name: "application", plural: "applications",
	defaultStatus: string(api.ApplicationStatusActive),
	statuses:      "ACTIVE, DEPRECATED, INACTIVE",
	parseStatus: func(s string) (string, error) {
		v, err := api.ParseApplicationStatus(s)
		return string(v), err
	},
	extraColumn: "TYPE",
	createFlags: func(fs *flag.FlagSet, o *createOptions) {
		fs.StringVar(&o.appType, "type", "", "")
	},
	createHelp: `
  -type=<type>              The application's type, such as "spark".`,
	endpoint: func(c *api.Client) registryEndpoint { return c.Applications() },
	create: func(ctx context.Context, c *api.Client, o *createOptions) (string, error) {
		status, err := api.ParseApplicationStatus(o.status)
		if err != nil {
			return "", err
		}
		return c.Applications().Create(ctx, &api.Application{
			ID: o.id, Name: o.name, User: o.user, Version: o.version, Description: o.description,
			Tags: o.tags, Configs: o.configs, Dependencies: o.dependencies, SetupFile: o.setupFile,
			Status: status, Type: o.appType,
		})
	},
	list: func(ctx context.Context, c *api.Client, q *api.QueryOptions) ([]resource, *api.PageMetadata, error) {
		items, page, err := c.Applications().List(ctx, q)
		return mapResources(items, applicationResource), page, err
	},
	get: func(ctx context.Context, c *api.Client, id string) (resource, error) {
		a, err := c.Applications().Get(ctx, id)
		if err != nil {
			return resource{}, err
		}
		return applicationResource(*a), nil
	},
	setStatus: func(ctx context.Context, c *api.Client, id, status string) error {
		a, err := c.Applications().Get(ctx, id)
		if err != nil {
			return err
		}
		a.Status, a.Links = api.ApplicationStatus(status), nil
		return c.Applications().Update(ctx, id, a)
	},
}

func applicationResource(a api.Application) resource {
	return resource{
		dto: a,
		common: commonFields{
			ID: a.ID, Name: a.Name, User: a.User, Version: a.Version, Status: string(a.Status),
			Description: a.Description, SetupFile: a.SetupFile, Tags: a.Tags, Configs: a.Configs,
			Dependencies: a.Dependencies, Created: a.Created, Updated: a.Updated,
		},
		column:  orDash(a.Type),
		details: [][2]string{{"Type", orDash(a.Type)}},
	}
}

func mapResources[T any](items []T, f func(T) resource) []resource {
	out := make([]resource, len(items))
	for i, it := range items {
		out[i] = f(it)
	}
	return out
}
