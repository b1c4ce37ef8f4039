package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/api"
)

func TestClustersCreateSendsEveryFlag(t *testing.T) {
	f := newFakeGenie(t)
	t.Setenv("USER", "ops")
	r := run(t, f, "clusters", "create", "-name", "prod", "-version", "2.7", "-status", "out_of_service",
		"-tag", "sched:adhoc", "-tag", "type:yarn", "-config", "s3://b/site.xml", "-dependency", "file:///d.jar",
		"-setup-file", "s3://b/setup.sh", "-description", "the prod cluster", "-id", "c-prod").want(t, 0)
	if r.stdout != "c-prod\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	var got api.Cluster
	decodeBody(t, f.last("POST", "/api/v3/clusters").Body, &got)
	want := api.Cluster{
		ID: "c-prod", Name: "prod", User: "ops", Version: "2.7", Description: "the prod cluster",
		Tags: []string{"sched:adhoc", "type:yarn"}, Configs: []string{"s3://b/site.xml"},
		Dependencies: []string{"file:///d.jar"}, SetupFile: "s3://b/setup.sh", Status: api.ClusterStatusOutOfService,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cluster\n got %+v\nwant %+v", got, want)
	}
}

func TestCreateRequiresAName(t *testing.T) {
	f := newFakeGenie(t)
	r := run(t, f, "applications", "create").want(t, 1)
	if !strings.Contains(r.stderr, "-name is required") || len(f.seen()) != 0 {
		t.Fatalf("stderr %q requests %v", r.stderr, f.seen())
	}
}

func TestCreateRejectsAnUnknownStatus(t *testing.T) {
	f := newFakeGenie(t)
	r := run(t, f, "commands", "create", "-name", "sh", "-executable", "/bin/sh", "-status", "UP").want(t, 1)
	if !strings.Contains(r.stderr, `unknown command status "UP"`) || len(f.seen()) != 0 {
		t.Fatalf("stderr %q requests %v", r.stderr, f.seen())
	}
}

func TestCommandsCreate(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		wantArgv   []string
		wantExec   string
		wantErr    string
		wantCrit   []api.Criterion
		wantApps   []string
		wantMemory *int
	}{
		{
			name:     "executable string is split on spaces",
			args:     []string{"-executable", "/apps/hive/bin/hive -f"},
			wantArgv: []string{"/apps/hive/bin/hive", "-f"}, wantExec: "/apps/hive/bin/hive -f",
		},
		{
			name:     "arguments are kept whole",
			args:     []string{"-arg", "/bin/sh", "-arg", "-c", "-arg", "echo a  b"},
			wantArgv: []string{"/bin/sh", "-c", "echo a  b"}, wantExec: "/bin/sh -c echo a  b",
		},
		{
			name: "criteria, applications and memory",
			args: []string{"-executable", "/bin/spark-submit", "-cluster-criterion", "sched:adhoc,type:yarn",
				"-cluster-criterion", "type:yarn", "-application", "spark-3", "-application", "hadoop", "-memory", "2048"},
			wantArgv: []string{"/bin/spark-submit"}, wantExec: "/bin/spark-submit",
			wantCrit:   []api.Criterion{{Tags: []string{"sched:adhoc", "type:yarn"}}, {Tags: []string{"type:yarn"}}},
			wantApps:   []string{"spark-3", "hadoop"},
			wantMemory: ptr(2048),
		},
		{name: "executable and arguments together", args: []string{"-executable", "/bin/sh", "-arg", "x"}, wantErr: "not both"},
		{name: "no executable", args: nil, wantErr: "-executable or -arg is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGenie(t)
			args := append([]string{"commands", "create", "-name", "cmd", "-id", "cmd-1"}, tc.args...)
			if tc.wantErr != "" {
				r := run(t, f, args...).want(t, 1)
				if !strings.Contains(r.stderr, tc.wantErr) || len(f.seen()) != 0 {
					t.Fatalf("stderr %q requests %v", r.stderr, f.seen())
				}
				return
			}
			run(t, f, args...).want(t, 0)
			var got api.Command
			decodeBody(t, f.last("POST", "/api/v3/commands").Body, &got)
			if !reflect.DeepEqual(got.ExecutableAndArguments, tc.wantArgv) || got.Executable != tc.wantExec {
				t.Fatalf("executable %q / %q", got.ExecutableAndArguments, got.Executable)
			}
			if got.Status != api.CommandStatusActive {
				t.Fatalf("status %q", got.Status)
			}
			if !reflect.DeepEqual(got.ClusterCriteria, append([]api.Criterion{}, tc.wantCrit...)) {
				t.Fatalf("criteria %+v", got.ClusterCriteria)
			}
			if !reflect.DeepEqual(got.Memory, tc.wantMemory) {
				t.Fatalf("memory %v", got.Memory)
			}
			if tc.wantApps == nil {
				if slices.Contains(f.seen(), "PUT /api/v3/commands/cmd-1/applications") {
					t.Fatal("applications set without -application")
				}
				return
			}
			var apps []string
			decodeBody(t, f.last("PUT", "/api/v3/commands/cmd-1/applications").Body, &apps)
			if !reflect.DeepEqual(apps, tc.wantApps) {
				t.Fatalf("applications %v", apps)
			}
		})
	}
}

