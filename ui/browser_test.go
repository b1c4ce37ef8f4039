package ui_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/node"
)

// rowStatus is the JavaScript for the status a job's row shows.
func rowStatus(id string) string {
	return "(document.querySelector('tr[data-job=\"" + id + "\"]') || {dataset: {}}).dataset.status"
}

const pageStatus = "(document.querySelector('.status-line .status') || {}).textContent"

func TestJobsPageFollowsAJobWithoutAReload(t *testing.T) {
	n := node.MakeNode(t, nil)
	c := client(t, n, "")
	register(t, c)
	marker := filepath.Join(node.PassableTempDir(t), "go-on")
	ctx := browser(t)
	navigate(t, ctx, n.URL()+"/ui/jobs")
	markPage(t, ctx)

	id := submit(t, c, shellJob("waits", "alice", "while [ ! -f "+marker+" ]; do sleep 0.05; done; echo done"))
	waitTrue(t, ctx, "the new job RUNNING on the page", rowStatus(id)+" === 'RUNNING'")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, ctx, "the job SUCCEEDED on the page", rowStatus(id)+" === 'SUCCEEDED'")
	requireNoReload(t, ctx)
	screenshot(t, ctx, "jobs")
}

func TestJobPageFollowsStdoutLive(t *testing.T) {
	n := node.MakeNode(t, nil)
	c := client(t, n, "")
	register(t, c)
	ctx := browser(t)
	id := submit(t, c, shellJob("ticks", "alice", "for i in 1 2 3 4 5; do echo tick $i; sleep 1; done"))
	navigate(t, ctx, n.URL()+"/ui/jobs/"+id)
	markPage(t, ctx)
	stdout := "document.querySelector('pre[data-follow$=\"/stdout\"]').textContent"
	// Part of the output while the job still writes the rest: followed live.
	waitTrue(t, ctx, "the first ticks while the job runs", stdout+".includes('tick 2') && !"+stdout+".includes('tick 5')")
	waitTrue(t, ctx, "every tick", stdout+" === 'tick 1\\ntick 2\\ntick 3\\ntick 4\\ntick 5\\n'")
	waitTrue(t, ctx, "SUCCEEDED on the page", pageStatus+" === 'SUCCEEDED'")
	requireNoReload(t, ctx)
	// The picture shows the output; the archive's location above it is
	// the test's temporary directory.
	eval[bool](t, ctx, "(window.scrollTo(0, document.getElementById('res-h').offsetTop - 16), true)")
	screenshot(t, ctx, "job")
}

func TestKillButtonKillsARunningJob(t *testing.T) {
	n := node.MakeNode(t, nil)
	c := client(t, n, "")
	register(t, c)
	ctx := browser(t)
	id := submit(t, c, shellJob("sleeper", "alice", "sleep 300"))
	waitStatus(t, c, id, api.JobStatusRunning)
	exec, err := c.Jobs().Execution(context.Background(), id)
	if err != nil || exec.ProcessID == nil {
		t.Fatalf("execution: %+v, %v", exec, err)
	}
	pid := *exec.ProcessID
	navigate(t, ctx, n.URL()+"/ui/jobs/"+id)
	waitTrue(t, ctx, "RUNNING on the page", pageStatus+" === 'RUNNING'")
	do(t, ctx, chromedp.Click(chromedp.CSS("form.kill button")))
	waitTrue(t, ctx, "KILLED on the page", pageStatus+" === 'KILLED'")
	if got := eval[int](t, ctx, "document.querySelectorAll('form.kill').length"); got != 0 {
		t.Fatal("a finished job still has a kill button")
	}
	screenshot(t, ctx, "killed")
	node.WaitFor(t, 30*time.Second, fmt.Sprintf("process group %d to be gone", pid), func() bool {
		return syscall.Kill(-pid, 0) != nil && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
	})
}

func TestOutputBrowserGoesIntoGenieAndBack(t *testing.T) {
	n := node.MakeNode(t, nil)
	c := client(t, n, "")
	register(t, c)
	id := submit(t, c, shellJob("hello", "alice", "echo hello"))
	waitStatus(t, c, id, api.JobStatusSucceeded)
	ctx := browser(t)
	navigate(t, ctx, n.URL()+"/ui/jobs/"+id+"/output/")
	waitTrue(t, ctx, "the listing", "[...document.querySelectorAll('tr.file a')].some(a => a.textContent === 'stdout')")
	do(t, ctx, chromedp.Click(chromedp.CSS("tr.dir a[href$='/output/genie/']")))
	waitTrue(t, ctx, "the genie/ directory", "location.pathname.endsWith('/output/genie/') && document.querySelectorAll('.breadcrumbs li').length === 2")
	screenshot(t, ctx, "output")
	do(t, ctx, chromedp.Click(chromedp.CSS(".breadcrumbs li:first-child a")))
	waitTrue(t, ctx, "back at the top", "location.pathname.endsWith('/output/') && [...document.querySelectorAll('tr.file a')].some(a => a.textContent === 'stdout')")
	do(t, ctx, chromedp.Click(chromedp.CSS("tr.file a[href$='/output/stdout']")))
	waitTrue(t, ctx, "stdout as text", "document.querySelector('pre.output').textContent === 'hello\\n'")
}

