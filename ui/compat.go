package ui

import (
	"net/http"
	"net/url"
	"strings"
)

// genieJobs answers Genie's UI link /jobs?id=ID with the job's page, and
// any other /jobs search with the jobs page.
func (u *UI) genieJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if id := q.Get("id"); id != "" && len(q) == 1 {
		http.Redirect(w, r, "/ui/jobs/"+url.PathEscape(id), http.StatusFound)
		return
	}
	target := "/ui/jobs"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// genieOutput answers Genie's UI output browser path.
func (u *UI) genieOutput(w http.ResponseWriter, r *http.Request) {
	target := "/ui/jobs/" + url.PathEscape(r.PathValue("id")) + "/output/" + escapePath(r.PathValue("path"))
	if r.PathValue("path") == "" {
		target = strings.TrimSuffix(target, "/") + "/"
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// genieFile answers /file/{id}/** exactly as /api/v3/jobs/{id}/** does, as
// Genie's UI controller forwards it: Genie's clients print
// /file/{id}/output/stdout.
func (u *UI) genieFile(w http.ResponseWriter, r *http.Request) {
	r2 := r.Clone(r.Context())
	u2 := *r.URL
	u2.Path = "/api/v3/jobs/" + r.PathValue("id") + "/" + r.PathValue("rest")
	u2.RawPath = ""
	r2.URL = &u2
	r2.RequestURI = u2.RequestURI()
	u.api.ServeHTTP(w, r2)
}
