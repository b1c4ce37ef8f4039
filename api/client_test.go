package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// apiCall is one client call and what the server must see and answer.
type apiCall struct {
	name string
	call func(ctx context.Context, c *Client) (any, error)

	method string
	path   string // escaped
	query  url.Values
	body   string // JSON the request must carry; "" for no body

	status     int
	respHeader http.Header
	respBody   string

	want any // the call's result, when checked
}

// runCalls runs each call against a server that checks the request and
// answers as told.
func runCalls(t *testing.T, calls []apiCall) {
	t.Helper()
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			var seen bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = true
				if r.Method != tc.method {
					t.Errorf("method %s, want %s", r.Method, tc.method)
				}
				if got := r.URL.EscapedPath(); got != tc.path {
					t.Errorf("path %s, want %s", got, tc.path)
				}
				if q := r.URL.Query(); len(q)+len(tc.query) > 0 && !reflect.DeepEqual(q, tc.query) {
					t.Errorf("query %v, want %v", q, tc.query)
				}
				body, _ := io.ReadAll(r.Body)
				switch {
				case tc.body == "" && len(body) > 0:
					t.Errorf("unexpected body %s", body)
				case tc.body != "":
					if ct := r.Header.Get("Content-Type"); ct != "application/json" {
						t.Errorf("Content-Type %q", ct)
					}
					var got, want any
					if err := json.Unmarshal(body, &got); err != nil {
						t.Errorf("body %s: %v", body, err)
					}
					if err := json.Unmarshal([]byte(tc.body), &want); err != nil {
						t.Fatalf("test body: %v", err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("body\n got %s\nwant %s", body, tc.body)
					}
				}
				if ua := r.Header.Get("User-Agent"); ua != DefaultUserAgent {
					t.Errorf("User-Agent %q", ua)
				}
				for k, vs := range tc.respHeader {
					w.Header()[k] = vs
				}
				status := tc.status
				if status == 0 {
					status = http.StatusOK
				}
				w.WriteHeader(status)
				io.WriteString(w, tc.respBody)
			}))
			defer srv.Close()
			c, err := NewClient(&Config{Address: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if !seen {
				t.Fatal("no request reached the server")
			}
			if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("result\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func none(err error) (any, error) { return nil, err }

func location(p string) http.Header { return http.Header{"Location": {"http://genie.example" + p}} }

func TestClusterCalls(t *testing.T) {
	cl := &Cluster{Name: "prod", User: "ops", Version: "1", Status: ClusterStatusUp, Tags: []string{"sched:adhoc"}}
	clJSON := `{"id":null,"created":null,"updated":null,"version":"1","user":"ops","name":"prod",
		"description":null,"metadata":null,"tags":["sched:adhoc"],"configs":[],"dependencies":[],
		"setupFile":null,"status":"UP"}`
	runCalls(t, []apiCall{
		{
			name:   "create returns the id from Location",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Clusters().Create(ctx, cl) },
			method: "POST", path: "/api/v3/clusters", body: clJSON,
			status: 201, respHeader: location("/api/v3/clusters/c-1"),
			want: "c-1",
		},
		{
			name:   "get",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Clusters().Get(ctx, "c-1") },
			method: "GET", path: "/api/v3/clusters/c-1",
			respBody: `{"id":"c-1","name":"prod","status":"up","tags":["genie.id:c-1"],"_links":{"self":{"href":"http://h/api/v3/clusters/c-1"}}}`,
			want:     &Cluster{ID: "c-1", Name: "prod", Status: ClusterStatusUp, Tags: []string{"genie.id:c-1"}, Links: Links{"self": {Href: "http://h/api/v3/clusters/c-1"}}},
		},
		{
			name: "get escapes the id",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Clusters().Get(ctx, "a/b c")
			},
			method: "GET", path: "/api/v3/clusters/a%2Fb%20c", respBody: `{}`,
		},
		{
			name: "list sends every filter",
			call: func(ctx context.Context, c *Client) (any, error) {
				items, page, err := c.Clusters().List(ctx, &QueryOptions{
					Name: "prod%", Status: []string{"UP", "OUT_OF_SERVICE"}, Tags: []string{"a", "b"},
					MinUpdateTime: time.UnixMilli(1000), MaxUpdateTime: time.UnixMilli(2000),
					Page: 2, Size: 5, Sort: []string{"name,asc"}, Consistent: true,
				})
				return []any{items, page}, err
			},
			method: "GET", path: "/api/v3/clusters",
			query: url.Values{"name": {"prod%"}, "status": {"UP", "OUT_OF_SERVICE"}, "tag": {"a", "b"},
				"minUpdateTime": {"1000"}, "maxUpdateTime": {"2000"}, "page": {"2"}, "size": {"5"},
				"sort": {"name,asc"}, "consistent": {""}},
			respBody: `{"_embedded":{"clusterList":[{"id":"c-1","name":"prod"}]},"_links":{},
				"page":{"size":5,"totalElements":11,"totalPages":3,"number":2}}`,
			want: []any{[]Cluster{{ID: "c-1", Name: "prod"}}, &PageMetadata{Size: 5, TotalElements: 11, TotalPages: 3, Number: 2}},
		},
		{
			name: "list without results",
			call: func(ctx context.Context, c *Client) (any, error) {
				items, _, err := c.Clusters().List(ctx, nil)
				return items, err
			},
			method: "GET", path: "/api/v3/clusters",
			respBody: `{"_links":{},"page":{"size":64,"totalElements":0,"totalPages":0,"number":0}}`,
			want:     []Cluster{},
		},
		{
			name:   "update puts the path id in the body",
			call:   func(ctx context.Context, c *Client) (any, error) { return none(c.Clusters().Update(ctx, "c-1", cl)) },
			method: "PUT", path: "/api/v3/clusters/c-1", body: strings.Replace(clJSON, `"id":null`, `"id":"c-1"`, 1),
			status: 204,
		},
		{
			name: "patch",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Clusters().Patch(ctx, "c-1", []PatchOp{{Op: "replace", Path: "/status", Value: "OUT_OF_SERVICE"}}))
			},
			method: "PATCH", path: "/api/v3/clusters/c-1",
			body: `[{"op":"replace","path":"/status","value":"OUT_OF_SERVICE"}]`, status: 204,
		},
		{
			name:   "delete",
			call:   func(ctx context.Context, c *Client) (any, error) { return none(c.Clusters().Delete(ctx, "c-1")) },
			method: "DELETE", path: "/api/v3/clusters/c-1", status: 204,
		},
		{
			name:   "tags",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Clusters().Tags(ctx, "c-1") },
			method: "GET", path: "/api/v3/clusters/c-1/tags",
			respBody: `["genie.id:c-1","genie.name:prod","a"]`, want: []string{"genie.id:c-1", "genie.name:prod", "a"},
		},
		{
			name: "add tags",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Clusters().AddTags(ctx, "c-1", []string{"a", "b"}))
			},
			method: "POST", path: "/api/v3/clusters/c-1/tags", body: `["a","b"]`, status: 204,
		},
		{
			name: "replace tags",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Clusters().ReplaceTags(ctx, "c-1", nil))
			},
			method: "PUT", path: "/api/v3/clusters/c-1/tags", body: `[]`, status: 204,
		},
		{
			name:   "remove all tags",
			call:   func(ctx context.Context, c *Client) (any, error) { return none(c.Clusters().RemoveAllTags(ctx, "c-1")) },
			method: "DELETE", path: "/api/v3/clusters/c-1/tags", status: 204,
		},
		{
			name: "remove one tag",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Clusters().RemoveTag(ctx, "c-1", "team:data eng"))
			},
			method: "DELETE", path: "/api/v3/clusters/c-1/tags/team:data%20eng", status: 204,
		},
		{
			name:   "configs",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Clusters().Configs(ctx, "c-1") },
			method: "GET", path: "/api/v3/clusters/c-1/configs", respBody: `[]`, want: []string{},
		},
		{
			name: "add configs",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Clusters().AddConfigs(ctx, "c-1", []string{"s3://b/x"}))
			},
			method: "POST", path: "/api/v3/clusters/c-1/configs", body: `["s3://b/x"]`, status: 204,
		},
		{
			name: "replace configs",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Clusters().ReplaceConfigs(ctx, "c-1", []string{"s3://b/y"}))
			},
			method: "PUT", path: "/api/v3/clusters/c-1/configs", body: `["s3://b/y"]`, status: 204,
		},
		{
			name: "remove all configs",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Clusters().RemoveAllConfigs(ctx, "c-1"))
			},
			method: "DELETE", path: "/api/v3/clusters/c-1/configs", status: 204,
		},
		{
			name:   "dependencies",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Clusters().Dependencies(ctx, "c-1") },
			method: "GET", path: "/api/v3/clusters/c-1/dependencies", respBody: `["file:///a"]`, want: []string{"file:///a"},
		},
		{
			name: "add dependencies",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Clusters().AddDependencies(ctx, "c-1", []string{"file:///a"}))
			},
			method: "POST", path: "/api/v3/clusters/c-1/dependencies", body: `["file:///a"]`, status: 204,
		},
		{
			name: "replace dependencies",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Clusters().ReplaceDependencies(ctx, "c-1", []string{}))
			},
			method: "PUT", path: "/api/v3/clusters/c-1/dependencies", body: `[]`, status: 204,
		},
		{
			name: "remove all dependencies",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Clusters().RemoveAllDependencies(ctx, "c-1"))
			},
			method: "DELETE", path: "/api/v3/clusters/c-1/dependencies", status: 204,
		},
		{
			name: "commands of a cluster",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Clusters().Commands(ctx, "c-1", CommandStatusActive, CommandStatusDeprecated)
			},
			method: "GET", path: "/api/v3/clusters/c-1/commands", query: url.Values{"status": {"ACTIVE", "DEPRECATED"}},
			respBody: `[]`, want: []Command{},
		},
	})
}