func TestJobsFilterInTheURLSelectsTheJobs(t *testing.T) {
	n := node.MakeNode(t, nil)
	c := client(t, n, "")
	register(t, c)
	alpha := submit(t, c, shellJob("alpha-1", "u1", "true"))
	beta := submit(t, c, shellJob("beta-1", "u2", "true"))
	gamma := submit(t, c, shellJob("alpha-2", "u2", "exit 3"))
	waitStatus(t, c, alpha, api.JobStatusSucceeded)
	waitStatus(t, c, beta, api.JobStatusSucceeded)
	waitStatus(t, c, gamma, api.JobStatusFailed)
	ctx := browser(t)
	rows := "[...document.querySelectorAll('tr[data-job]')].map(r => r.dataset.job).sort().join(',')"
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"name=alpha%25", []string{alpha, gamma}},
		{"user=u2&status=SUCCEEDED", []string{beta}},
		{"status=FAILED", []string{gamma}},
		{"id=" + beta, []string{beta}},
	} {
		navigate(t, ctx, n.URL()+"/ui/jobs?"+tc.query)
		want := append([]string(nil), tc.want...)
		sort.Strings(want)
		if got := eval[string](t, ctx, rows); got != strings.Join(want, ",") {
			t.Errorf("/ui/jobs?%s shows %s, want %s", tc.query, got, strings.Join(want, ","))
		}
	}
	// And the order: oldest first when the URL asks.
	navigate(t, ctx, n.URL()+"/ui/jobs?sort=created,asc")
	if got := eval[string](t, ctx, "[...document.querySelectorAll('tr[data-job]')].map(r => r.dataset.job).join(',')"); got != strings.Join([]string{alpha, beta, gamma}, ",") {
		t.Errorf("oldest first: %s", got)
	}
	// The form shows the filters the URL holds.
	navigate(t, ctx, n.URL()+"/ui/jobs?user=u2&status=FAILED")
	if got := eval[string](t, ctx, "document.querySelector('input[name=user]').value + '/' + document.querySelector('input[name=status][value=FAILED]').checked"); got != "u2/true" {
		t.Errorf("filter form: %s", got)
	}
	screenshot(t, ctx, "filtered")
}

func TestNodesPageShowsThreeNodesAndTheLeader(t *testing.T) {
	cl := node.MakeCluster(t, 3, nil)
	leader := cl.WaitForLeader()
	follower := cl.Followers()[0]
	ctx := browser(t)
	navigate(t, ctx, follower.URL()+"/ui/nodes")
	waitTrue(t, ctx, "three members and the leader",
		"document.querySelectorAll('tr[data-node]').length === 3 && document.querySelector('[data-leader]').textContent === "+jsString(leader.Name()))
	screenshot(t, ctx, "nodes")
}

