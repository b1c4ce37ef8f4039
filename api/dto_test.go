package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func compact(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		t.Fatalf("golden is not JSON: %v\n%s", err, s)
	}
	return buf.String()
}

// mustMarshal writes v as a server does: without HTML escaping.
func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }

var (
	created = NewTime(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	updated = NewTime(time.Date(2024, 5, 1, 12, 0, 1, 500e6, time.UTC))
)

// TestDTOGoldens writes each DTO, full and empty, compares it with the
// golden text, then reads the golden back and writes it again.
func TestDTOGoldens(t *testing.T) {
	cases := []struct {
		name   string
		value  any
		golden string
		// into is a pointer to a zero value of the type, for the read back.
		into any
	}{
		{
			name: "cluster",
			value: Cluster{
				ID: "c1", Created: created, Updated: updated, Version: "2.7", User: "ops",
				Name: "prod", Description: "the prod cluster", Metadata: json.RawMessage(`{"owner":"data"}`),
				Tags: []string{"sched:adhoc"}, Configs: []string{"s3://b/site.xml"},
				Dependencies: []string{"file:///deps/a.jar"}, SetupFile: "s3://b/setup.sh",
				Status: ClusterStatusUp,
				Links:  Links{"self": {Href: "http://x/api/v3/clusters/c1"}, "commands": {Href: "http://x/api/v3/clusters/c1/commands{?status}", Templated: true}},
			},
			golden: `{"id":"c1","created":"2024-05-01T12:00:00Z","updated":"2024-05-01T12:00:01.500Z",
				"version":"2.7","user":"ops","name":"prod","description":"the prod cluster",
				"metadata":{"owner":"data"},"tags":["sched:adhoc"],"configs":["s3://b/site.xml"],
				"dependencies":["file:///deps/a.jar"],"setupFile":"s3://b/setup.sh","status":"UP",
				"_links":{"commands":{"href":"http://x/api/v3/clusters/c1/commands{?status}","templated":true},
				"self":{"href":"http://x/api/v3/clusters/c1"}}}`,
			into: &Cluster{},
		},
		{
			name:  "empty cluster writes null and []",
			value: Cluster{},
			golden: `{"id":null,"created":null,"updated":null,"version":null,"user":null,"name":null,
				"description":null,"metadata":null,"tags":[],"configs":[],"dependencies":[],
				"setupFile":null,"status":null}`,
			into: &Cluster{},
		},
		{
			name: "command",
			value: Command{
				ID: "cmd1", Created: created, Updated: updated, Version: "1", User: "ops", Name: "spark",
				Tags: []string{"type:spark"}, Status: CommandStatusActive,
				ExecutableAndArguments: []string{"/bin/spark-submit", "--master", "yarn"},
				Memory:                 ptr(2048),
				ClusterCriteria:        []Criterion{{Tags: []string{"sched:adhoc"}}, {Name: "prod", Tags: []string{"type:yarn"}}},
			},
			golden: `{"id":"cmd1","created":"2024-05-01T12:00:00Z","updated":"2024-05-01T12:00:01.500Z",
				"version":"1","user":"ops","name":"spark","description":null,"metadata":null,
				"tags":["type:spark"],"configs":[],"dependencies":[],"setupFile":null,"status":"ACTIVE",
				"executable":"/bin/spark-submit --master yarn",
				"executableAndArguments":["/bin/spark-submit","--master","yarn"],"checkDelay":10000,
				"memory":2048,
				"clusterCriteria":[{"id":null,"name":null,"version":null,"status":null,"tags":["sched:adhoc"]},
				{"id":null,"name":"prod","version":null,"status":null,"tags":["type:yarn"]}],
				"runtime":{"resources":{"cpu":null,"gpu":null,"memoryMb":2048,"diskMb":null,"networkMbps":null},"images":{}}}`,
			into: &Command{},
		},
		{
			name:  "application",
			value: Application{ID: "a1", Name: "spark", User: "ops", Version: "3.5", Status: ApplicationStatusDeprecated, Type: "spark"},
			golden: `{"id":"a1","created":null,"updated":null,"version":"3.5","user":"ops","name":"spark",
				"description":null,"metadata":null,"tags":[],"configs":[],"dependencies":[],
				"setupFile":null,"status":"DEPRECATED","type":"spark"}`,
			into: &Application{},
		},
		{
			name: "job request",
			value: JobRequest{
				Name: "etl", User: "amy", Version: "1",
				ClusterCriterias: []ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
				CommandCriteria:  []string{"type:shell"},
				CommandArguments: []string{"-c", "echo hello world"},
				Memory:           ptr(512), Timeout: ptr(60),
				Runtime: Runtime{Images: map[string]ContainerImage{"main": {Name: "busybox"}}},
			},
			golden: `{"id":null,"created":null,"updated":null,"version":"1","user":"amy","name":"etl",
				"description":null,"metadata":null,"tags":[],"configs":[],"dependencies":[],"setupFile":null,
				"clusterCriterias":[{"tags":["sched:adhoc"]}],"commandCriteria":["type:shell"],
				"commandArgs":null,"commandArguments":["-c","echo hello world"],"group":null,
				"disableLogArchival":false,"email":null,"cpu":null,"memory":512,"timeout":60,
				"applications":[],"grouping":null,"groupingInstance":null,
				"runtime":{"resources":{"cpu":null,"gpu":null,"memoryMb":512,"diskMb":null,"networkMbps":null},
				"images":{"main":{"name":"busybox","tag":null,"arguments":[]}}}}`,
			into: &JobRequest{},
		},
		{
			name: "job",
			value: Job{
				ID: "j1", Created: created, Updated: updated, Version: "1", User: "amy", Name: "etl",
				Tags: []string{"nightly"}, Status: JobStatusSucceeded, StatusMsg: "Job finished successfully.",
				Started: created, Finished: updated, ClusterName: "prod", CommandName: "sh",
				Runtime: Duration(1500 * time.Millisecond), CommandArgs: "-c echo",
			},
			golden: `{"id":"j1","created":"2024-05-01T12:00:00Z","updated":"2024-05-01T12:00:01.500Z",
				"version":"1","user":"amy","name":"etl","description":null,"metadata":null,"tags":["nightly"],
				"setupFile":null,"status":"SUCCEEDED","statusMsg":"Job finished successfully.",
				"started":"2024-05-01T12:00:00Z","finished":"2024-05-01T12:00:01.500Z","archiveLocation":null,
				"clusterName":"prod","commandName":"sh","runtime":"PT1.5S","commandArgs":"-c echo",
				"grouping":null,"groupingInstance":null}`,
			into: &Job{},
		},
		{
			name:  "job not yet started",
			value: Job{ID: "j2", Name: "etl", User: "amy", Version: "1", Status: JobStatusAccepted},
			golden: `{"id":"j2","created":null,"updated":null,"version":"1","user":"amy","name":"etl",
				"description":null,"metadata":null,"tags":[],"setupFile":null,"status":"ACCEPTED",
				"statusMsg":null,"started":null,"finished":null,"archiveLocation":null,"clusterName":null,
				"commandName":null,"runtime":"PT0S","commandArgs":null,"grouping":null,"groupingInstance":null}`,
			into: &Job{},
		},
		{
			name: "job execution",
			value: JobExecution{
				ID: "j1", HostName: "node-1", ProcessID: ptr(4242), Timeout: updated,
				ExitCode: ptr(0), Memory: ptr(512), ArchiveStatus: ArchiveStatusArchived,
			},
			golden: `{"id":"j1","created":null,"updated":null,"hostName":"node-1","processId":4242,
				"checkDelay":null,"timeout":"2024-05-01T12:00:01.500Z","exitCode":0,"memory":512,
				"archiveStatus":"ARCHIVED","launcherExt":null,
				"runtime":{"resources":{"cpu":null,"gpu":null,"memoryMb":512,"diskMb":null,"networkMbps":null},"images":{}}}`,
			into: &JobExecution{},
		},
		{
			name:  "job execution before start",
			value: JobExecution{ID: "j2"},
			golden: `{"id":"j2","created":null,"updated":null,"hostName":null,"processId":null,
				"checkDelay":null,"timeout":null,"exitCode":null,"memory":null,"archiveStatus":"UNKNOWN",
				"launcherExt":null,
				"runtime":{"resources":{"cpu":null,"gpu":null,"memoryMb":null,"diskMb":null,"networkMbps":null},"images":{}}}`,
			into: &JobExecution{},
		},
		{
			name:  "job metadata",
			value: JobMetadata{ID: "j1", ClientHost: "10.0.0.1", UserAgent: "curl/8", NumAttachments: ptr(0), StdOutSize: ptr(int64(12))},
			golden: `{"id":"j1","created":null,"updated":null,"clientHost":"10.0.0.1","userAgent":"curl/8",
				"numAttachments":0,"totalSizeOfAttachments":null,"stdOutSize":12,"stdErrSize":null}`,
			into: &JobMetadata{},
		},
		{
			name:   "job status",
			value:  JobStatusResponse{Status: JobStatusRunning},
			golden: `{"status":"RUNNING"}`,
			into:   &JobStatusResponse{},
		},
		{
			name: "page of jobs",
			value: Page{
				Embedded: &PageEmbedded{Jobs: []JobSearchResult{{
					ID: "j1", Name: "etl", User: "amy", Status: JobStatusRunning, Started: created,
					Runtime: Duration(49*time.Hour + 2003*time.Millisecond),
					Links:   Links{"self": {Href: "http://x/api/v3/jobs/j1"}},
				}}},
				Links: Links{"self": {Href: "http://x/api/v3/jobs?page=0&size=1"}, "next": {Href: "http://x/api/v3/jobs?page=1&size=1"}},
				Page:  PageMetadata{Size: 1, TotalElements: 2, TotalPages: 2, Number: 0},
			},
			golden: `{"_embedded":{"jobSearchResultList":[{"id":"j1","name":"etl","user":"amy","status":"RUNNING",
				"started":"2024-05-01T12:00:00Z","finished":null,"clusterName":null,"commandName":null,
				"runtime":"PT49H2.003S","_links":{"self":{"href":"http://x/api/v3/jobs/j1"}}}]},
				"_links":{"next":{"href":"http://x/api/v3/jobs?page=1&size=1"},"self":{"href":"http://x/api/v3/jobs?page=0&size=1"}},
				"page":{"size":1,"totalElements":2,"totalPages":2,"number":0}}`,
			into: &Page{},
		},
		{
			name:   "empty page has no _embedded",
			value:  Page{Embedded: &PageEmbedded{}, Page: PageMetadata{Size: 64}},
			golden: `{"_links":{},"page":{"size":64,"totalElements":0,"totalPages":0,"number":0}}`,
			into:   &Page{},
		},
		{
			name: "output listing",
			value: OutputListing{
				Files: []OutputEntry{{Name: "stdout", URL: "http://x/api/v3/jobs/j1/output/stdout", Size: 12, LastModified: created}},
			},
			golden: `{"parent":null,"directories":[],"files":[{"name":"stdout",
				"url":"http://x/api/v3/jobs/j1/output/stdout","size":12,"lastModified":"2024-05-01T12:00:00Z"}]}`,
			into: &OutputListing{},
		},
		{
			name:   "error without field",
			value:  Error{ErrorCode: 404, Message: "No job with id j9"},
			golden: `{"errorCode":404,"message":"No job with id j9"}`,
			into:   &Error{},
		},
		{
			name:   "error with field",
			value:  Error{ErrorCode: 412, Message: "must not be blank", Field: "name"},
			golden: `{"errorCode":412,"message":"must not be blank","field":"name"}`,
			into:   &Error{},
		},
		{
			name:   "resolved resources",
			value:  ResolvedResources{Criterion: Criterion{Status: "UP", Tags: []string{"a"}}},
			golden: `{"criterion":{"id":null,"name":null,"version":null,"status":"UP","tags":["a"]},"resources":[]}`,
			into:   &ResolvedResources{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := compact(t, tc.golden)
			if got := mustMarshal(t, tc.value); got != want {
				t.Fatalf("marshal:\n got %s\nwant %s", got, want)
			}
			if err := json.Unmarshal([]byte(want), tc.into); err != nil {
				t.Fatalf("unmarshal golden: %v", err)
			}
			if got := mustMarshal(t, tc.into); got != want {
				t.Fatalf("round trip:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestCommandExecutableForms(t *testing.T) {
	cases := []struct {
		name     string
		in       string
		wantArgv []string
		wantExec string
	}{
		{"string is split on spaces", `{"executable":"/apps/hive/bin/hive  -f"}`, []string{"/apps/hive/bin/hive", "-f"}, "/apps/hive/bin/hive -f"},
		{"list is kept", `{"executableAndArguments":["/bin/sh","-c","a b"]}`, []string{"/bin/sh", "-c", "a b"}, "/bin/sh -c a b"},
		{"list wins", `{"executable":"/bin/old","executableAndArguments":["/bin/new"]}`, []string{"/bin/new"}, "/bin/new"},
		{"empty list falls back to the string", `{"executable":"/bin/old x","executableAndArguments":[]}`, []string{"/bin/old", "x"}, "/bin/old x"},
		{"neither", `{}`, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c Command
			if err := json.Unmarshal([]byte(tc.in), &c); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.ExecutableAndArguments, tc.wantArgv) || c.Executable != tc.wantExec {
				t.Fatalf("got %q / %q, want %q / %q", c.ExecutableAndArguments, c.Executable, tc.wantArgv, tc.wantExec)
			}
			out := mustMarshal(t, c)
			wantExec := `"executable":null`
			if tc.wantExec != "" {
				wantExec = `"executable":"` + tc.wantExec + `"`
			}
			if !strings.Contains(out, wantExec) || !strings.Contains(out, `"checkDelay":10000`) {
				t.Fatalf("output %s lacks %s or checkDelay", out, wantExec)
			}
		})
	}
}

func TestDeprecatedResourcesApplyInDocumentOrder(t *testing.T) {
	cases := []struct {
		name             string
		in               string
		wantMem, wantCPU *int
	}{
		{"memory alone", `{"memory":100}`, ptr(100), nil},
		{"runtime alone", `{"runtime":{"resources":{"memoryMb":200,"cpu":2}}}`, ptr(200), ptr(2)},
		{"memory after runtime wins", `{"runtime":{"resources":{"memoryMb":200}},"memory":100}`, ptr(100), nil},
		{"runtime after memory resets it", `{"memory":100,"runtime":{"resources":{"cpu":4}}}`, nil, ptr(4)},
		{"cpu after runtime wins", `{"runtime":{"resources":{"cpu":4}},"cpu":8}`, nil, ptr(8)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r JobRequest
			if err := json.Unmarshal([]byte(tc.in), &r); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Memory, tc.wantMem) || !reflect.DeepEqual(int64PtrInt(r.Runtime.Resources.MemoryMb), tc.wantMem) {
				t.Fatalf("memory %v / memoryMb %v, want %v", r.Memory, r.Runtime.Resources.MemoryMb, tc.wantMem)
			}
			if !reflect.DeepEqual(r.CPU, tc.wantCPU) || !reflect.DeepEqual(r.Runtime.Resources.CPU, tc.wantCPU) {
				t.Fatalf("cpu %v / resources.cpu %v, want %v", r.CPU, r.Runtime.Resources.CPU, tc.wantCPU)
			}
		})
	}

	var c Command
	if err := json.Unmarshal([]byte(`{"runtime":{"resources":{"memoryMb":200}},"memory":100}`), &c); err != nil {
		t.Fatal(err)
	}
	if *c.Memory != 100 || *c.Runtime.Resources.MemoryMb != 100 {
		t.Fatalf("command memory %d / %d, want 100", *c.Memory, *c.Runtime.Resources.MemoryMb)
	}
}

func TestJobRequestCommandArguments(t *testing.T) {
	cases := []struct {
		name       string
		in         string
		wantJoined string
		wantOut    string // the commandArgs and commandArguments written back
	}{
		{"string", `{"commandArgs":"-c 'echo hi'"}`, "-c 'echo hi'", `"commandArgs":"-c 'echo hi'","commandArguments":null`},
		{"list", `{"commandArguments":["-c","echo hi"]}`, "-c echo hi", `"commandArgs":null,"commandArguments":["-c","echo hi"]`},
		{"empty list is kept", `{"commandArguments":[]}`, "", `"commandArgs":null,"commandArguments":[]`},
		{"neither", `{}`, "", `"commandArgs":null,"commandArguments":null`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r JobRequest
			if err := json.Unmarshal([]byte(tc.in), &r); err != nil {
				t.Fatal(err)
			}
			if got := r.JoinedCommandArgs(); got != tc.wantJoined {
				t.Fatalf("joined %q, want %q", got, tc.wantJoined)
			}
			if out := mustMarshal(t, r); !strings.Contains(out, tc.wantOut) {
				t.Fatalf("output %s lacks %s", out, tc.wantOut)
			}
		})
	}
}

func TestEnumsReadAnyCase(t *testing.T) {
	var c Cluster
	if err := json.Unmarshal([]byte(`{"status":"out_of_service"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Status != ClusterStatusOutOfService {
		t.Fatalf("status %q", c.Status)
	}
	var j JobStatusResponse
	if err := json.Unmarshal([]byte(`{"status":"Running"}`), &j); err != nil || j.Status != JobStatusRunning {
		t.Fatalf("status %q, %v", j.Status, err)
	}
	if got := mustMarshal(t, CommandStatus("inactive")); got != `"INACTIVE"` {
		t.Fatalf("marshal %s", got)
	}
}

func TestParseEnums(t *testing.T) {
	if s, err := ParseJobStatus(" killed "); err != nil || s != JobStatusKilled {
		t.Fatalf("ParseJobStatus = %q, %v", s, err)
	}
	if _, err := ParseJobStatus("DONE"); err == nil || !strings.Contains(err.Error(), "SUCCEEDED") {
		t.Fatalf("want an error listing the statuses, got %v", err)
	}
	if s, err := ParseClusterStatus("up"); err != nil || s != ClusterStatusUp {
		t.Fatalf("ParseClusterStatus = %q, %v", s, err)
	}
	if _, err := ParseCommandStatus("UP"); err == nil {
		t.Fatal("UP is not a command status")
	}
	if s, err := ParseApplicationStatus("Active"); err != nil || s != ApplicationStatusActive {
		t.Fatalf("ParseApplicationStatus = %q, %v", s, err)
	}
	if s, err := ParseArchiveStatus("no_files"); err != nil || s != ArchiveStatusNoFiles {
		t.Fatalf("ParseArchiveStatus = %q, %v", s, err)
	}
	for _, s := range []JobStatus{JobStatusSucceeded, JobStatusFailed, JobStatusKilled, JobStatusInvalid} {
		if !s.Terminal() {
			t.Fatalf("%s should be terminal", s)
		}
	}
	for _, s := range []JobStatus{JobStatusAccepted, JobStatusInit, JobStatusRunning} {
		if s.Terminal() {
			t.Fatalf("%s should not be terminal", s)
		}
	}
}

func TestMetadataNullIsNil(t *testing.T) {
	var c Cluster
	if err := json.Unmarshal([]byte(`{"metadata":null}`), &c); err != nil || c.Metadata != nil {
		t.Fatalf("metadata %q, %v", c.Metadata, err)
	}
	var j JobRequest
	if err := json.Unmarshal([]byte(`{"metadata":{"a":[1,2]}}`), &j); err != nil || string(j.Metadata) != `{"a":[1,2]}` {
		t.Fatalf("metadata %q, %v", j.Metadata, err)
	}
}

func TestLeaderResponseReadsStringOrObject(t *testing.T) {
	var l LeaderResponse
	if err := json.Unmarshal([]byte(`"10.0.0.1:8080"`), &l); err != nil || l.Leader != "10.0.0.1:8080" {
		t.Fatalf("%+v, %v", l, err)
	}
	if err := json.Unmarshal([]byte(`{"leader":"10.0.0.2:8080","leaderId":"n2"}`), &l); err != nil ||
		l != (LeaderResponse{Leader: "10.0.0.2:8080", LeaderID: "n2"}) {
		t.Fatalf("%+v, %v", l, err)
	}
}

func TestUnknownFieldsAreIgnored(t *testing.T) {
	var c Command
	in := `{"id":"x","name":"n","futureField":{"a":1},"status":"active","executable":"ls"}`
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if c.ID != "x" || c.Status != CommandStatusActive {
		t.Fatalf("%+v", c)
	}
}

func TestPatchOpWritesValueWhereRequired(t *testing.T) {
	cases := []struct {
		op   PatchOp
		want string
	}{
		{PatchOp{Op: "replace", Path: "/description"}, `{"op":"replace","path":"/description","value":null}`},
		{PatchOp{Op: "add", Path: "/tags/-", Value: "x"}, `{"op":"add","path":"/tags/-","value":"x"}`},
		{PatchOp{Op: "remove", Path: "/setupFile"}, `{"op":"remove","path":"/setupFile"}`},
		{PatchOp{Op: "move", Path: "/a", From: "/b"}, `{"op":"move","path":"/a","from":"/b"}`},
	}
	for _, tc := range cases {
		if got := mustMarshal(t, tc.op); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}
