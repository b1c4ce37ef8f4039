package runner

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/fsm"
)

// sources writes files into a directory and serves the same directory
// over HTTP.
type sources struct {
	dir string
	srv *httptest.Server
}

func newSources(t *testing.T, files map[string]string) *sources {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return &sources{dir: dir, srv: srv}
}

func (s *sources) file(name string) string { return "file://" + filepath.Join(s.dir, name) }
func (s *sources) path(name string) string { return filepath.Join(s.dir, name) }
func (s *sources) http(name string) string { return s.srv.URL + "/" + name }

func TestStagingLayout(t *testing.T) {
	src := newSources(t, map[string]string{
		"cluster.xml": "cluster config", "cluster.jar": "cluster dep", "cluster-setup.sh": "CLUSTER=1\n",
		"app.conf": "app config", "app.tar": "app dep", "app-setup.sh": "APP=1\n",
		"cmd.conf": "cmd config", "cmd.jar": "cmd dep", "cmd-setup.sh": "CMD=1\n",
		"job.conf": "job config", "query.q": "select 1;\n", "job-setup.sh": "JOB=1\n",
	})
	e := newTestEnv(t)
	r := e.runner()
	s := e.spec("stage-1", "/bin/cat")
	s.Cluster.Configs = []string{src.file("cluster.xml")}
	s.Cluster.Dependencies = []string{src.http("cluster.jar")}
	s.Cluster.SetupFile = src.path("cluster-setup.sh")
	s.Applications = []*fsm.Application{{Resource: fsm.Resource{
		ID: "spark", Configs: []string{src.http("app.conf")}, Dependencies: []string{src.file("app.tar")},
		SetupFile: src.http("app-setup.sh"),
	}}}
	s.Command.Configs = []string{src.http("cmd.conf")}
	s.Command.Dependencies = []string{src.file("cmd.jar")}
	s.Command.SetupFile = src.file("cmd-setup.sh")
	s.Job.Request.Configs = []string{src.http("job.conf")}
	s.Job.Request.Dependencies = []string{src.http("query.q")}
	s.Job.Request.SetupFile = src.file("job-setup.sh")
	// A relative argument finds the job's dependency in the working directory.
	s.Job.Request.CommandArguments = []string{"query.q"}
	r.Start(s)

	a := waitArchived(t, e.rep, "stage-1")
	if j := e.rep.job("stage-1"); j.Status != fsm.JobSucceeded {
		t.Fatalf("status %s %q", j.Status, j.StatusMsg)
	}
	if out := e.readArchived(a, "stdout"); out != "select 1;\n" {
		t.Fatalf("stdout %q", out)
	}
	for path, want := range map[string]string{
		"genie/cluster/c1/config/cluster.xml":           "cluster config",
		"genie/cluster/c1/dependencies/cluster.jar":     "cluster dep",
		"genie/cluster/c1/cluster-setup.sh":             "CLUSTER=1\n",
		"genie/applications/spark/config/app.conf":      "app config",
		"genie/applications/spark/dependencies/app.tar": "app dep",
		"genie/applications/spark/app-setup.sh":         "APP=1\n",
		"genie/command/cmd1/config/cmd.conf":            "cmd config",
		"genie/command/cmd1/dependencies/cmd.jar":       "cmd dep",
		"genie/command/cmd1/cmd-setup.sh":               "CMD=1\n",
		"genie/job/config/job.conf":                     "job config",
		"genie/job/job-setup.sh":                        "JOB=1\n",
		"query.q":                                       "select 1;\n",
	} {
		if got := e.readArchived(a, path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}

func TestStagingCreatesOnlyUsedDirectories(t *testing.T) {
	e := newTestEnv(t)
	e.conf.Archive = nil
	r := e.runner()
	r.Start(e.spec("dirs-1", "/bin/true"))
	waitArchived(t, e.rep, "dirs-1")
	ents, err := os.ReadDir(filepath.Join(r.JobDir("dirs-1"), "genie"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "exit-code" {
		t.Fatalf("genie/ holds %v", names)
	}
}

func TestFetchFailureFailsJob(t *testing.T) {
	src := newSources(t, map[string]string{"ok.jar": "ok"})
	for name, uri := range map[string]string{
		"missing-file": "file:///nonexistent/genie/missing.jar",
		"missing-http": src.http("missing.jar"),
		"no-fetcher":   "s3://bucket/key.jar",
	} {
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t)
			r := e.runner()
			s := e.spec("fetch-"+name, "/bin/echo", "must not run")
			s.Command.Dependencies = []string{src.file("ok.jar"), uri}
			r.Start(s)
			j := waitJob(t, e.rep, "fetch-"+name, fsm.JobFailed)
			if !strings.Contains(j.StatusMsg, uri) || !strings.HasPrefix(j.StatusMsg, fsm.MsgSetupFailed) {
				t.Fatalf("msg %q does not name %s", j.StatusMsg, uri)
			}
			if name == "missing-http" && !strings.Contains(j.StatusMsg, "404") {
				t.Fatalf("msg %q does not name the status", j.StatusMsg)
			}
			if j.ExitCode != nil || j.ProcessID != 0 {
				t.Fatalf("exit %v pid %d", j.ExitCode, j.ProcessID)
			}
			if a := waitArchived(t, e.rep, j.ID); a.ArchiveStatus != fsm.ArchiveArchived {
				t.Fatalf("archive %+v", a)
			}
		})
	}
}

func TestConflictingFileNamesFail(t *testing.T) {
	src := newSources(t, map[string]string{"run": "x", "a.jar": "a"})
	e := newTestEnv(t)
	r := e.runner()
	s := e.spec("conflict-1", "/bin/true")
	s.Job.Request.Dependencies = []string{src.file("run")}
	r.Start(s)
	j := waitJob(t, e.rep, "conflict-1", fsm.JobFailed)
	if !strings.Contains(j.StatusMsg, "already taken") {
		t.Fatalf("msg %q", j.StatusMsg)
	}
}

func TestSetupOrder(t *testing.T) {
	src := newSources(t, map[string]string{
		"c.sh": "echo cluster\nORDER=c\n", "a1.sh": "echo app1\nORDER=$ORDER,a1\n", "a2.sh": "echo app2\nORDER=$ORDER,a2\n",
		"cmd.sh": "echo command\nORDER=$ORDER,cmd\n", "job.sh": "echo job\nexport ORDER=$ORDER,job\n",
	})
	e := newTestEnv(t)
	r := e.runner()
	s := e.shSpec("order-1", `echo "run $ORDER"`)
	s.Cluster.SetupFile = src.file("c.sh")
	s.Applications = []*fsm.Application{
		{Resource: fsm.Resource{ID: "a1", SetupFile: src.file("a1.sh")}},
		{Resource: fsm.Resource{ID: "a2", SetupFile: src.http("a2.sh")}},
	}
	s.Command.SetupFile = src.file("cmd.sh")
	s.Job.Request.SetupFile = src.file("job.sh")
	r.Start(s)
	a := waitArchived(t, e.rep, "order-1")
	want := "cluster\napp1\napp2\ncommand\njob\nrun c,a1,a2,cmd,job\n"
	if got := e.readArchived(a, "stdout"); got != want {
		t.Fatalf("stdout %q, want %q", got, want)
	}
}

func TestFailingSetupFailsJob(t *testing.T) {
	src := newSources(t, map[string]string{
		"c.sh":   "echo cluster\n",
		"cmd.sh": "echo before\nfalse\necho after\n",
	})
	e := newTestEnv(t)
	r := e.runner()
	s := e.spec("setup-fail", "/bin/echo", "command ran")
	s.Cluster.SetupFile = src.file("c.sh")
	s.Command.SetupFile = src.file("cmd.sh")
	r.Start(s)
	j := waitJob(t, e.rep, "setup-fail", fsm.JobFailed)
	if j.ExitCode == nil || *j.ExitCode != 1 {
		t.Fatalf("exit %v", j.ExitCode)
	}
	a := waitArchived(t, e.rep, "setup-fail")
	if out := e.readArchived(a, "stdout"); out != "cluster\nbefore\n" {
		t.Fatalf("stdout %q", out)
	}
	// The exit code is on disk too, for a node that restarts.
	if code := e.readArchived(a, "genie/exit-code"); code != "1\n" {
		t.Fatalf("exit-code %q", code)
	}
}