func TestApplicationsCreateWithType(t *testing.T) {
	f := newFakeGenie(t)
	run(t, f, "applications", "create", "-name", "spark", "-type", "spark", "-status", "deprecated").want(t, 0)
	var got api.Application
	decodeBody(t, f.last("POST", "/api/v3/applications").Body, &got)
	if got.Type != "spark" || got.Status != api.ApplicationStatusDeprecated || got.ID != "" {
		t.Fatalf("%+v", got)
	}
}

func TestCreateConflictPrintsTheServerError(t *testing.T) {
	f := newFakeGenie(t)
	run(t, f, "clusters", "create", "-name", "a", "-id", "dup").want(t, 0)
	r := run(t, f, "clusters", "create", "-name", "b", "-id", "dup").want(t, 1)
	if !strings.Contains(r.stderr, "409 Conflict: A cluster with id dup already exists (field id)") {
		t.Fatalf("stderr %q", r.stderr)
	}
}

func seedRegistry(t *testing.T, f *fakeGenie) {
	t.Helper()
	run(t, f, "clusters", "create", "-id", "c-1", "-name", "prod", "-user", "ops", "-tag", "sched:adhoc").want(t, 0)
	run(t, f, "clusters", "create", "-id", "c-2", "-name", "old", "-user", "ops", "-status", "TERMINATED").want(t, 0)
	run(t, f, "commands", "create", "-id", "sh", "-name", "shell", "-user", "ops", "-executable", "/bin/sh -c",
		"-tag", "type:shell", "-cluster-criterion", "sched:adhoc", "-application", "app-1").want(t, 0)
	run(t, f, "applications", "create", "-id", "app-1", "-name", "tools", "-user", "ops", "-type", "bundle").want(t, 0)
}

func TestRegistryListTables(t *testing.T) {
	f := newFakeGenie(t)
	seedRegistry(t, f)
	cases := []struct {
		args   []string
		query  string
		header []string
		rows   [][]string
	}{
		{
			args:   []string{"clusters", "list"},
			header: []string{"ID", "NAME", "USER", "VERSION", "STATUS", "TAGS"},
			rows:   [][]string{{"c-1", "prod", "ops", "1.0", "UP", "sched:adhoc"}, {"c-2", "old", "ops", "1.0", "TERMINATED", "-"}},
		},
		{
			args:   []string{"clusters", "list", "-status", "up,out_of_service", "-tag", "sched:adhoc", "-name", "prod"},
			query:  "name=prod&status=UP&status=OUT_OF_SERVICE&tag=sched%3Aadhoc",
			header: []string{"ID", "NAME", "USER", "VERSION", "STATUS", "TAGS"},
			rows:   [][]string{{"c-1", "prod", "ops", "1.0", "UP", "sched:adhoc"}},
		},
		{
			args:   []string{"commands", "list"},
			header: []string{"ID", "NAME", "USER", "VERSION", "STATUS", "TAGS", "EXECUTABLE"},
			rows:   [][]string{{"sh", "shell", "ops", "1.0", "ACTIVE", "type:shell", "/bin/sh -c"}},
		},
		{
			args:   []string{"applications", "list"},
			header: []string{"ID", "NAME", "USER", "VERSION", "STATUS", "TAGS", "TYPE"},
			rows:   [][]string{{"app-1", "tools", "ops", "1.0", "ACTIVE", "-", "bundle"}},
		},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, f, tc.args...).want(t, 0)
			if tc.query != "" {
				if got := f.last("GET", "/api/v3/"+tc.args[0]).Query; got != tc.query {
					t.Fatalf("query %q, want %q", got, tc.query)
				}
			}
			lines := r.lines()
			if got := fields(lines[0]); !reflect.DeepEqual(got, tc.header) {
				t.Fatalf("header %q", got)
			}
			var rows [][]string
			for _, l := range lines[1:] {
				rows = append(rows, fields(l))
			}
			if !reflect.DeepEqual(rows, tc.rows) {
				t.Fatalf("rows %q, want %q\n%s", rows, tc.rows, r.stdout)
			}
		})
	}
}