func TestSignInKillButtonOnlyOnOwnJobsAndSignOut(t *testing.T) {
	n, admin, _ := aclNode(t)
	secrets := map[string]string{}
	for _, user := range []string{"alice", "bob"} {
		tok, err := admin.ACL().CreateToken(context.Background(), &api.ACLTokenCreateRequest{Name: user, User: user, Role: "user"})
		if err != nil {
			t.Fatal(err)
		}
		secrets[user] = tok.SecretID
	}
	own := submit(t, client(t, n, secrets["alice"]), shellJob("mine", "", "sleep 300"))
	other := submit(t, client(t, n, secrets["bob"]), shellJob("bobs", "", "sleep 300"))
	for _, id := range []string{own, other} {
		waitStatus(t, admin, id, api.JobStatusRunning)
	}

	ctx := browser(t)
	navigate(t, ctx, n.URL()+"/ui/jobs/"+own)
	waitTrue(t, ctx, "the sign-in page", "location.pathname === '/ui/sign-in'")
	screenshot(t, ctx, "sign-in")
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("token"), secrets["alice"]),
		chromedp.Submit(chromedp.ID("token")),
	)
	waitTrue(t, ctx, "alice's job after sign-in", "location.pathname === "+jsString("/ui/jobs/"+own)+" && document.querySelector('form.session') !== null")
	if got := eval[string](t, ctx, "document.querySelector('form.session strong').textContent"); got != "alice" {
		t.Fatalf("signed in as %q", got)
	}
	waitTrue(t, ctx, "a kill button on her own job", "document.querySelectorAll('form.kill').length === 1")
	navigate(t, ctx, n.URL()+"/ui/jobs/"+other)
	waitTrue(t, ctx, "bob's job", pageStatus+" === 'RUNNING'")
	if got := eval[int](t, ctx, "document.querySelectorAll('form.kill').length"); got != 0 {
		t.Fatal("a kill button on another user's job")
	}
	// The session's cookie is out of the scripts' reach.
	if got := eval[string](t, ctx, "document.cookie"); strings.Contains(got, secrets["alice"]) {
		t.Fatal("the session's token is readable from the page")
	}

	do(t, ctx, chromedp.Click(chromedp.CSS("form.session button")))
	waitTrue(t, ctx, "the sign-in page after sign-out", "location.pathname === '/ui/sign-in'")
	navigate(t, ctx, n.URL()+"/ui/jobs")
	waitTrue(t, ctx, "sign-in asked again", "location.pathname === '/ui/sign-in'")
	if st, _ := admin.Jobs().Status(context.Background(), own); st != api.JobStatusRunning {
		t.Fatalf("alice's job is %s", st)
	}
}

func TestEveryPageLoadsWithoutConsoleErrors(t *testing.T) {
	n := node.MakeNode(t, nil)
	c := client(t, n, "")
	register(t, c)
	if _, err := c.Applications().Create(context.Background(), &api.Application{ID: "spark", Name: "spark", User: "ops", Version: "3", Status: api.ApplicationStatusActive, Type: "spark"}); err != nil {
		t.Fatal(err)
	}
	id := submit(t, c, shellJob("hello", "alice", "echo hello; echo oops >&2"))
	waitStatus(t, c, id, api.JobStatusSucceeded)
	ctx := browser(t)
	for _, p := range []struct{ path, heading string }{
		{"/", "Jobs"},
		{"/ui", "Jobs"},
		{"/ui/jobs", "Jobs"},
		{"/ui/jobs/" + id, "hello"},
		{"/ui/jobs/" + id + "/output/", "Output"},
		{"/ui/jobs/" + id + "/output/genie/", "Output"},
		{"/ui/jobs/" + id + "/output/stderr", "stderr"},
		{"/ui/clusters", "Clusters"},
		{"/ui/clusters/local", "local"},
		{"/ui/commands", "Commands"},
		{"/ui/commands/sh", "sh"},
		{"/ui/applications", "Applications"},
		{"/ui/applications/spark", "spark"},
		{"/ui/nodes", "Nodes"},
		{"/ui/sign-in", "Sign in"},
		{"/jobs?id=" + id, "hello"},
		{"/output/" + id + "/output", "Output"},
	} {
		navigate(t, ctx, n.URL()+p.path)
		h1 := eval[string](t, ctx, "(document.querySelector('h1') || {}).textContent || ''")
		if !strings.HasPrefix(strings.TrimSpace(h1), p.heading) {
			t.Errorf("%s: heading %q, want %q", p.path, h1, p.heading)
		}
		// Every form field has a label.
		if unlabeled := eval[int](t, ctx, "[...document.querySelectorAll('input:not([type=hidden]), select')].filter(e => !e.closest('label') && !(e.id && document.querySelector('label[for=\"' + e.id + '\"]'))).length"); unlabeled != 0 {
			t.Errorf("%s: %d form fields without a label", p.path, unlabeled)
		}
	}
	// A page for what does not exist says so, with its status (the browser
	// logs any 404 it loads, so this one is read without it).
	resp, err := http.Get(n.URL() + "/ui/jobs/nope")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "<h1>404 Not Found</h1>") {
		t.Errorf("/ui/jobs/nope: %d %s", resp.StatusCode, body)
	}

	navigate(t, ctx, n.URL()+"/ui/commands/sh")
	screenshot(t, ctx, "command")

	// Genie clients print /file/{id}/output/stdout: it answers as the API.
	navigate(t, ctx, n.URL()+"/file/"+id+"/output/stdout")
	if got := eval[string](t, ctx, "document.body.innerText"); strings.TrimSpace(got) != "hello" {
		t.Errorf("/file/%s/output/stdout: %q", id, got)
	}
}
