package transport

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/fsm"
)

// Blocking queries, as Consul and Nomad have them: a read of the
// replicated state answers with the raft index of what it read, and a
// client that sends that index back (?index=N) is answered only once the
// result's index passes N, or when ?wait runs out.
const (
	defaultQueryWait = 5 * time.Minute
	maxQueryWait     = 10 * time.Minute

	IndexHeader       = "X-Genie-Index"
	KnownLeaderHeader = "X-Genie-KnownLeader"
	LastContactHeader = "X-Genie-LastContact"
)

// readScope names what a route reads: it returns the index of that data in
// s and adds to ws the channels that close when it changes.
type readScope func(r *http.Request, s *fsm.State, ws memdb.WatchSet) uint64

// tables scopes a read to whole tables: a search, or a view that joins them.
func tables(ts ...fsm.Table) readScope {
	return func(_ *http.Request, s *fsm.State, ws memdb.WatchSet) uint64 { return s.Index(ws, ts...) }
}

// jobRecord scopes a read to the job named by the path.
func jobRecord(r *http.Request, s *fsm.State, ws memdb.WatchSet) uint64 {
	return s.JobIndex(ws, r.PathValue("id"))
}

// resourceRecord scopes a read to the registry resource named by the path.
func resourceRecord(t fsm.Table) readScope {
	return func(r *http.Request, s *fsm.State, ws memdb.WatchSet) uint64 {
		return s.ResourceIndex(ws, t, r.PathValue("id"))
	}
}

// joined scopes a read to everything its parts read.
func joined(scopes ...readScope) readScope {
	return func(r *http.Request, s *fsm.State, ws memdb.WatchSet) uint64 {
		var max uint64
		for _, scope := range scopes {
			if i := scope(r, s, ws); i > max {
				max = i
			}
		}
		return max
	}
}

// handleRead registers a read of the replicated state: fn runs once the
// blocking query, if the request makes one, is over, with the query's
// headers set.
func (h *handler) handleRead(access acl.Access, pattern string, scope readScope, fn http.HandlerFunc) {
	h.handle(access, pattern, func(w http.ResponseWriter, r *http.Request) {
		index, err := h.blockingQuery(r, scope)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		hdr := w.Header()
		hdr.Set(IndexHeader, strconv.FormatUint(index, 10))
		_, leader := h.backend.Leader()
		hdr.Set(KnownLeaderHeader, strconv.FormatBool(leader != ""))
		hdr.Set(LastContactHeader, strconv.FormatInt(h.backend.LastContact().Milliseconds(), 10))
		fn(w, r)
	})
}

// blockingQuery waits while the scope's index is at most the request's
// ?index, up to its ?wait plus a sixteenth of jitter (so clients that
// started together do not all come back at once), and returns the index of
// what the handler will read. An index ahead of every table's is from
// another cluster or a lost state: it is answered at once.
func (h *handler) blockingQuery(r *http.Request, scope readScope) (uint64, error) {
	minIndex, wait, err := parseBlocking(r)
	if err != nil {
		return 0, err
	}
	var deadline time.Time
	if minIndex > 0 {
		deadline = time.Now().Add(wait + rand.N(wait/16+1))
	}
	for {
		state := h.backend.State()
		ws := memdb.NewWatchSet()
		ws.Add(state.AbandonCh())
		index := scope(r, state, ws)
		if minIndex == 0 || index > minIndex || minIndex > state.LatestIndex() || !time.Now().Before(deadline) {
			return index, nil
		}
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		h.waiting.Add(1)
		ws.WatchCtx(ctx)
		h.waiting.Add(-1)
		cancel()
		if err := r.Context().Err(); err != nil {
			return 0, err
		}
	}
}

// parseBlocking reads ?index and ?wait. Without an index (or with 0) the
// read answers at once; wait alone is checked but changes nothing.
func parseBlocking(r *http.Request) (uint64, time.Duration, error) {
	q := r.URL.Query()
	wait := defaultQueryWait
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return 0, 0, badRequest("wait", "wait must be a positive duration such as 30s or 5m, not %q", v)
		}
		wait = min(d, maxQueryWait)
	}
	var index uint64
	if v := q.Get("index"); v != "" {
		i, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, badRequest("index", "index must be a raft index (an unsigned integer), not %q", v)
		}
		index = i
	}
	return index, wait, nil
}