func TestCommandCalls(t *testing.T) {
	cmd := &Command{ID: "sh", Name: "sh", User: "ops", Version: "1", Status: CommandStatusActive, Executable: "/bin/sh -c"}
	crit := Criterion{Tags: []string{"sched:adhoc"}}
	critJSON := `{"id":null,"name":null,"version":null,"status":null,"tags":["sched:adhoc"]}`
	runCalls(t, []apiCall{
		{
			name:   "create sends both forms of the executable",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Commands().Create(ctx, cmd) },
			method: "POST", path: "/api/v3/commands",
			body: `{"id":"sh","created":null,"updated":null,"version":"1","user":"ops","name":"sh","description":null,
				"metadata":null,"tags":[],"configs":[],"dependencies":[],"setupFile":null,"status":"ACTIVE",
				"executable":"/bin/sh -c","executableAndArguments":["/bin/sh","-c"],"checkDelay":10000,"memory":null,
				"clusterCriteria":[],"runtime":{"resources":{"cpu":null,"gpu":null,"memoryMb":null,"diskMb":null,"networkMbps":null},"images":{}}}`,
			status: 201, respHeader: location("/api/v3/commands/sh"), want: "sh",
		},
		{
			name:   "get",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Commands().Get(ctx, "sh") },
			method: "GET", path: "/api/v3/commands/sh",
			respBody: `{"id":"sh","executable":"/bin/sh -c"}`,
			want:     &Command{ID: "sh", Executable: "/bin/sh -c", ExecutableAndArguments: []string{"/bin/sh", "-c"}},
		},
		{
			name: "list",
			call: func(ctx context.Context, c *Client) (any, error) {
				items, _, err := c.Commands().List(ctx, &QueryOptions{User: "ops", Status: []string{"ACTIVE"}})
				return items, err
			},
			method: "GET", path: "/api/v3/commands", query: url.Values{"user": {"ops"}, "status": {"ACTIVE"}},
			respBody: `{"_embedded":{"commandList":[{"id":"sh"}]},"_links":{},"page":{"size":64,"totalElements":1,"totalPages":1,"number":0}}`,
			want:     []Command{{ID: "sh"}},
		},
		{
			name:   "update",
			call:   func(ctx context.Context, c *Client) (any, error) { return none(c.Commands().Update(ctx, "sh", cmd)) },
			method: "PUT", path: "/api/v3/commands/sh",
			body: `{"id":"sh","created":null,"updated":null,"version":"1","user":"ops","name":"sh","description":null,
				"metadata":null,"tags":[],"configs":[],"dependencies":[],"setupFile":null,"status":"ACTIVE",
				"executable":"/bin/sh -c","executableAndArguments":["/bin/sh","-c"],"checkDelay":10000,"memory":null,
				"clusterCriteria":[],"runtime":{"resources":{"cpu":null,"gpu":null,"memoryMb":null,"diskMb":null,"networkMbps":null},"images":{}}}`,
			status: 204,
		},
		{
			name: "tags through the shared calls",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Commands().AddTags(ctx, "sh", []string{"type:shell"}))
			},
			method: "POST", path: "/api/v3/commands/sh/tags", body: `["type:shell"]`, status: 204,
		},
		{
			name:   "applications",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Commands().Applications(ctx, "sh") },
			method: "GET", path: "/api/v3/commands/sh/applications",
			respBody: `[{"id":"a1","type":"spark"}]`, want: []Application{{ID: "a1", Type: "spark"}},
		},
		{
			name: "add applications",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Commands().AddApplications(ctx, "sh", []string{"a1"}))
			},
			method: "POST", path: "/api/v3/commands/sh/applications", body: `["a1"]`, status: 204,
		},
		{
			name: "set applications",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Commands().SetApplications(ctx, "sh", []string{"a2", "a1"}))
			},
			method: "PUT", path: "/api/v3/commands/sh/applications", body: `["a2","a1"]`, status: 204,
		},
		{
			name: "remove all applications",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Commands().RemoveAllApplications(ctx, "sh"))
			},
			method: "DELETE", path: "/api/v3/commands/sh/applications", status: 204,
		},
		{
			name: "remove application",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Commands().RemoveApplication(ctx, "sh", "a1"))
			},
			method: "DELETE", path: "/api/v3/commands/sh/applications/a1", status: 204,
		},
		{
			name: "clusters",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Commands().Clusters(ctx, "sh", ClusterStatusUp)
			},
			method: "GET", path: "/api/v3/commands/sh/clusters", query: url.Values{"status": {"UP"}},
			respBody: `[{"id":"c-1"}]`, want: []Cluster{{ID: "c-1"}},
		},
		{
			name:   "cluster criteria",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Commands().ClusterCriteria(ctx, "sh") },
			method: "GET", path: "/api/v3/commands/sh/clusterCriteria",
			respBody: `[` + critJSON + `]`, want: []Criterion{crit},
		},
		{
			name: "add cluster criterion",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Commands().AddClusterCriterion(ctx, "sh", crit))
			},
			method: "POST", path: "/api/v3/commands/sh/clusterCriteria", body: critJSON,
		},
		{
			name: "set cluster criteria",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Commands().SetClusterCriteria(ctx, "sh", []Criterion{crit, {Name: "prod"}}))
			},
			method: "PUT", path: "/api/v3/commands/sh/clusterCriteria",
			body: `[` + critJSON + `,{"id":null,"name":"prod","version":null,"status":null,"tags":[]}]`,
		},
		{
			name: "insert cluster criterion",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Commands().InsertClusterCriterion(ctx, "sh", 1, crit))
			},
			method: "PUT", path: "/api/v3/commands/sh/clusterCriteria/1", body: critJSON,
		},
		{
			name: "remove all cluster criteria",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Commands().RemoveAllClusterCriteria(ctx, "sh"))
			},
			method: "DELETE", path: "/api/v3/commands/sh/clusterCriteria",
		},
		{
			name: "remove cluster criterion",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Commands().RemoveClusterCriterion(ctx, "sh", 0))
			},
			method: "DELETE", path: "/api/v3/commands/sh/clusterCriteria/0",
		},
		{
			name: "resolved clusters",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Commands().ResolvedClusters(ctx, "sh", true)
			},
			method: "GET", path: "/api/v3/commands/sh/resolvedClusters", query: url.Values{"addDefaultStatus": {"true"}},
			respBody: `[{"criterion":` + critJSON + `,"resources":[{"id":"c-1"}]}]`,
			want:     []ResolvedResources{{Criterion: crit, Resources: []Cluster{{ID: "c-1"}}}},
		},
	})
}

