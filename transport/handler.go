// Package transport carries everything that crosses the wire: the public
// REST API (Genie's /api/v3 plus genie's /v1 operator endpoints) over a
// node's Backend.
package transport

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/fsm"
)

// Backend is what the API needs from a node.
type Backend interface {
	// State is the local replica, for reads.
	State() *fsm.State
	// Apply commits a registry change and returns once it is durable.
	Apply(ctx context.Context, t fsm.MessageType, msg interface{}) (*fsm.ApplyResult, error)
	// SubmitJob resolves, places and records a job.
	SubmitJob(ctx context.Context, sub *Submission) (*fsm.ApplyResult, error)
	// KillJob ends a job; a finished job is left as it is.
	KillJob(ctx context.Context, id string) error
	// JobOutput opens the job's directory: live while it runs here, from
	// the archive once archived.
	JobOutput(ctx context.Context, j *fsm.Job) (fs.FS, error)
	// Health returns nil when the node serves requests.
	Health() error
	// Leader returns the raft leader's address and id, empty when unknown.
	Leader() (addr, id string)
	// LastContact is how long ago this node last heard from the leader:
	// zero on the leader, the staleness of a read served here otherwise.
	LastContact() time.Duration
	// Metrics serves the Prometheus text format.
	Metrics() http.Handler
}

// Submission is a decoded, validated job request with what the API knows
// about the client.
type Submission struct {
	Request fsm.JobRequest
	// RequestHash identifies the request, so a retry with the same client
	// id is told apart from a different job under a taken id.
	RequestHash string
	ClientHost  string
	UserAgent   string
	// Pinned keeps the job on the node that received it: its attachments
	// are in that node's own storage.
	Pinned bool
	// Attachments and AttachmentBytes count the files sent with the job.
	Attachments     int
	AttachmentBytes int64
}

// HandlerConfig configures the API handler.
type HandlerConfig struct {
	Backend         Backend
	Logger          hclog.Logger
	MaxRequestBytes int64

	// ACLEnabled makes every route but the open ones ask for a token.
	ACLEnabled bool
	// ACLResetIndex reads the node's bootstrap reset file: the index of
	// the bootstrap it allows to be done again, zero when there is none.
	ACLResetIndex func() (uint64, error)
	// IsServer tells whether a request comes from a server of this
	// cluster, by its TLS certificate. Nil without TLS: the node then
	// cannot tell, and /v1/internal/* answers anyone (-insecure).
	IsServer func(*http.Request) bool
	// PeerScheme ("http" or "https") and PeerTransport reach other nodes
	// when a request is proxied to the node that holds what it asks for.
	PeerScheme    string
	PeerTransport http.RoundTripper
	// Waiting, when set, counts the blocking queries waiting for a change
	// at any moment, for the node's metrics.
	Waiting *atomic.Int64
}

type handler struct {
	backend  Backend
	logger   hclog.Logger
	maxBytes int64
	mux      *http.ServeMux

	aclEnabled    bool
	aclResetIndex func() (uint64, error)
	isServer      func(*http.Request) bool
	routeTable    []Route
	peerScheme    string
	peerTransport http.RoundTripper
	waiting       *atomic.Int64
}

// NewHandler returns the node's HTTP API.
func NewHandler(cfg *HandlerConfig) http.Handler {
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	h := &handler{backend: cfg.Backend, logger: logger, maxBytes: cfg.MaxRequestBytes, mux: http.NewServeMux(),
		aclEnabled: cfg.ACLEnabled, aclResetIndex: cfg.ACLResetIndex, isServer: cfg.IsServer,
		peerScheme: cfg.PeerScheme, peerTransport: cfg.PeerTransport, waiting: cfg.Waiting}
	if h.waiting == nil {
		h.waiting = new(atomic.Int64)
	}
	if h.peerScheme == "" {
		h.peerScheme = "http"
	}
	h.routes()
	return h
}

func (h *handler) routes() {
	h.handle(acl.Read, "GET /api/v3", h.root)
	h.handle(acl.Read, "GET /api/v3/", h.root)
	registryRoutes(h, clusterKind)
	registryRoutes(h, commandKind)
	registryRoutes(h, applicationKind)
	h.clusterRoutes()
	h.commandRoutes()
	h.applicationRoutes()
	h.jobRoutes()

	h.handle(acl.Anyone, "GET /v1/health", h.health)
	h.handle(acl.Read, "GET /v1/status/leader", h.leader)
	h.handle(acl.Read, "GET /v1/metrics", h.backend.Metrics().ServeHTTP)
	h.operatorRoutes()
	h.aclRoutes()
	h.limitsRoutes()
	h.keyringRoutes()
	h.internalRoutes()
	h.retiredRoutes()
}

// ServeHTTP bounds request bodies, turns a panic into a 500 with a JSON
// body rather than a dropped connection, and answers unknown paths and
// methods with JSON errors.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.logger.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			writeJSON(w, http.StatusInternalServerError, errorBody{ErrorCode: 500, Message: "internal error"})
		}
	}()
	if r.Body != nil && h.maxBytes > 0 {
		r.Body = http.MaxBytesReader(w, r.Body, h.maxBytes)
	}
	_, pattern := h.mux.Handler(r)
	if pattern == "" {
		h.noRoute(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// noRoute tells 404 from 405 the way ServeMux does, with a JSON body.
func (h *handler) noRoute(w http.ResponseWriter, r *http.Request) {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := h.mux.Handler(probe); p != "" {
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{ErrorCode: 405, Message: fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)})
			return
		}
	}
	writeJSON(w, http.StatusNotFound, errorBody{ErrorCode: 404, Message: "no such endpoint: " + r.URL.Path})
}

// baseURL is the absolute URL of this API as the client reached it, for
// Location headers and HAL links.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

func (h *handler) root(w http.ResponseWriter, r *http.Request) {
	if p := strings.TrimSuffix(r.URL.Path, "/"); p != "/api/v3" {
		h.noRoute(w, r)
		return
	}
	base := baseURL(r) + "/api/v3"
	writeHAL(w, http.StatusOK, map[string]interface{}{
		"description": "Genie V3 API",
		"_links": map[string]interface{}{
			"self":         map[string]string{"href": base},
			"applications": map[string]string{"href": base + "/applications"},
			"commands":     map[string]string{"href": base + "/commands"},
			"clusters":     map[string]string{"href": base + "/clusters"},
			"jobs":         map[string]string{"href": base + "/jobs"},
		},
	})
}

func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	if err := h.backend.Health(); err != nil {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
		return
	}
	body := map[string]any{"status": "ok"}
	if hw, ok := h.backend.(interface{ HealthWarnings() []string }); ok {
		if warnings := hw.HealthWarnings(); len(warnings) > 0 {
			// Serving, but not everything: a load balancer keeps the node,
			// an operator sees why.
			body["warnings"] = warnings
		}
	}
	writeJSON(w, http.StatusOK, body)
}

func (h *handler) leader(w http.ResponseWriter, r *http.Request) {
	addr, id := h.backend.Leader()
	writeJSON(w, http.StatusOK, map[string]string{"leader": addr, "leaderId": id})
}
