package transport

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// FuzzOutputPath feeds arbitrary paths, Range and Accept headers and methods.
// Beside the job directory lies a sentinel file (also the target of links
// inside it); its content must never appear in any response.
func FuzzOutputPath(f *testing.F) {
	root, _ := outputTestDir(f)
	fsys := os.DirFS(root)

	for _, seed := range []struct {
		path, rng, accept string
		head              bool
	}{
		{"", "", "", false},
		{"", "", "text/html", false},
		{"stdout", "bytes=0-3", "", false},
		{"digits", "bytes=0-1,5-6,-2", "", true},
		{"digits", "bytes=99-", "", false},
		{"digits", "bytes=-0", "", false},
		{"digits", "bytes=0-0,0-0,0-0", "", false},
		{"genie/logs/", "", "text/html;q=0.1", false},
		{"../sentinel.txt", "bytes=0-", "", false},
		{"%2e%2e/sentinel.txt", "", "", false},
		{"/etc/passwd", "", "", false},
		{"a/../../sentinel.txt", "", "", false},
		{"link-out", "bytes=0-", "", false},
		{"link-in", "", "", false},
		{"dir-link/sentinel.txt", "", "", false},
		{"dir-link/", "", "text/html", false},
		{"genie/./logs//agent.log", "bytes=3-", "", false},
		{"stdout\x00", "", "", false},
		{"<b>&\"x", "", "text/html", false},
	} {
		f.Add(seed.path, seed.rng, seed.accept, seed.head)
	}

	f.Fuzz(func(t *testing.T, p, rng, accept string, head bool) {
		method := http.MethodGet
		if head {
			method = http.MethodHead
		}
		r := httptest.NewRequest(method, "/api/v3/jobs/job-1/output/x", nil)
		if rng != "" {
			r.Header["Range"] = []string{rng}
		}
		if accept != "" {
			r.Header["Accept"] = []string{accept}
		}
		w := httptest.NewRecorder()
		ServeOutput(w, r, OutputRequest{FS: fsys, Path: p, BaseURL: outputTestBase})

		if w.Code >= 500 {
			t.Fatalf("path %q range %q accept %q: status %d, body %q", p, rng, accept, w.Code, w.Body.String())
		}
		if strings.Contains(w.Body.String(), outputTestSentinel) {
			t.Fatalf("path %q range %q: sentinel content served", p, rng)
		}
		for k, vs := range w.Header() {
			for _, v := range vs {
				if strings.Contains(v, outputTestSentinel) {
					t.Fatalf("path %q: sentinel content in header %s", p, k)
				}
			}
		}
		if head && w.Body.Len() != 0 {
			t.Fatalf("HEAD %q: body %q", p, w.Body.String())
		}
		if w.Code == http.StatusRequestedRangeNotSatisfiable &&
			(w.Body.Len() != 0 || w.Header().Get("Content-Length") != "0" ||
				!strings.HasPrefix(w.Header().Get("Content-Range"), "bytes */")) {
			t.Fatalf("416 for %q %q: body %q, headers %v", p, rng, w.Body.String(), w.Header())
		}
		// Only an entry below the root can answer 200/206; ".." never does.
		if w.Code < 300 {
			for _, seg := range strings.Split(p, "/") {
				if seg == ".." {
					t.Fatalf("path %q with .. answered %d", p, w.Code)
				}
			}
		}
	})
}