func TestApplicationCalls(t *testing.T) {
	runCalls(t, []apiCall{
		{
			name: "create",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Applications().Create(ctx, &Application{Name: "spark", User: "ops", Version: "3", Status: ApplicationStatusActive, Type: "spark"})
			},
			method: "POST", path: "/api/v3/applications",
			body: `{"id":null,"created":null,"updated":null,"version":"3","user":"ops","name":"spark","description":null,
				"metadata":null,"tags":[],"configs":[],"dependencies":[],"setupFile":null,"status":"ACTIVE","type":"spark"}`,
			status: 201, respHeader: location("/api/v3/applications/a1/"), want: "a1",
		},
		{
			name:   "get",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Applications().Get(ctx, "a1") },
			method: "GET", path: "/api/v3/applications/a1", respBody: `{"id":"a1"}`, want: &Application{ID: "a1"},
		},
		{
			name: "list by type",
			call: func(ctx context.Context, c *Client) (any, error) {
				items, _, err := c.Applications().List(ctx, &QueryOptions{Type: "spark", Tags: []string{"genie.name:spark"}})
				return items, err
			},
			method: "GET", path: "/api/v3/applications", query: url.Values{"type": {"spark"}, "tag": {"genie.name:spark"}},
			respBody: `{"_embedded":{"applicationList":[{"id":"a1"}]},"_links":{},"page":{"size":10,"totalElements":1,"totalPages":1,"number":0}}`,
			want:     []Application{{ID: "a1"}},
		},
		{
			name: "update",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Applications().Update(ctx, "a1", &Application{ID: "a1", Status: ApplicationStatusInactive}))
			},
			method: "PUT", path: "/api/v3/applications/a1",
			body: `{"id":"a1","created":null,"updated":null,"version":null,"user":null,"name":null,"description":null,
				"metadata":null,"tags":[],"configs":[],"dependencies":[],"setupFile":null,"status":"INACTIVE","type":null}`,
			status: 204,
		},
		{
			name:   "commands",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Applications().Commands(ctx, "a1") },
			method: "GET", path: "/api/v3/applications/a1/commands", respBody: `[{"id":"sh"}]`,
			want: []Command{{ID: "sh"}},
		},
		{
			name:   "delete",
			call:   func(ctx context.Context, c *Client) (any, error) { return none(c.Applications().Delete(ctx, "a1")) },
			method: "DELETE", path: "/api/v3/applications/a1", status: 204,
		},
	})
}

