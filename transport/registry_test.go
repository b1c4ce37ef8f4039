package transport

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/api"
)

func newCluster(id, name string, status api.ClusterStatus, tags ...string) *api.Cluster {
	return &api.Cluster{ID: id, Name: name, User: "ops", Version: "1", Tags: tags, Status: status}
}

func TestClusterLifecycle(t *testing.T) {
	_, c, srv := testAPI(t)
	ctx := context.Background()
	id, err := c.Clusters().Create(ctx, newCluster("", "prod", api.ClusterStatusUp, "sched:sla", "genie.id:ignored"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Clusters().Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got.Tags)
	want := []string{"genie.id:" + id, "genie.name:prod", "sched:sla"}
	sort.Strings(want)
	if strings.Join(got.Tags, ",") != strings.Join(want, ",") {
		t.Fatalf("tags %v, want %v (implicit tags derived, client's genie.id: dropped)", got.Tags, want)
	}
	if got.Links["self"].Href != srv.URL+"/api/v3/clusters/"+id {
		t.Fatalf("self link %v", got.Links)
	}
	if got.Created.IsZero() || got.Updated.IsZero() {
		t.Fatal("timestamps not set")
	}

	// Status moves; TERMINATED is final.
	got.Status = api.ClusterStatusOutOfService
	if err := c.Clusters().Update(ctx, id, got); err != nil {
		t.Fatal(err)
	}
	if err := c.Clusters().Patch(ctx, id, []api.PatchOp{{Op: "replace", Path: "/status", Value: "TERMINATED"}}); err != nil {
		t.Fatal(err)
	}
	err = c.Clusters().Patch(ctx, id, []api.PatchOp{{Op: "replace", Path: "/status", Value: "UP"}})
	if !api.HasStatus(err, http.StatusPreconditionFailed) {
		t.Fatalf("leaving TERMINATED: %v", err)
	}

	// Tags, configs and dependencies sub-resources.
	if err := c.Clusters().AddTags(ctx, id, []string{"a", "b", "a"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Clusters().RemoveTag(ctx, id, "sched:sla"); err != nil {
		t.Fatal(err)
	}
	tags, _ := c.Clusters().Tags(ctx, id)
	sort.Strings(tags)
	if strings.Join(tags, ",") != "a,b,genie.id:"+id+",genie.name:prod" {
		t.Fatalf("tags after add/remove: %v", tags)
	}
	if err := c.Clusters().ReplaceConfigs(ctx, id, []string{"s3://bucket/core-site.xml", "/etc/hive-site.xml"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Clusters().AddDependencies(ctx, id, []string{"https://example.com/lib.jar"}); err != nil {
		t.Fatal(err)
	}
	configs, _ := c.Clusters().Configs(ctx, id)
	deps, _ := c.Clusters().Dependencies(ctx, id)
	if len(configs) != 2 || len(deps) != 1 {
		t.Fatalf("configs %v deps %v", configs, deps)
	}
	err = c.Clusters().AddConfigs(ctx, id, []string{"gopher://x/y"})
	if !api.HasStatus(err, http.StatusPreconditionFailed) {
		t.Fatalf("unsupported URI scheme: %v", err)
	}

	// PUT with a different body id is a 400.
	other := *got
	other.ID = "someone-else"
	if err := c.Clusters().Update(ctx, id, &other); !api.HasStatus(err, http.StatusBadRequest) {
		t.Fatalf("mismatched id: %v", err)
	}

	if err := c.Clusters().Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Clusters().Get(ctx, id); !api.IsNotFound(err) {
		t.Fatalf("after delete: %v", err)
	}
	if err := c.Clusters().Delete(ctx, id); !api.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestSearchFiltersAndPages(t *testing.T) {
	_, c, _ := testAPI(t)
	ctx := context.Background()
	for i, name := range []string{"alpha", "beta", "gamma", "delta", "epsilon"} {
		status := api.ClusterStatusUp
		if i%2 == 1 {
			status = api.ClusterStatusOutOfService
		}
		if _, err := c.Clusters().Create(ctx, newCluster("c"+name, name, status, "group:"+string(rune('a'+i%2)))); err != nil {
			t.Fatal(err)
		}
	}
	items, page, err := c.Clusters().List(ctx, &api.QueryOptions{Status: []string{"up"}})
	if err != nil || len(items) != 3 || page.TotalElements != 3 {
		t.Fatalf("status filter: %d items, %+v, %v", len(items), page, err)
	}
	items, _, _ = c.Clusters().List(ctx, &api.QueryOptions{Name: "%ta"})
	if len(items) != 2 {
		t.Fatalf("name pattern %%ta: %d items", len(items))
	}
	items, _, _ = c.Clusters().List(ctx, &api.QueryOptions{Tags: []string{"genie.name:gamma"}})
	if len(items) != 1 || items[0].Name != "gamma" {
		t.Fatalf("implicit name tag: %v", items)
	}
	items, page, _ = c.Clusters().List(ctx, &api.QueryOptions{Page: 2, Size: 2})
	if len(items) != 1 || page.TotalPages != 3 || page.Number != 2 {
		t.Fatalf("paging: %d items, %+v", len(items), page)
	}

	// The raw page carries Genie's links.
	resp, err := http.Get(c.Address() + "/api/v3/clusters?page=1&size=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]json.RawMessage
	body, _ := io.ReadAll(resp.Body)
	json.Unmarshal(body, &raw)
	var links map[string]api.Link
	json.Unmarshal(raw["_links"], &links)
	for _, rel := range []string{"self", "first", "last", "prev", "next"} {
		if links[rel].Href == "" {
			t.Fatalf("missing %s link in %s", rel, raw["_links"])
		}
	}
	if !strings.Contains(string(raw["_embedded"]), "clusterList") {
		t.Fatalf("embedded: %s", raw["_embedded"])
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/hal+json" {
		t.Fatalf("content type %s", ct)
	}
}

func TestCommandApplicationsAndCriteria(t *testing.T) {
	_, c, _ := testAPI(t)
	ctx := context.Background()
	for _, app := range []string{"hadoop", "spark"} {
		if _, err := c.Applications().Create(ctx, &api.Application{ID: app, Name: app, User: "ops", Version: "1",
			Status: api.ApplicationStatusActive, Type: app}); err != nil {
			t.Fatal(err)
		}
	}
	c.Clusters().Create(ctx, newCluster("yarn-1", "yarn", api.ClusterStatusUp, "type:yarn"))
	c.Clusters().Create(ctx, newCluster("yarn-2", "yarn-old", api.ClusterStatusOutOfService, "type:yarn"))
	id, err := c.Commands().Create(ctx, &api.Command{Name: "spark-submit", User: "ops", Version: "3",
		Status: api.CommandStatusActive, Executable: "/opt/spark/bin/spark-submit --master yarn"})
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := c.Commands().Get(ctx, id)
	if len(cmd.ExecutableAndArguments) != 3 || cmd.Executable != "/opt/spark/bin/spark-submit --master yarn" {
		t.Fatalf("executable forms: %+v", cmd)
	}

	if err := c.Commands().SetApplications(ctx, id, []string{"spark", "hadoop"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Commands().AddApplications(ctx, id, []string{"spark"}); !api.HasStatus(err, http.StatusBadRequest) {
		t.Fatalf("duplicate application: %v", err)
	}
	if err := c.Commands().AddApplications(ctx, id, []string{"nope"}); !api.IsNotFound(err) {
		t.Fatalf("unknown application: %v", err)
	}
	apps, _ := c.Commands().Applications(ctx, id)
	if len(apps) != 2 || apps[0].ID != "spark" || apps[1].ID != "hadoop" {
		t.Fatalf("ordered applications: %v", apps)
	}
	// A full update keeps the applications (the v3 DTO does not carry them).
	if err := c.Commands().Update(ctx, id, cmd); err != nil {
		t.Fatal(err)
	}
	if apps, _ := c.Commands().Applications(ctx, id); len(apps) != 2 {
		t.Fatalf("applications lost by PUT: %v", apps)
	}
	// An application in use cannot be deleted.
	if err := c.Applications().Delete(ctx, "spark"); !api.HasStatus(err, http.StatusConflict) {
		t.Fatalf("delete of used application: %v", err)
	}
	users, _ := c.Applications().Commands(ctx, "spark")
	if len(users) != 1 || users[0].ID != id {
		t.Fatalf("commands of spark: %v", users)
	}

	if err := c.Commands().AddClusterCriterion(ctx, id, api.Criterion{Tags: []string{"type:yarn"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Commands().InsertClusterCriterion(ctx, id, 0, api.Criterion{Name: "yarn"}); err != nil {
		t.Fatal(err)
	}
	crits, _ := c.Commands().ClusterCriteria(ctx, id)
	if len(crits) != 2 || crits[0].Name != "yarn" || crits[1].Tags[0] != "type:yarn" {
		t.Fatalf("criteria order: %+v", crits)
	}
	resolved, err := c.Commands().ResolvedClusters(ctx, id, true)
	if err != nil || len(resolved) != 2 || len(resolved[1].Resources) != 1 || resolved[1].Resources[0].ID != "yarn-1" {
		t.Fatalf("resolved clusters (UP only): %+v, %v", resolved, err)
	}
	clusters, _ := c.Commands().Clusters(ctx, id)
	if len(clusters) != 2 {
		t.Fatalf("clusters of command (any status): %v", clusters)
	}
	if err := c.Commands().RemoveClusterCriterion(ctx, id, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Commands().RemoveClusterCriterion(ctx, id, 5); !api.IsNotFound(err) {
		t.Fatalf("remove missing priority: %v", err)
	}
	if err := c.Commands().AddClusterCriterion(ctx, id, api.Criterion{}); !api.HasStatus(err, http.StatusPreconditionFailed) {
		t.Fatalf("empty criterion: %v", err)
	}
}

func TestJobEndpointsOverFakeBackend(t *testing.T) {
	_, c, srv := testAPI(t)
	ctx := context.Background()
	c.Clusters().Create(ctx, newCluster("local", "local", api.ClusterStatusUp, "sched:adhoc"))
	c.Commands().Create(ctx, &api.Command{ID: "sh", Name: "sh", User: "ops", Version: "1", Status: api.CommandStatusActive,
		Tags: []string{"type:shell"}, ExecutableAndArguments: []string{"/bin/sh", "-c"}})
	req := &api.JobRequest{ID: "j1", Name: "n", User: "u", Tags: []string{"nightly"},
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
		CommandCriteria:  []string{"type:shell"}, CommandArgs: "echo hi | wc -c"}
	id, err := c.Jobs().Submit(ctx, req)
	if err != nil || id != "j1" {
		t.Fatalf("submit: %s, %v", id, err)
	}
	job, err := c.Jobs().Get(ctx, id)
	if err != nil || job.Status != api.JobStatusAccepted || job.CommandArgs != "echo hi | wc -c" || job.ClusterName != "local" {
		t.Fatalf("job %+v, %v", job, err)
	}
	for _, rel := range []string{"self", "output", "request", "execution", "metadata", "status", "cluster", "command", "applications"} {
		if job.Links[rel].Href == "" {
			t.Fatalf("job link %s missing: %v", rel, job.Links)
		}
	}
	back, err := c.Jobs().Request(ctx, id)
	if err != nil || back.CommandArgs != req.CommandArgs || back.ID != "j1" {
		t.Fatalf("request: %+v, %v", back, err)
	}
	meta, _ := c.Jobs().Metadata(ctx, id)
	if meta.ClientHost != "127.0.0.1" || meta.UserAgent == "" {
		t.Fatalf("metadata %+v", meta)
	}
	items, _, err := c.Jobs().List(ctx, &api.JobQuery{Tags: []string{"nightly"}, Status: []api.JobStatus{api.JobStatusAccepted}})
	if err != nil || len(items) != 1 {
		t.Fatalf("search: %v, %v", items, err)
	}
	if err := c.Jobs().Kill(ctx, id); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.Jobs().Status(ctx, id); st != api.JobStatusKilled {
		t.Fatalf("status after kill %s", st)
	}
	// The running job's cluster and command are reachable from it.
	cl, err := c.Jobs().Cluster(ctx, id)
	if err != nil || cl.ID != "local" {
		t.Fatalf("job cluster %v, %v", cl, err)
	}
	resp, _ := http.Post(srv.URL+"/api/v3/jobs", "text/plain", strings.NewReader("echo"))
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: %d", resp.StatusCode)
	}
	resp.Body.Close()
}
