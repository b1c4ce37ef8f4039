// Package ui serves genie's web UI: pages rendered on the server from
// html/template, embedded in the binary, with a little plain JavaScript
// for the live parts (blocking queries and followed output). The pages
// read and write through the node's own API, in process, with the
// visitor's token, so they see and may do exactly what the API allows.
package ui

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genie-cluster/genie/api"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the UI.
type Config struct {
	// API is the node's API handler; the pages call it in process.
	API http.Handler
	// ACLEnabled makes every page ask for a signed-in session.
	ACLEnabled bool
	// Logger, when set, logs pages that fail.
	Logger hclog.Logger
}

// UI is the web UI's handler: /ui/ and the paths of Genie's UI.
type UI struct {
	api        http.Handler
	aclEnabled bool
	logger     hclog.Logger
	pages      map[string]*template.Template
	mux        *http.ServeMux
}

// New returns the UI over cfg.API.
func New(cfg *Config) (*UI, error) {
	if cfg.API == nil {
		return nil, errors.New("ui: no API handler")
	}
	u := &UI{api: cfg.API, aclEnabled: cfg.ACLEnabled, logger: cfg.Logger, mux: http.NewServeMux()}
	if u.logger == nil {
		u.logger = hclog.NewNullLogger()
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	u.pages = pages
	u.routes()
	return u, nil
}

func (u *UI) routes() {
	static, _ := fs.Sub(staticFS, "static")
	u.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
	u.mux.HandleFunc("GET /ui/sign-in", u.signInPage)
	u.mux.HandleFunc("POST /ui/sign-in", u.signIn)
	u.mux.HandleFunc("POST /ui/sign-out", u.signOut)

	toJobs := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/jobs", http.StatusFound)
	}
	u.mux.HandleFunc("GET /ui/{$}", toJobs)
	u.mux.HandleFunc("GET /ui", toJobs)
	u.page("GET /ui/jobs", u.jobsPage)
	u.page("GET /ui/jobs/{id}", u.jobPage)
	u.page("POST /ui/jobs/{id}/kill", u.killJob)
	u.page("GET /ui/jobs/{id}/output", u.outputPage)
	u.page("GET /ui/jobs/{id}/output/{path...}", u.outputPage)
	for _, k := range kinds {
		u.page("GET /ui/"+k.plural, u.resourcesPage(k))
		u.page("GET /ui/"+k.plural+"/{id}", u.resourcePage(k))
	}
	u.page("GET /ui/nodes", u.nodesPage)

	// Genie's UI paths, so links Genie clients print lead somewhere.
	u.mux.HandleFunc("GET /{$}", toJobs)
	u.mux.HandleFunc("GET /jobs", u.genieJobs)
	u.mux.HandleFunc("GET /output/{id}/output", u.genieOutput)
	u.mux.HandleFunc("GET /output/{id}/output/{path...}", u.genieOutput)
	u.mux.HandleFunc("/file/{id}/{rest...}", u.genieFile)
}

// ServeHTTP answers the UI's paths.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mux.ServeHTTP(w, r)
}

// Handles reports whether the UI answers r's path: the node sends the rest
// to the API.
func (u *UI) Handles(r *http.Request) bool {
	p := r.URL.Path
	return p == "/" || p == "/ui" || strings.HasPrefix(p, "/ui/") || p == "/jobs" ||
		strings.HasPrefix(p, "/output/") || strings.HasPrefix(p, "/file/")
}

// visit is one page request: the visitor's API client and what they may do.
type visit struct {
	r      *http.Request
	client *api.Client
	secret string
	// user and role of the token; role is "" with ACLs off (all allowed).
	user string
	role string
}

// canKill reports whether the visitor may kill a job of user owner.
func (v *visit) canKill(owner string) bool {
	switch v.role {
	case "", "admin":
		return true
	case "user":
		return v.user == owner
	}
	return false
}

// canReadOutput reports whether the visitor may read the output of a job
// of user owner: its owner, or an admin (the API's rule).
func (v *visit) canReadOutput(owner string) bool {
	return v.canKill(owner)
}

// csrf is the token the visitor's forms and scripts send with changes.
func (v *visit) csrf() string {
	if v.secret == "" {
		return ""
	}
	return csrfToken(v.secret)
}

// page registers a page that needs a visit: with ACLs on and no session,
// the visitor is sent to sign in first.
func (u *UI) page(pattern string, fn func(http.ResponseWriter, *visit) error) {
	u.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		v, err := u.newVisit(r)
		if err != nil {
			u.signInRedirect(w, r, err)
			return
		}
		if err := fn(w, v); err != nil {
			u.fail(w, v, err)
		}
	})
}

// fail renders err as an error page with the status the API gave it.
func (u *UI) fail(w http.ResponseWriter, v *visit, err error) {
	if errors.Is(err, context.Canceled) || v.r.Context().Err() != nil {
		// The visitor left (a live request ends when its page does).
		return
	}
	status := http.StatusInternalServerError
	var se *api.StatusError
	if errors.As(err, &se) {
		status = se.Code
		if status == http.StatusUnauthorized {
			u.signInRedirect(w, v.r, err)
			return
		}
	}
	if status >= 500 {
		u.logger.Warn("page failed", "path", v.r.URL.Path, "error", err)
	}
	u.render(w, v, status, "error", "Error", map[string]any{"Status": status, "StatusText": http.StatusText(status), "Message": errorMessage(err)})
}

func errorMessage(err error) string {
	var se *api.StatusError
	if errors.As(err, &se) && se.Message != "" {
		return se.Message
	}
	return err.Error()
}

// render writes page name in the layout with data, or, for a fragment
// request (the live parts' own requests), the named fragment alone.
func (u *UI) render(w http.ResponseWriter, v *visit, status int, name, title string, data map[string]any) {
	t, ok := u.pages[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Title"] = title
	data["Page"] = name
	data["CSRF"] = v.csrf()
	data["CSRFField"] = csrfField
	data["SignedIn"] = v.secret != ""
	data["User"] = v.user
	data["Role"] = v.role
	data["Path"] = v.r.URL.Path
	root := "layout"
	if frag := v.r.URL.Query().Get("fragment"); frag != "" {
		if t.Lookup("fragment-"+frag) == nil {
			http.Error(w, "no fragment "+frag, http.StatusBadRequest)
			return
		}
		root = "fragment-" + frag
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, root, data); err != nil {
		u.logger.Error("render page", "page", name, "error", err)
		http.Error(w, "cannot render the page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	// Everything the pages use comes from this node: no inline script,
	// no other origin.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	if idx, ok := data["Index"].(uint64); ok {
		h.Set("X-Genie-Index", fmt.Sprint(idx))
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// liveWait is how long a fragment request blocks at most: the page asks
// again at once after, so the figure only bounds idle connections.
const liveWait = 5 * time.Minute

// liveIndex reads the ?index a page's live request (a fragment) sends
// back: 0 means answer at once, as for a page's first view, which never
// waits.
func liveIndex(r *http.Request) uint64 {
	q := r.URL.Query()
	if q.Get("fragment") == "" {
		return 0
	}
	idx, _ := strconv.ParseUint(q.Get("index"), 10, 64)
	return idx
}

// withoutLive is q without the live requests' own parameters, for the
// filters a page passes to the API.
func withoutLive(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		switch k {
		case "index", "fragment":
		default:
			out[k] = vs
		}
	}
	return out
}
