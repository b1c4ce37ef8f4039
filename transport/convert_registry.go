package transport

import (
	"encoding/json"
	"strings"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// resourceFromDTO validates the fields every registry resource shares.
func resourceFromDTO(v *validator, id, name, user, version, description, setupFile string,
	metadata json.RawMessage, tags, configs, dependencies []string) fsm.Resource {
	v.id("id", id)
	v.required("name", name, maxShort)
	v.required("user", user, maxShort)
	v.required("version", version, maxShort)
	v.optional("description", description, maxDescription)
	r := fsm.Resource{
		ID:           id,
		Name:         strings.TrimSpace(name),
		User:         strings.TrimSpace(user),
		Version:      strings.TrimSpace(version),
		Description:  description,
		Tags:         v.tags("tags", tags),
		Configs:      v.uris("configs", configs),
		Dependencies: v.uris("dependencies", dependencies),
		SetupFile:    strings.TrimSpace(setupFile),
	}
	if r.SetupFile != "" {
		v.uri("setupFile", r.SetupFile)
	}
	if len(metadata) > 0 {
		r.Metadata = append([]byte(nil), metadata...)
	}
	return r
}

func clusterFromDTO(d *api.Cluster) (fsm.Cluster, error) {
	var v validator
	c := fsm.Cluster{Resource: resourceFromDTO(&v, d.ID, d.Name, d.User, d.Version, d.Description, d.SetupFile,
		d.Metadata, d.Tags, d.Configs, d.Dependencies)}
	v.status(string(d.Status), d.Status.Valid(), "UP, OUT_OF_SERVICE or TERMINATED")
	c.Status = fsm.ClusterStatus(d.Status)
	return c, v.error()
}

func clusterToDTO(c *fsm.Cluster, base string) api.Cluster {
	self := base + "/api/v3/clusters/" + c.ID
	return api.Cluster{
		ID: c.ID, Created: api.UnixMilli(c.Created), Updated: api.UnixMilli(c.Updated),
		Version: c.Version, User: c.User, Name: c.Name, Description: c.Description,
		Metadata: c.Metadata, Tags: c.AllTags(), Configs: c.Configs, Dependencies: c.Dependencies,
		SetupFile: c.SetupFile, Status: api.ClusterStatus(c.Status),
		Links: api.Links{
			"self":     {Href: self},
			"commands": {Href: self + "/commands{?status}", Templated: true},
		},
	}
}

func commandFromDTO(d *api.Command) (fsm.Command, error) {
	var v validator
	c := fsm.Command{Resource: resourceFromDTO(&v, d.ID, d.Name, d.User, d.Version, d.Description, d.SetupFile,
		d.Metadata, d.Tags, d.Configs, d.Dependencies)}
	v.status(string(d.Status), d.Status.Valid(), "ACTIVE, DEPRECATED or INACTIVE")
	c.Status = fsm.ResourceStatus(d.Status)
	argv := d.Argv()
	if len(argv) == 0 {
		v.fail("executableAndArguments", "is required: the program to run and its default arguments (or executable)")
	}
	for i, a := range argv {
		if a == "" {
			v.fail(indexed("executableAndArguments", i), "must not be empty")
		}
		v.optional(indexed("executableAndArguments", i), a, maxURI)
	}
	c.Executable = append([]string(nil), argv...)
	if d.Memory != nil {
		if *d.Memory < 1 {
			v.fail("memory", "must be at least 1 MB")
		}
		c.Memory = *d.Memory
	}
	c.ClusterCriteria = criteriaFromDTO(&v, "clusterCriteria", d.ClusterCriteria)
	return c, v.error()
}

func criteriaFromDTO(v *validator, field string, in []api.Criterion) []fsm.Criterion {
	out := make([]fsm.Criterion, 0, len(in))
	for i, c := range in {
		out = append(out, criterionFromDTO(v, indexed(field, i), c))
	}
	return out
}

func criterionFromDTO(v *validator, field string, c api.Criterion) fsm.Criterion {
	out := fsm.Criterion{
		ID:      strings.TrimSpace(c.ID),
		Name:    strings.TrimSpace(c.Name),
		Version: strings.TrimSpace(c.Version),
		Status:  api.NormalizeEnum(c.Status),
	}
	for i, t := range c.Tags {
		if t = strings.TrimSpace(t); t != "" {
			v.optional(indexed(field+".tags", i), t, maxShort)
			out.Tags = append(out.Tags, t)
		}
	}
	if out.Status != "" && !api.ClusterStatus(out.Status).Valid() {
		v.fail(field+".status", "%q is not a cluster status", c.Status)
	}
	if out.Empty() {
		v.fail(field, "a criterion needs an id, name, version, status or at least one tag")
	}
	return out
}

func criteriaToDTO(in []fsm.Criterion) []api.Criterion {
	out := make([]api.Criterion, 0, len(in))
	for _, c := range in {
		out = append(out, api.Criterion{ID: c.ID, Name: c.Name, Version: c.Version, Status: c.Status, Tags: c.Tags})
	}
	return out
}

func commandToDTO(c *fsm.Command, base string) api.Command {
	self := base + "/api/v3/commands/" + c.ID
	d := api.Command{
		ID: c.ID, Created: api.UnixMilli(c.Created), Updated: api.UnixMilli(c.Updated),
		Version: c.Version, User: c.User, Name: c.Name, Description: c.Description,
		Metadata: c.Metadata, Tags: c.AllTags(), Configs: c.Configs, Dependencies: c.Dependencies,
		SetupFile: c.SetupFile, Status: api.CommandStatus(c.Status),
		ExecutableAndArguments: c.Executable, Executable: strings.Join(c.Executable, " "),
		ClusterCriteria: criteriaToDTO(c.ClusterCriteria),
		Links: api.Links{
			"self":         {Href: self},
			"applications": {Href: self + "/applications"},
			"clusters":     {Href: self + "/clusters{?status}", Templated: true},
		},
	}
	if c.Memory > 0 {
		m := c.Memory
		d.Memory = &m
	}
	return d
}

func applicationFromDTO(d *api.Application) (fsm.Application, error) {
	var v validator
	a := fsm.Application{Resource: resourceFromDTO(&v, d.ID, d.Name, d.User, d.Version, d.Description, d.SetupFile,
		d.Metadata, d.Tags, d.Configs, d.Dependencies)}
	v.status(string(d.Status), d.Status.Valid(), "ACTIVE, DEPRECATED or INACTIVE")
	a.Status = fsm.ResourceStatus(d.Status)
	v.optional("type", d.Type, maxShort)
	a.Type = strings.TrimSpace(d.Type)
	return a, v.error()
}

func applicationToDTO(a *fsm.Application, base string) api.Application {
	self := base + "/api/v3/applications/" + a.ID
	return api.Application{
		ID: a.ID, Created: api.UnixMilli(a.Created), Updated: api.UnixMilli(a.Updated),
		Version: a.Version, User: a.User, Name: a.Name, Description: a.Description,
		Metadata: a.Metadata, Tags: a.AllTags(), Configs: a.Configs, Dependencies: a.Dependencies,
		SetupFile: a.SetupFile, Status: api.ApplicationStatus(a.Status), Type: a.Type,
		Links: api.Links{
			"self":     {Href: self},
			"commands": {Href: self + "/commands{?status}", Templated: true},
		},
	}
}
