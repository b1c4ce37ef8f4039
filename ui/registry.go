package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/genie-cluster/genie/api"
)

// resource is a cluster, command or application as its pages show it: the
// three share one shape, and what only one kind has goes in Details.
type resource struct {
	// Plural and KindTitle name the kind: "clusters", "Clusters".
	Plural       string
	KindTitle    string
	ID           string
	Name         string
	Version      string
	User         string
	Status       string
	Description  string
	Tags         []string
	Configs      []string
	Dependencies []string
	SetupFile    string
	Metadata     string
	Created      api.Time
	Updated      api.Time
	Details      []detail
	Related      []related
}

// detail is one kind-specific row of a resource's page.
type detail struct {
	Label string
	Value string
}

// related lists the resources linked to one: a cluster's commands, a
// command's clusters and applications, an application's commands.
type related struct {
	Title string
	Items []resourceLink
}

type resourceLink struct {
	Href, Name, ID, Status string
}

// kind is one of the registry's kinds, for its search and detail pages.
type kind struct {
	plural, singular, Title string
	statuses                []string
	hasType                 bool
	// decode reads a search page's list and one resource from the API.
	list func(*api.PageEmbedded) []resource
	get  func(ctx context.Context, c *api.Client, id string, index uint64) (*resource, uint64, error)
}

var kinds []*kind

func init() {
	kinds = []*kind{clusterKind, commandKind, applicationKind}
}

