//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/genie-cluster/genie/api"
)

// reply is one answer from a node, or the failure to get one.
type reply struct {
	code       int
	retryAfter time.Duration
	hasRetry   bool
	body       []byte
	err        error // transport failure: no answer
}

// verdict classifies a reply for the error table.
type verdict int

const (
	answered     verdict = iota // 2xx
	unavailable                 // 503 with Retry-After: documented
	unreachable                 // no answer: the node is down, paused or cut off
	refused                     // a documented 4xx (404, 409, 412)
	undocumented                // anything else: a defect
)

func (r reply) verdict() verdict {
	switch {
	case r.err != nil:
		return unreachable
	case r.code >= 200 && r.code < 300:
		return answered
	case r.code == http.StatusServiceUnavailable && r.hasRetry:
		return unavailable
	case r.code == http.StatusNotFound || r.code == http.StatusConflict || r.code == http.StatusPreconditionFailed:
		return refused
	}
	return undocumented
}

func (r reply) String() string {
	if r.err != nil {
		return "no answer: " + r.err.Error()
	}
	return fmt.Sprintf("%d %s", r.code, bytes.TrimSpace(r.body))
}

// client calls the nodes as every client of the suite does: over HTTPS,
// verifying a node by the server name its certificate carries whatever IP
// it is reached at, with the admin token; over plain HTTP when the cluster
// is not secured.
type client struct {
	http *http.Client
	// token is the ACL secret sent with every request, once there is one.
	token string
}

// newClient returns a client that trusts the CA in caFile; without one it
// speaks plain HTTP.
//
// It gives up on a node that does not connect quickly (paused or cut off)
// and bounds every request: a write waits for a leader for at most the
// node's hold time (5 s), plus forwarding.
func newClient(caFile string) (*client, error) {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     5 * time.Second,
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, ServerName: api.DefaultTLSServerName}
		tr.TLSHandshakeTimeout = 5 * time.Second
	}
	return &client{http: &http.Client{Timeout: 15 * time.Second, Transport: tr}}, nil
}

func (c *client) call(ctx context.Context, method, url string, body interface{}) reply {
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return reply{err: err}
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return reply{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		if method == http.MethodPatch {
			req.Header.Set("Content-Type", "application/json-patch+json")
		}
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	out := reply{code: resp.StatusCode}
	out.body, out.err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		out.hasRetry = true
		if secs, err := strconv.Atoi(ra); err == nil {
			out.retryAfter = time.Duration(secs) * time.Second
		}
	}
	if errors.Is(out.err, io.EOF) {
		out.err = nil
	}
	return out
}

func (c *client) getJSON(url string, out interface{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep := c.call(ctx, http.MethodGet, url, nil)
	if rep.err != nil {
		return rep.err
	}
	if rep.code != http.StatusOK {
		return fmt.Errorf("%s: %s", url, rep)
	}
	return json.Unmarshal(rep.body, out)
}

// waitUntil polls cond every interval until it holds or timeout passes, and
// reports whether it held.
func waitUntil(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		pause(context.Background(), interval)
	}
}
