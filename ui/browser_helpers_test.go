package ui_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/node"
)

// browser starts a headless Chromium for the test and fails the test,
// when it ends, on any console error or uncaught exception a page had.
// Without Chromium the test is skipped, except in CI, where it fails.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("the browser tests need Chromium (apt-get install chromium); CI installs it")
		}
		t.Skip("no Chromium here: apt-get install chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1400, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}

	var mu sync.Mutex
	var problems []string
	done := make(chan struct{})
	messages := chromedp.Console(ctx)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
				mu.Unlock()
			}
		}
	}()
	// Confirmations (the kill button's) are accepted, as a person would.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("browser console: %s", p)
		}
	})
	return ctx
}

// do runs steps in the browser, failing the test on an error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// navigate loads url. Chromium abandons a load when the machine's network
// interfaces change (containers starting elsewhere): that load is retried.
func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		err := chromedp.Do(ctx, chromedp.Navigate(url))
		if err == nil {
			return
		}
		if attempt < 5 && strings.Contains(err.Error(), "ERR_NETWORK_CHANGED") {
			continue
		}
		t.Fatalf("load %s: %v", url, err)
	}
}

// waitTrue waits until the JavaScript expression is true on the page.
// A navigation (a form's answer, a redirect) ends a poll in the page it
// left; the wait goes on in the next one.
func waitTrue(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	// A click that navigates lets the poll run on a page still loading, where
	// the elements expr reads are not there yet: that is "not yet", not an error.
	guarded := "(() => { try { return !!(" + expr + "); } catch (e) { return false; } })()"
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](guarded, chromedp.WithPollingTimeout(time.Until(deadline)), chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil {
			return
		}
		msg := err.Error()
		if time.Now().Before(deadline) && (strings.Contains(msg, "navigated or closed") || strings.Contains(msg, "Cannot find context")) {
			continue
		}
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText.slice(0, 2000) : ''"))
		t.Fatalf("waiting for %s: %v\npage text:\n%s", what, err, text)
	}
}

// eval evaluates a JavaScript expression on the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshot saves the page under .tmp/, or under docs/ with
// GENIE_UPDATE_SCREENSHOTS=1 (the README shows those).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", ".tmp")
	if os.Getenv("GENIE_UPDATE_SCREENSHOTS") == "1" {
		dir = filepath.Join("..", "docs")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ui-"+name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// markPage sets a marker on the page's window: a reload would lose it.
func markPage(t *testing.T, ctx context.Context) {
	t.Helper()
	eval[bool](t, ctx, "window.__genieNoReload = true")
}

func requireNoReload(t *testing.T, ctx context.Context) {
	t.Helper()
	if !eval[bool](t, ctx, "window.__genieNoReload === true") {
		t.Fatal("the page reloaded")
	}
}

func client(t testing.TB, n *node.Node, secret string) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: n.URL(), Token: secret})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func register(t testing.TB, c *api.Client) { node.RegisterShell(t, c) }

func shellJob(name, user, script string) *api.JobRequest {
	return node.ShellRequest(name, user, script)
}

func submit(t testing.TB, c *api.Client, req *api.JobRequest) string {
	t.Helper()
	return node.Submit(t, c, req)
}

// aclNode starts a node with ACLs on and returns it with an admin client
// and the admin token's secret.
func aclNode(t *testing.T) (*node.Node, *api.Client, string) {
	t.Helper()
	n := node.MakeNode(t, func(cfg *node.Config) { cfg.ACLEnabled = true })
	boot, err := client(t, n, "").ACL().Bootstrap(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	admin := client(t, n, boot.SecretID)
	register(t, admin)
	return n, admin, boot.SecretID
}

// waitStatus waits until the job has status want.
func waitStatus(t testing.TB, c *api.Client, id string, want api.JobStatus) {
	t.Helper()
	node.WaitFor(t, 60*time.Second, fmt.Sprintf("job %s to be %s", id, want), func() bool {
		st, err := c.Jobs().Status(context.Background(), id)
		if err == nil && st.Terminal() && st != want {
			t.Fatalf("job %s ended %s, want %s", id, st, want)
		}
		return err == nil && st == want
	})
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