var clusterKind = &kind{
	plural: "clusters", singular: "cluster", Title: "Clusters",
	statuses: []string{"UP", "OUT_OF_SERVICE", "TERMINATED"},
	list: func(e *api.PageEmbedded) (out []resource) {
		for _, c := range e.Clusters {
			out = append(out, clusterResource(&c))
		}
		return out
	},
	get: func(ctx context.Context, c *api.Client, id string, index uint64) (*resource, uint64, error) {
		var cl api.Cluster
		meta, err := c.Read(ctx, "/api/v3/clusters/"+url.PathEscape(id), nil, index, liveWait, &cl)
		if err != nil {
			return nil, 0, err
		}
		r := clusterResource(&cl)
		cmds, err := c.Clusters().Commands(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		r.Related = []related{{Title: "Commands that select this cluster", Items: commandLinks(cmds)}}
		return &r, meta.LastIndex, nil
	},
}

var commandKind = &kind{
	plural: "commands", singular: "command", Title: "Commands",
	statuses: []string{"ACTIVE", "DEPRECATED", "INACTIVE"},
	list: func(e *api.PageEmbedded) (out []resource) {
		for _, c := range e.Commands {
			out = append(out, commandResource(&c))
		}
		return out
	},
	get: func(ctx context.Context, c *api.Client, id string, index uint64) (*resource, uint64, error) {
		var cmd api.Command
		meta, err := c.Read(ctx, "/api/v3/commands/"+url.PathEscape(id), nil, index, liveWait, &cmd)
		if err != nil {
			return nil, 0, err
		}
		r := commandResource(&cmd)
		clusters, err := c.Commands().Clusters(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		apps, err := c.Commands().Applications(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		var cl, ap []resourceLink
		for _, x := range clusters {
			cl = append(cl, resourceLink{Href: "/ui/clusters/" + url.PathEscape(x.ID), Name: x.Name, ID: x.ID, Status: string(x.Status)})
		}
		for _, x := range apps {
			ap = append(ap, resourceLink{Href: "/ui/applications/" + url.PathEscape(x.ID), Name: x.Name, ID: x.ID, Status: string(x.Status)})
		}
		r.Related = []related{{Title: "Clusters its criteria select", Items: cl}, {Title: "Applications", Items: ap}}
		return &r, meta.LastIndex, nil
	},
}

var applicationKind = &kind{
	plural: "applications", singular: "application", Title: "Applications",
	statuses: []string{"ACTIVE", "DEPRECATED", "INACTIVE"}, hasType: true,
	list: func(e *api.PageEmbedded) (out []resource) {
		for _, a := range e.Applications {
			out = append(out, applicationResource(&a))
		}
		return out
	},
	get: func(ctx context.Context, c *api.Client, id string, index uint64) (*resource, uint64, error) {
		var app api.Application
		meta, err := c.Read(ctx, "/api/v3/applications/"+url.PathEscape(id), nil, index, liveWait, &app)
		if err != nil {
			return nil, 0, err
		}
		r := applicationResource(&app)
		cmds, err := c.Applications().Commands(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		r.Related = []related{{Title: "Commands that use it", Items: commandLinks(cmds)}}
		return &r, meta.LastIndex, nil
	},
}

func commandLinks(cmds []api.Command) (out []resourceLink) {
	for _, x := range cmds {
		out = append(out, resourceLink{Href: "/ui/commands/" + url.PathEscape(x.ID), Name: x.Name, ID: x.ID, Status: string(x.Status)})
	}
	return out
}

func clusterResource(c *api.Cluster) resource {
	return resource{Plural: "clusters", KindTitle: "Clusters", ID: c.ID, Name: c.Name, Version: c.Version, User: c.User, Status: string(c.Status),
		Description: c.Description, Tags: c.Tags, Configs: c.Configs, Dependencies: c.Dependencies,
		SetupFile: c.SetupFile, Metadata: rawJSON(c.Metadata), Created: c.Created, Updated: c.Updated}
}

func commandResource(c *api.Command) resource {
	r := resource{Plural: "commands", KindTitle: "Commands", ID: c.ID, Name: c.Name, Version: c.Version, User: c.User, Status: string(c.Status),
		Description: c.Description, Tags: c.Tags, Configs: c.Configs, Dependencies: c.Dependencies,
		SetupFile: c.SetupFile, Metadata: rawJSON(c.Metadata), Created: c.Created, Updated: c.Updated}
	r.Details = append(r.Details, detail{"Executable", strings.Join(c.Argv(), " ")})
	if c.Memory != nil {
		r.Details = append(r.Details, detail{"Memory (MB)", itoa(*c.Memory)})
	}
	for i, crit := range c.ClusterCriteria {
		r.Details = append(r.Details, detail{"Cluster criterion " + itoa(i), criterionText(crit)})
	}
	return r
}

func applicationResource(a *api.Application) resource {
	r := resource{Plural: "applications", KindTitle: "Applications", ID: a.ID, Name: a.Name, Version: a.Version, User: a.User, Status: string(a.Status),
		Description: a.Description, Tags: a.Tags, Configs: a.Configs, Dependencies: a.Dependencies,
		SetupFile: a.SetupFile, Metadata: rawJSON(a.Metadata), Created: a.Created, Updated: a.Updated}
	if a.Type != "" {
		r.Details = append(r.Details, detail{"Type", a.Type})
	}
	return r
}

func criterionText(c api.Criterion) string {
	var parts []string
	for _, f := range []struct{ k, v string }{{"id", c.ID}, {"name", c.Name}, {"version", c.Version}, {"status", c.Status}} {
		if f.v != "" {
			parts = append(parts, f.k+"="+f.v)
		}
	}
	if len(c.Tags) > 0 {
		parts = append(parts, "tags="+strings.Join(c.Tags, ","))
	}
	return strings.Join(parts, " ")
}

func rawJSON(m json.RawMessage) string {
	if len(m) == 0 || string(m) == "null" {
		return ""
	}
	return string(m)
}

// resourcesPage is a kind's search, with Genie's filters in the URL.
func (u *UI) resourcesPage(k *kind) func(http.ResponseWriter, *visit) error {
	return func(w http.ResponseWriter, v *visit) error {
		q := withoutLive(v.r.URL.Query())
		apiQuery := url.Values{}
		for key, vs := range q {
			for _, val := range vs {
				if val = strings.TrimSpace(val); val != "" {
					apiQuery.Add(key, val)
				}
			}
		}
		var page api.Page
		meta, err := v.client.Read(v.r.Context(), "/api/v3/"+k.plural, apiQuery, liveIndex(v.r), liveWait, &page)
		if err != nil {
			return err
		}
		var rows []resource
		if page.Embedded != nil {
			rows = k.list(page.Embedded)
		}
		selected := map[string]bool{}
		for _, s := range q["status"] {
			for _, one := range strings.Split(s, ",") {
				selected[strings.ToUpper(strings.TrimSpace(one))] = true
			}
		}
		u.render(w, v, http.StatusOK, "resources", k.Title, map[string]any{
			"Kind": k, "Rows": rows, "Statuses": k.statuses, "Selected": selected, "HasType": k.hasType,
			"Name": q.Get("name"), "User": q.Get("user"), "Tag": q.Get("tag"), "Type": q.Get("type"), "Size": q.Get("size"),
			"Meta": page.Page, "Index": meta.LastIndex,
			"Prev": pageLink(v.r.URL.Path, q, page.Page.Number-1, page.Page.TotalPages),
			"Next": pageLink(v.r.URL.Path, q, page.Page.Number+1, page.Page.TotalPages),
		})
		return nil
	}
}

// resourcePage is one cluster, command or application and its links.
func (u *UI) resourcePage(k *kind) func(http.ResponseWriter, *visit) error {
	return func(w http.ResponseWriter, v *visit) error {
		r, index, err := k.get(v.r.Context(), v.client, v.r.PathValue("id"), liveIndex(v.r))
		if err != nil {
			return err
		}
		u.render(w, v, http.StatusOK, "resource", strings.ToUpper(k.singular[:1])+k.singular[1:]+" "+r.Name, map[string]any{"R": r, "Index": index})
		return nil
	}
}
