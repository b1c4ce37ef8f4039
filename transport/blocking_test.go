package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// getIndexed GETs path and returns the status, the X-Genie-Index and the
// body; a request that hangs past 20 s fails the test.
func getIndexed(t *testing.T, base, path string) (int, uint64, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("GET %s: %v", path, err)
		return 0, 0, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	index, _ := strconv.ParseUint(resp.Header.Get(IndexHeader), 10, 64)
	return resp.StatusCode, index, body
}

type indexedAnswer struct {
	status int
	index  uint64
	body   []byte
}

// getAsync runs getIndexed in the background.
func getAsync(t *testing.T, base, path string) <-chan indexedAnswer {
	out := make(chan indexedAnswer, 1)
	go func() {
		status, index, body := getIndexed(t, base, path)
		out <- indexedAnswer{status, index, body}
	}()
	return out
}

func receive(t *testing.T, ch <-chan indexedAnswer, what string) indexedAnswer {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: no answer", what)
		return indexedAnswer{}
	}
}

func applyJob(t *testing.T, b *fakeBackend, id string) {
	t.Helper()
	if _, err := b.Apply(context.Background(), fsm.JobSubmitRequestType, &fsm.JobSubmitRequest{Job: fsm.Job{
		ID: id, RequestHash: id, Status: fsm.JobAccepted, Node: "n1", Request: fsm.JobRequest{Name: id, User: "u"},
	}}); err != nil {
		t.Fatal(err)
	}
}

func claimJob(t *testing.T, b *fakeBackend, id string) {
	t.Helper()
	if _, err := b.Apply(context.Background(), fsm.JobTransitionRequestType, &fsm.JobTransitionRequest{
		ID: id, Node: "n1", From: []fsm.JobStatus{fsm.JobAccepted}, To: fsm.JobInit,
	}); err != nil {
		t.Fatal(err)
	}
}

func TestBlockingQueryOnAJobAnswersWhenThatJobChanges(t *testing.T) {
	b, _, srv := testAPI(t)
	applyJob(t, b, "a")
	applyJob(t, b, "b")
	status, indexA, _ := getIndexed(t, srv.URL, "/api/v3/jobs/a/status")
	_, indexB, _ := getIndexed(t, srv.URL, "/api/v3/jobs/b")
	if status != http.StatusOK || indexA == 0 || indexB <= indexA {
		t.Fatalf("status %d, index of a %d, of b %d", status, indexA, indexB)
	}

	onA := getAsync(t, srv.URL, fmt.Sprintf("/api/v3/jobs/a/status?index=%d&wait=1m", indexA))
	onB := getAsync(t, srv.URL, fmt.Sprintf("/api/v3/jobs/b?index=%d&wait=1m", indexB))
	claimJob(t, b, "b")
	// The change to b wakes the query on b; the one on a, watching only a,
	// stays asleep.
	if got := receive(t, onB, "query on b"); got.status != http.StatusOK || got.index <= indexB {
		t.Fatalf("query on b: %d, index %d after %d", got.status, got.index, indexB)
	}
	select {
	case got := <-onA:
		t.Fatalf("the query on a answered on a change to b: %+v", got)
	default:
	}

	claimJob(t, b, "a")
	got := receive(t, onA, "query on a")
	var body struct{ Status string }
	json.Unmarshal(got.body, &body)
	if got.status != http.StatusOK || got.index <= indexA || body.Status != string(fsm.JobInit) {
		t.Fatalf("query on a: %d, index %d after %d, %s", got.status, got.index, indexA, got.body)
	}
}

func TestBlockingSearchAnswersOnNewJobsAndDeletes(t *testing.T) {
	b, _, srv := testAPI(t)
	applyJob(t, b, "a")
	_, index, _ := getIndexed(t, srv.URL, "/api/v3/jobs")
	search := getAsync(t, srv.URL, fmt.Sprintf("/api/v3/jobs?index=%d&wait=1m", index))
	applyJob(t, b, "b")
	if got := receive(t, search, "job search"); got.index <= index {
		t.Fatalf("job search: index %d after %d", got.index, index)
	}

	c := fsm.Cluster{Resource: fsm.Resource{ID: "c1", Name: "c", User: "ops", Version: "1"}, Status: fsm.ClusterUp}
	if _, err := b.Apply(context.Background(), fsm.ClusterRequestType, &fsm.ClusterRequest{Op: fsm.OpCreate, Cluster: c}); err != nil {
		t.Fatal(err)
	}
	_, index, _ = getIndexed(t, srv.URL, "/api/v3/clusters")
	search = getAsync(t, srv.URL, fmt.Sprintf("/api/v3/clusters?index=%d&wait=1m", index))
	if _, err := b.Apply(context.Background(), fsm.ClusterRequestType, &fsm.ClusterRequest{Op: fsm.OpDelete, Cluster: fsm.Cluster{Resource: fsm.Resource{ID: "c1"}}}); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, search, "cluster search"); got.index <= index {
		t.Fatalf("cluster search after a delete: index %d after %d", got.index, index)
	}
}