func TestRegistryListJSON(t *testing.T) {
	f := newFakeGenie(t)
	seedRegistry(t, f)
	r := run(t, f, "commands", "list", "-json").want(t, 0)
	var cmds []api.Command
	if err := json.Unmarshal([]byte(r.stdout), &cmds); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(cmds) != 1 || cmds[0].ID != "sh" || !strings.Contains(r.stdout, `"checkDelay": 10000`) {
		t.Fatalf("%s", r.stdout)
	}
	r = run(t, f, "applications", "list", "-status", "INACTIVE").want(t, 0)
	if r.stdout != "No applications found\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
}

func TestRegistryGet(t *testing.T) {
	f := newFakeGenie(t)
	seedRegistry(t, f)
	r := run(t, f, "commands", "get", "sh").want(t, 0)
	for _, want := range []string{
		"ID               = sh", "Executable       = /bin/sh -c", "Cluster Criteria = sched:adhoc",
		"Applications     = app-1", "Tags             = type:shell", "Memory           = -",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, f, "clusters", "get", "-json", "c-1").want(t, 0)
	var cl api.Cluster
	if err := json.Unmarshal([]byte(r.stdout), &cl); err != nil || cl.Name != "prod" || cl.Status != api.ClusterStatusUp {
		t.Fatalf("%+v %v", cl, err)
	}
	r = run(t, f, "applications", "get", "nope").want(t, 1)
	if !strings.Contains(r.stderr, "Error reading application: 404 Not Found: No application with id nope") {
		t.Fatalf("stderr %q", r.stderr)
	}
}

func TestRegistrySetStatusReadsChangesAndPuts(t *testing.T) {
	f := newFakeGenie(t)
	seedRegistry(t, f)
	r := run(t, f, "clusters", "set-status", "c-1", "out_of_service").want(t, 0)
	if r.stdout != "Cluster c-1 is now OUT_OF_SERVICE\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	var put api.Cluster
	decodeBody(t, f.last("PUT", "/api/v3/clusters/c-1").Body, &put)
	if put.ID != "c-1" || put.Name != "prod" || put.Status != api.ClusterStatusOutOfService || put.Links != nil {
		t.Fatalf("PUT %+v", put)
	}
	seen := f.seen()
	if seen[len(seen)-2] != "GET /api/v3/clusters/c-1" {
		t.Fatalf("requests %v", seen)
	}
	r = run(t, f, "commands", "set-status", "sh", "UP").want(t, 1)
	if !strings.Contains(r.stderr, `unknown command status "UP"`) {
		t.Fatalf("stderr %q", r.stderr)
	}
}

func TestRegistryTagUntagDelete(t *testing.T) {
	f := newFakeGenie(t)
	seedRegistry(t, f)
	run(t, f, "applications", "tag", "app-1", "team:data", "tier 1").want(t, 0)
	var tags []string
	decodeBody(t, f.last("POST", "/api/v3/applications/app-1/tags").Body, &tags)
	if !reflect.DeepEqual(tags, []string{"team:data", "tier 1"}) {
		t.Fatalf("tags %v", tags)
	}
	run(t, f, "applications", "untag", "app-1", "tier 1").want(t, 0)
	f.last("DELETE", "/api/v3/applications/app-1/tags/tier%201")
	r := run(t, f, "applications", "get", "-json", "app-1").want(t, 0)
	if !strings.Contains(r.stdout, `"team:data"`) || strings.Contains(r.stdout, "tier 1") {
		t.Fatalf("tags after untag:\n%s", r.stdout)
	}
	r = run(t, f, "clusters", "delete", "c-2").want(t, 0)
	if r.stdout != "Deleted cluster c-2\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	r = run(t, f, "clusters", "delete", "c-2").want(t, 1)
	if !strings.Contains(r.stderr, "No cluster with id c-2") {
		t.Fatalf("stderr %q", r.stderr)
	}
	run(t, f, "commands", "tag", "sh").want(t, 1)
}
