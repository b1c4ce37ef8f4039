package transport

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// ElsewhereError says what a request asks for (a running job's files, its
// process) is on another node, which can answer it.
type ElsewhereError struct {
	Node string // its name, for messages
	Addr string // its API address
}

func (e *ElsewhereError) Error() string {
	return fmt.Sprintf("job is on node %s (%s)", e.Node, e.Addr)
}

// forwarded reports whether r came from another node on a client's behalf;
// such a request is never sent on again.
func forwarded(r *http.Request) bool {
	return r.Header.Get(ForwardedFromHeader) != ""
}

// requestURL is the absolute URL the client asked for.
func requestURL(r *http.Request) string {
	return baseURL(r) + r.URL.RequestURI()
}

// proxy sends r to the node that holds what it asks for and streams back the
// answer, as Genie forwards output requests to the node running the job.
// The original URL goes along in Genie-Forwarded-From, so listings there
// link back through this node.
func (h *handler) proxy(w http.ResponseWriter, r *http.Request, to *ElsewhereError) {
	if forwarded(r) {
		// One hop at most: the node we were sent to thinks it is elsewhere.
		h.writeError(w, r, &UnavailableError{Reason: fmt.Sprintf("the job moved while the request was forwarded (%v)", to), RetryAfter: time.Second})
		return
	}
	target := &url.URL{Scheme: h.peerScheme, Host: to.Addr}
	rp := &httputil.ReverseProxy{
		Transport: h.peerTransport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = to.Addr
			pr.Out.Header.Set(ForwardedFromHeader, requestURL(r))
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			h.writeError(w, r, &UnavailableError{Reason: fmt.Sprintf("node %s does not answer: %v", to.Node, err), RetryAfter: time.Second})
		},
	}
	rp.ServeHTTP(w, r)
}

// outputBaseURL is where entry links of a listing point: this node's own
// output URL, or, for a forwarded request, the URL the client used.
func outputBaseURL(r *http.Request, id string) string {
	if orig := r.Header.Get(ForwardedFromHeader); strings.Contains(orig, "/output") {
		if i := strings.Index(orig, "/api/v3/jobs/"+id+"/output"); i >= 0 {
			return orig[:i] + "/api/v3/jobs/" + id + "/output/"
		}
	}
	return baseURL(r) + "/api/v3/jobs/" + id + "/output/"
}