func TestBlockingQueryWaitRunsOutWithTheSameIndex(t *testing.T) {
	b, _, srv := testAPI(t)
	applyJob(t, b, "a")
	_, index, _ := getIndexed(t, srv.URL, "/api/v3/jobs/a")
	start := time.Now()
	status, got, _ := getIndexed(t, srv.URL, fmt.Sprintf("/api/v3/jobs/a?index=%d&wait=100ms", index))
	if status != http.StatusOK || got != index {
		t.Fatalf("expired wait: %d, index %d, want 200 and %d", status, got, index)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Fatalf("answered after %s, before the wait ran out", waited)
	}
}

func TestBlockingQueryFromTheFutureAnswersAtOnce(t *testing.T) {
	b, _, srv := testAPI(t)
	applyJob(t, b, "a")
	_, index, _ := getIndexed(t, srv.URL, "/api/v3/jobs")
	// Without an answer at once, the 10-minute wait would outlast the
	// request's own 20 s limit and fail the test.
	status, got, _ := getIndexed(t, srv.URL, fmt.Sprintf("/api/v3/jobs?index=%d&wait=10m", index+1000))
	if status != http.StatusOK || got != index {
		t.Fatalf("future index: %d, index %d, want 200 and %d", status, got, index)
	}
}

func TestBlockingQueryGarbageIsA400NamingTheParameter(t *testing.T) {
	_, _, srv := testAPI(t)
	for _, tc := range []struct{ query, field string }{
		{"index=abc", "index"},
		{"index=-1", "index"},
		{"index=1.5", "index"},
		{"index=1&wait=soon", "wait"},
		{"index=1&wait=10", "wait"},
		{"index=1&wait=-1s", "wait"},
		{"wait=0s", "wait"},
	} {
		for _, path := range []string{"/api/v3/jobs", "/api/v3/jobs/x/status", "/api/v3/clusters", "/api/v3/commands/x"} {
			status, _, body := getIndexed(t, srv.URL, path+"?"+tc.query)
			var e errorBody
			if err := json.Unmarshal(body, &e); err != nil || status != http.StatusBadRequest || e.Field != tc.field {
				t.Errorf("%s?%s: %d %s, want 400 naming %s", path, tc.query, status, body, tc.field)
			}
		}
	}
}

func TestReadsCarryTheQueryHeaders(t *testing.T) {
	b, _, srv := testAPI(t)
	applyJob(t, b, "a")
	for _, path := range []string{"/api/v3/jobs", "/api/v3/jobs/a", "/api/v3/jobs/a/request", "/api/v3/clusters", "/api/v3/commands", "/api/v3/applications"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if h.Get(IndexHeader) == "" || h.Get(KnownLeaderHeader) != "true" || h.Get(LastContactHeader) != "0" {
			t.Errorf("%s: index %q, known leader %q, last contact %q", path, h.Get(IndexHeader), h.Get(KnownLeaderHeader), h.Get(LastContactHeader))
		}
	}
}

// FuzzBlockingAndFollowParams: ?index, ?wait and a follow's Range are
// read, or refused with a 400 naming them, never anything else.
func FuzzBlockingAndFollowParams(f *testing.F) {
	for _, s := range []string{"1", "0", "-1", "18446744073709551616", "5m", "10", "1h", "bytes=10-", "bytes=-5", "bytes=1-2", ""} {
		f.Add(s, s, s)
	}
	f.Fuzz(func(t *testing.T, index, wait, rangeHeader string) {
		r, err := http.NewRequest(http.MethodGet, "/api/v3/jobs", nil)
		if err != nil {
			t.Fatal(err)
		}
		q := r.URL.Query()
		q.Set("index", index)
		q.Set("wait", wait)
		r.URL.RawQuery = q.Encode()
		if _, w, err := parseBlocking(r); err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Status != http.StatusBadRequest || (re.Field != "index" && re.Field != "wait") {
				t.Fatalf("index %q wait %q: %v", index, wait, err)
			}
		} else if w <= 0 || w > maxQueryWait {
			t.Fatalf("wait %q read as %s", wait, w)
		}
		if start, err := followStart(rangeHeader); err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Status != http.StatusBadRequest || re.Field != "Range" {
				t.Fatalf("Range %q: %v", rangeHeader, err)
			}
		} else if start < 0 {
			t.Fatalf("Range %q read as %d", rangeHeader, start)
		}
	})
}

func TestJobSearchSortsBySubmissionEitherWay(t *testing.T) {
	b, c, _ := testAPI(t)
	for _, id := range []string{"a", "b", "c"} {
		applyJob(t, b, id)
	}
	for query, want := range map[string]string{
		"":                                 "c,b,a",
		"sort=created,desc":                "c,b,a",
		"sort=created,asc":                 "a,b,c",
		"sort=created,asc&status=ACCEPTED": "a,b,c",
		"status=ACCEPTED":                  "c,b,a",
		"sort=name,asc":                    "c,b,a",
	} {
		var page api.Page
		values, _ := url.ParseQuery(query)
		if _, err := c.Read(context.Background(), "/api/v3/jobs", values, 0, 0, &page); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, j := range page.Embedded.Jobs {
			ids = append(ids, j.ID)
		}
		if got := strings.Join(ids, ","); got != want {
			t.Errorf("?%s: %s, want %s", query, got, want)
		}
	}
}