func TestJobCalls(t *testing.T) {
	req := &JobRequest{
		ID: "j1", Name: "hello", User: "amy", Version: "1",
		ClusterCriterias: []ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
		CommandCriteria:  []string{"type:shell"},
		CommandArguments: []string{"-c", "echo hi"},
	}
	runCalls(t, []apiCall{
		{
			name:   "submit",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Jobs().Submit(ctx, req) },
			method: "POST", path: "/api/v3/jobs",
			body: `{"id":"j1","created":null,"updated":null,"version":"1","user":"amy","name":"hello","description":null,
				"metadata":null,"tags":[],"configs":[],"dependencies":[],"setupFile":null,
				"clusterCriterias":[{"tags":["sched:adhoc"]}],"commandCriteria":["type:shell"],"commandArgs":null,
				"commandArguments":["-c","echo hi"],"group":null,"disableLogArchival":false,"email":null,"cpu":null,
				"memory":null,"timeout":null,"applications":[],"grouping":null,"groupingInstance":null,
				"runtime":{"resources":{"cpu":null,"gpu":null,"memoryMb":null,"diskMb":null,"networkMbps":null},"images":{}}}`,
			status: 202, respHeader: location("/api/v3/jobs/j1"), want: "j1",
		},
		{
			name:   "get",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Jobs().Get(ctx, "j1") },
			method: "GET", path: "/api/v3/jobs/j1",
			respBody: `{"id":"j1","status":"RUNNING","runtime":"PT2S","started":"2024-05-01T12:00:00Z"}`,
			want:     &Job{ID: "j1", Status: JobStatusRunning, Runtime: Duration(2 * time.Second), Started: created},
		},
		{
			name: "list sends every filter",
			call: func(ctx context.Context, c *Client) (any, error) {
				items, _, err := c.Jobs().List(ctx, &JobQuery{
					ID: "j%", Name: "hello", User: "amy", Status: []JobStatus{JobStatusRunning, JobStatusInit},
					Tags: []string{"t"}, ClusterName: "prod", ClusterID: "c-1", CommandName: "sh", CommandID: "sh",
					Grouping: "g", GroupingInstance: "gi", MinStarted: time.UnixMilli(1), MaxStarted: time.UnixMilli(2),
					MinFinished: time.UnixMilli(3), MaxFinished: time.UnixMilli(4), Page: 1, Size: 20,
				})
				return items, err
			},
			method: "GET", path: "/api/v3/jobs",
			query: url.Values{"id": {"j%"}, "name": {"hello"}, "user": {"amy"}, "status": {"RUNNING", "INIT"},
				"tag": {"t"}, "clusterName": {"prod"}, "clusterId": {"c-1"}, "commandName": {"sh"}, "commandId": {"sh"},
				"grouping": {"g"}, "groupingInstance": {"gi"}, "minStarted": {"1"}, "maxStarted": {"2"},
				"minFinished": {"3"}, "maxFinished": {"4"}, "page": {"1"}, "size": {"20"}},
			respBody: `{"_embedded":{"jobSearchResultList":[{"id":"j1","status":"RUNNING","runtime":"PT1S"}]},"_links":{},
				"page":{"size":20,"totalElements":21,"totalPages":2,"number":1}}`,
			want: []JobSearchResult{{ID: "j1", Status: JobStatusRunning, Runtime: Duration(time.Second)}},
		},
		{
			name:   "status",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Jobs().Status(ctx, "j1") },
			method: "GET", path: "/api/v3/jobs/j1/status", respBody: `{"status":"INIT"}`, want: JobStatusInit,
		},
		{
			name:   "request",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Jobs().Request(ctx, "j1") },
			method: "GET", path: "/api/v3/jobs/j1/request", respBody: `{"id":null,"commandArgs":"-c date"}`,
			want: &JobRequest{CommandArgs: "-c date"},
		},
		{
			name:   "execution",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Jobs().Execution(ctx, "j1") },
			method: "GET", path: "/api/v3/jobs/j1/execution", respBody: `{"id":"j1","hostName":"n1","exitCode":3}`,
			want: &JobExecution{ID: "j1", HostName: "n1", ExitCode: ptr(3)},
		},
		{
			name:   "metadata",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Jobs().Metadata(ctx, "j1") },
			method: "GET", path: "/api/v3/jobs/j1/metadata", respBody: `{"id":"j1","stdOutSize":5}`,
			want: &JobMetadata{ID: "j1", StdOutSize: ptr(int64(5))},
		},
		{
			name:   "cluster",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Jobs().Cluster(ctx, "j1") },
			method: "GET", path: "/api/v3/jobs/j1/cluster", respBody: `{"id":"c-1"}`, want: &Cluster{ID: "c-1"},
		},
		{
			name:   "command",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Jobs().Command(ctx, "j1") },
			method: "GET", path: "/api/v3/jobs/j1/command", respBody: `{"id":"sh"}`, want: &Command{ID: "sh"},
		},
		{
			name:   "applications",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Jobs().Applications(ctx, "j1") },
			method: "GET", path: "/api/v3/jobs/j1/applications", respBody: `[]`, want: []Application{},
		},
		{
			name:   "kill",
			call:   func(ctx context.Context, c *Client) (any, error) { return none(c.Jobs().Kill(ctx, "j1")) },
			method: "DELETE", path: "/api/v3/jobs/j1", status: 202,
		},
		{
			name:   "output listing",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Jobs().OutputListing(ctx, "j1", "") },
			method: "GET", path: "/api/v3/jobs/j1/output/",
			respBody: `{"parent":null,"directories":[{"name":"genie/","url":"u","size":4096,"lastModified":"2024-05-01T12:00:00Z"}],"files":[]}`,
			want:     &OutputListing{Directories: []OutputEntry{{Name: "genie/", URL: "u", Size: 4096, LastModified: created}}, Files: []OutputEntry{}},
		},
		{
			name: "output listing of a directory",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none2(c.Jobs().OutputListing(ctx, "j1", "genie/logs dir/"))
			},
			method: "GET", path: "/api/v3/jobs/j1/output/genie/logs%20dir/", respBody: `{}`,
		},
	})
}

