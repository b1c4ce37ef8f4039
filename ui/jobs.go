package ui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/genie-cluster/genie/api"
)

// jobFilters are Genie's job search filters, in the URL as the API takes
// them, so a page's link shares the search.
var jobFilters = []struct {
	Name, Label, Kind string
}{
	{"id", "Id", "text"},
	{"name", "Name (% is a wildcard)", "text"},
	{"user", "User", "text"},
	{"tag", "Tag", "text"},
	{"clusterName", "Cluster name", "text"},
	{"clusterId", "Cluster id", "text"},
	{"commandName", "Command name", "text"},
	{"commandId", "Command id", "text"},
	{"grouping", "Grouping", "text"},
	{"groupingInstance", "Grouping instance", "text"},
	{"minStarted", "Started after", "datetime-local"},
	{"maxStarted", "Started before", "datetime-local"},
	{"minFinished", "Finished after", "datetime-local"},
	{"maxFinished", "Finished before", "datetime-local"},
}

var jobStatuses = []string{"ACCEPTED", "INIT", "RUNNING", "SUCCEEDED", "FAILED", "KILLED", "INVALID"}

type filterField struct {
	Name, Label, Kind, Value string
}

type jobRow struct {
	api.JobSearchResult
	Active bool
}

// jobsPage is the jobs search. Its rows also come alone (?fragment=rows)
// as the answer to the page's blocking query, rendered by the same
// template.
func (u *UI) jobsPage(w http.ResponseWriter, v *visit) error {
	q := withoutLive(v.r.URL.Query())
	apiQuery, err := jobSearchQuery(q)
	if err != nil {
		return err
	}
	var page api.Page
	meta, err := v.client.Read(v.r.Context(), "/api/v3/jobs", apiQuery, liveIndex(v.r), liveWait, &page)
	if err != nil {
		return err
	}
	var rows []jobRow
	if page.Embedded != nil {
		for _, j := range page.Embedded.Jobs {
			rows = append(rows, jobRow{JobSearchResult: j, Active: !j.Status.Terminal()})
		}
	}
	var fields []filterField
	for _, f := range jobFilters {
		fields = append(fields, filterField{Name: f.Name, Label: f.Label, Kind: f.Kind, Value: q.Get(f.Name)})
	}
	selected := map[string]bool{}
	for _, s := range q["status"] {
		for _, one := range strings.Split(s, ",") {
			selected[strings.ToUpper(strings.TrimSpace(one))] = true
		}
	}
	u.render(w, v, http.StatusOK, "jobs", "Jobs", map[string]any{
		"Rows":     rows,
		"Filters":  fields,
		"Statuses": jobStatuses,
		"Selected": selected,
		"Size":     q.Get("size"),
		"Sort":     q.Get("sort"),
		"Meta":     page.Page,
		"Prev":     pageLink(v.r.URL.Path, q, page.Page.Number-1, page.Page.TotalPages),
		"Next":     pageLink(v.r.URL.Path, q, page.Page.Number+1, page.Page.TotalPages),
		"Index":    meta.LastIndex,
		"Query":    q.Encode(),
	})
	return nil
}

// jobSearchQuery turns the page's filters into the API's: the time
// filters come from datetime-local fields (UTC) or as epoch milliseconds.
func jobSearchQuery(q url.Values) (url.Values, error) {
	out := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			switch k {
			case "minStarted", "maxStarted", "minFinished", "maxFinished":
				ms, err := epochMillis(v)
				if err != nil {
					return nil, &api.StatusError{Code: http.StatusBadRequest, Field: k, Message: k + ": a date and time such as 2026-12-03T14:00, or epoch milliseconds, not " + strconv.Quote(v)}
				}
				v = strconv.FormatInt(ms, 10)
			}
			out.Add(k, v)
		}
	}
	return out, nil
}

func epochMillis(v string) (int64, error) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return ms, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, strconv.ErrSyntax
}

// pageLink is the URL of page number n of the same search, "" past the ends.
func pageLink(path string, q url.Values, n, total int) string {
	if n < 0 || n >= total {
		return ""
	}
	out := url.Values{}
	for k, vs := range q {
		out[k] = vs
	}
	out.Set("page", strconv.Itoa(n))
	return path + "?" + out.Encode()
}

// jobView is everything the job page shows.
type jobView struct {
	Job         *api.Job
	Request     *api.JobRequest
	Execution   *api.JobExecution
	Metadata    *api.JobMetadata
	Cluster     *api.Cluster
	Command     *api.Command
	Apps        []api.Application
	Active      bool
	CanKill     bool
	CanRead     bool
	Files       map[string]int64 // size of stdout and stderr, when known
	ExitCode    string
	OutputLimit int
}

// tailChars is how much of stdout and stderr the job page shows.
const tailChars = 50000

// jobPage shows one job. Its status part also comes alone
// (?fragment=status) as the answer to the page's blocking query.
func (u *UI) jobPage(w http.ResponseWriter, v *visit) error {
	id := v.r.PathValue("id")
	ctx := v.r.Context()
	var job api.Job
	meta, err := v.client.Read(ctx, "/api/v3/jobs/"+url.PathEscape(id), nil, liveIndex(v.r), liveWait, &job)
	if err != nil {
		return err
	}
	view := &jobView{Job: &job, Active: !job.Status.Terminal(), OutputLimit: tailChars}
	view.CanKill = view.Active && v.canKill(job.User)
	view.CanRead = v.canReadOutput(job.User)
	jobs := v.client.Jobs()
	if view.Execution, err = jobs.Execution(ctx, id); err != nil {
		return err
	}
	if view.Execution.ExitCode != nil {
		view.ExitCode = strconv.Itoa(*view.Execution.ExitCode)
	}
	if v.r.URL.Query().Get("fragment") == "" {
		if view.Request, err = jobs.Request(ctx, id); err != nil {
			return err
		}
		if view.Metadata, err = jobs.Metadata(ctx, id); err != nil {
			return err
		}
		view.Cluster, _ = jobs.Cluster(ctx, id)
		view.Command, _ = jobs.Command(ctx, id)
		view.Apps, _ = jobs.Applications(ctx, id)
		if view.CanRead {
			view.Files = outputSizes(ctx, jobs, id)
		}
	}
	u.render(w, v, http.StatusOK, "job", "Job "+job.Name, map[string]any{"V": view, "Index": meta.LastIndex})
	return nil
}

// outputSizes reads the sizes of stdout and stderr, for the page to follow
// their last characters; a job without output yet has none.
func outputSizes(ctx context.Context, jobs *api.Jobs, id string) map[string]int64 {
	sizes := map[string]int64{}
	listing, err := jobs.OutputListing(ctx, id, "")
	if err != nil {
		return sizes
	}
	for _, f := range listing.Files {
		if f.Name == "stdout" || f.Name == "stderr" {
			sizes[f.Name] = f.Size
		}
	}
	return sizes
}

// killJob is the kill button's form: it needs the session's CSRF token.
func (u *UI) killJob(w http.ResponseWriter, v *visit) error {
	if err := v.checkCSRF(); err != nil {
		return err
	}
	id := v.r.PathValue("id")
	if err := v.client.Jobs().Kill(v.r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, v.r, "/ui/jobs/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}
