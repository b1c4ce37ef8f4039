package transport

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

func TestDeleteAllRefusesWholeWhileAnyIsInUse(t *testing.T) {
	b, c, _ := testAPI(t)
	ctx := context.Background()
	for _, id := range []string{"a1", "a2"} {
		if _, err := c.Applications().Create(ctx, &api.Application{ID: id, Name: id, User: "ops", Version: "1", Status: api.ApplicationStatusActive}); err != nil {
			t.Fatal(err)
		}
	}
	cmd := &api.Command{ID: "c1", Name: "sh", User: "ops", Version: "1", Status: api.CommandStatusActive, Executable: "/bin/sh", Tags: []string{"type:shell"}}
	if _, err := c.Commands().Create(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	if err := c.Commands().SetApplications(ctx, "c1", []string{"a1"}); err != nil {
		t.Fatal(err)
	}

	err := c.Applications().DeleteAll(ctx)
	if !api.HasStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), "a1 (used by command c1)") {
		t.Fatalf("delete all applications while c1 uses a1: %v", err)
	}
	if apps, _, _ := c.Applications().List(ctx, nil); len(apps) != 2 {
		t.Fatalf("a refused delete-all removed some: %d left", len(apps))
	}

	// With a cluster, an unfinished job holds the cluster and the command.
	if _, err := c.Clusters().Create(ctx, newCluster("k1", "prod", api.ClusterStatusUp, "sched:adhoc")); err != nil {
		t.Fatal(err)
	}
	id, err := c.Jobs().Submit(ctx, &api.JobRequest{Name: "j", User: "u", Version: "1",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}}, CommandCriteria: []string{"type:shell"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, deleteAll := range []func(context.Context) error{c.Clusters().DeleteAll, c.Commands().DeleteAll} {
		if err := deleteAll(ctx); !api.HasStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), "unfinished job "+id) {
			t.Fatalf("delete all while job %s runs: %v", id, err)
		}
	}
	if err := b.KillJob(ctx, id); err != nil {
		t.Fatal(err)
	}
	// Commands before applications: a command holds its applications.
	for _, step := range []struct {
		name      string
		deleteAll func(context.Context) error
	}{
		{"clusters", c.Clusters().DeleteAll}, {"commands", c.Commands().DeleteAll}, {"applications", c.Applications().DeleteAll},
	} {
		if err := step.deleteAll(ctx); err != nil {
			t.Fatalf("delete all %s: %v", step.name, err)
		}
	}
	clusters, _, _ := c.Clusters().List(ctx, nil)
	commands, _, _ := c.Commands().List(ctx, nil)
	apps, _, _ := c.Applications().List(ctx, nil)
	if len(clusters)+len(commands)+len(apps) != 0 {
		t.Fatalf("left after delete-all: %d clusters, %d commands, %d applications", len(clusters), len(commands), len(apps))
	}
	// Deleting all of nothing is done already.
	if err := c.Clusters().DeleteAll(ctx); err != nil {
		t.Fatalf("delete all of no clusters: %v", err)
	}
}

func TestDeleteAllRetryDeletesNothingCreatedSince(t *testing.T) {
	b, c, _ := testAPI(t)
	ctx := context.Background()
	req := &fsm.ClusterRequest{Op: fsm.OpDeleteAll, Cluster: fsm.Cluster{Resource: fsm.Resource{WriteToken: "t1"}}}
	if _, err := b.Apply(ctx, fsm.ClusterRequestType, req); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Clusters().Create(ctx, newCluster("k2", "new", api.ClusterStatusUp)); err != nil {
		t.Fatal(err)
	}
	res, err := b.Apply(ctx, fsm.ClusterRequestType, req)
	if err != nil || !res.Existing {
		t.Fatalf("retried delete-all: %+v, %v", res, err)
	}
	if _, err := c.Clusters().Get(ctx, "k2"); err != nil {
		t.Fatalf("a retried delete-all removed a cluster created since: %v", err)
	}
}

func TestClusterCommandLinksAreNoOps(t *testing.T) {
	_, c, srv := testAPI(t)
	ctx := context.Background()
	if _, err := c.Clusters().Create(ctx, newCluster("k1", "prod", api.ClusterStatusUp)); err != nil {
		t.Fatal(err)
	}
	for _, call := range []struct{ method, path string }{
		{"POST", "/api/v3/clusters/k1/commands"},
		{"PUT", "/api/v3/clusters/k1/commands"},
		{"DELETE", "/api/v3/clusters/k1/commands"},
		{"DELETE", "/api/v3/clusters/k1/commands/c1"},
	} {
		req, _ := http.NewRequest(call.method, srv.URL+call.path, strings.NewReader(`["c1"]`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("%s %s: %d, want 204", call.method, call.path, resp.StatusCode)
		}
	}
	if got, err := c.Clusters().Get(ctx, "k1"); err != nil || got.Name != "prod" {
		t.Fatalf("cluster after the no-ops: %+v, %v", got, err)
	}
}