func none2[T any](_ T, err error) (any, error) { return nil, err }

func TestClusterOperationCalls(t *testing.T) {
	runCalls(t, []apiCall{
		{
			name:   "root",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Root(ctx) },
			method: "GET", path: "/api/v3", respBody: `{"description":"Genie V3 API","_links":{"jobs":{"href":"h"}}}`,
			want: &Root{Description: "Genie V3 API", Links: Links{"jobs": {Href: "h"}}},
		},
		{
			name:   "health",
			call:   func(ctx context.Context, c *Client) (any, error) { return none(c.Agent().Health(ctx)) },
			method: "GET", path: "/v1/health", respBody: `{"status":"ok"}`,
		},
		{
			name:   "members",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Agent().Members(ctx) },
			method: "GET", path: "/v1/agent/members",
			respBody: `[{"name":"n1","id":"id1","address":"127.0.0.1:8080","raftAddress":"127.0.0.1:8300",
				"gossipAddress":"127.0.0.1:8301","status":"alive","raftRole":"leader","runningJobs":2,"maxJobs":8,
				"usedMemory":1024,"maxMemory":8192,"draining":false,"zone":"us-east-1a"}]`,
			want: []Member{{Name: "n1", ID: "id1", Address: "127.0.0.1:8080", RaftAddress: "127.0.0.1:8300",
				GossipAddress: "127.0.0.1:8301", Status: "alive", RaftRole: "leader", RunningJobs: 2, MaxJobs: 8,
				UsedMemory: 1024, MaxMemory: 8192, Zone: "us-east-1a"}},
		},
		{
			name:   "leader",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Status().Leader(ctx) },
			method: "GET", path: "/v1/status/leader", respBody: `{"leader":"127.0.0.1:8080","leaderId":"id1"}`,
			want: &LeaderResponse{Leader: "127.0.0.1:8080", LeaderID: "id1"},
		},
		{
			name:   "raft peers",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Operator().RaftPeers(ctx) },
			method: "GET", path: "/v1/operator/raft/peers",
			respBody: `[{"node":"n1","id":"id1","address":"127.0.0.1:8300","state":"leader","voter":true,"commitIndex":42,"trailsLeaderBy":0}]`,
			want:     []RaftPeer{{Node: "n1", ID: "id1", Address: "127.0.0.1:8300", State: "leader", Voter: true, CommitIndex: 42}},
		},
		{
			name: "remove peer",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Operator().RaftRemovePeer(ctx, "id2"))
			},
			method: "POST", path: "/v1/operator/raft/remove-peer", query: url.Values{"id": {"id2"}},
		},
		{
			name: "transfer leadership to a peer",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Operator().RaftTransferLeader(ctx, "id2"))
			},
			method: "POST", path: "/v1/operator/raft/transfer-leader", query: url.Values{"id": {"id2"}},
		},
		{
			name: "transfer leadership to any peer",
			call: func(ctx context.Context, c *Client) (any, error) {
				return none(c.Operator().RaftTransferLeader(ctx, ""))
			},
			method: "POST", path: "/v1/operator/raft/transfer-leader",
		},
	})
}

func TestSubmitWithAttachments(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			t.Errorf("parse multipart: %v", err)
		}
		if got := r.MultipartForm.Value["request"]; len(got) != 1 || !strings.Contains(got[0], `"name":"with-files"`) {
			t.Errorf("request part %q", got)
		}
		files := r.MultipartForm.File["attachment"]
		if len(files) != 2 || files[0].Filename != "a.sql" || files[1].Filename != "b.txt" {
			t.Errorf("attachments %v", files)
		}
		w.Header().Set("Location", "http://h/api/v3/jobs/j9")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL})
	id, err := c.Jobs().SubmitWithAttachments(context.Background(), &JobRequest{Name: "with-files"}, []Attachment{
		{Name: "a.sql", Content: strings.NewReader("select 1")},
		{Name: "b.txt", Content: strings.NewReader("b")},
	})
	if err != nil || id != "j9" {
		t.Fatalf("id %q, err %v", id, err)
	}
}

func TestNewClientAddress(t *testing.T) {
	cases := []struct {
		addr, want string
		wantErr    bool
	}{
		{"", DefaultAddress, false},
		{"10.0.0.5:8080", "http://10.0.0.5:8080", false},
		{"https://genie.example/", "https://genie.example", false},
		{"http://genie.example/prefix/", "http://genie.example/prefix", false},
		{"ftp://genie.example", "", true},
		{"http://", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			t.Setenv(AddressEnv, "")
			c, err := NewClient(&Config{Address: tc.addr})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && c.Address() != tc.want {
				t.Fatalf("address %s, want %s", c.Address(), tc.want)
			}
		})
	}
}

func TestDefaultConfigReadsGenieAddr(t *testing.T) {
	t.Setenv(AddressEnv, "http://10.1.2.3:9090")
	if got := DefaultConfig().Address; got != "http://10.1.2.3:9090" {
		t.Fatalf("address %s", got)
	}
	t.Setenv(AddressEnv, "")
	if got := DefaultConfig().Address; got != DefaultAddress {
		t.Fatalf("address %s", got)
	}
}

func TestAddressPathPrefixIsKept(t *testing.T) {
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		io.WriteString(w, `{"status":"RUNNING"}`)
	}))
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL + "/genie/"})
	if _, err := c.Jobs().Status(context.Background(), "j1"); err != nil {
		t.Fatal(err)
	}
	if path != "/genie/api/v3/jobs/j1/status" {
		t.Fatalf("path %s", path)
	}
}

func TestConfigHeadersAreSent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer t0k" {
			t.Errorf("Authorization %q", got)
		}
		if got := r.Header.Get("User-Agent"); got != "my-scheduler" {
			t.Errorf("User-Agent %q", got)
		}
	}))
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL, UserAgent: "my-scheduler", Headers: http.Header{"Authorization": {"Bearer t0k"}}})
	if err := c.Agent().Health(context.Background()); err != nil {
		t.Fatal(err)
	}
}
