// Package api is the Go client for the genie REST API and the Genie v3 wire types it exchanges.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

const (
	// DefaultAddress is where a local genie node serves the API.
	DefaultAddress = "http://127.0.0.1:8080"
	// AddressEnv names the environment variable that overrides DefaultAddress.
	AddressEnv = "GENIE_ADDR"
	// TokenEnv names the environment variable that holds the ACL token.
	TokenEnv = "GENIE_TOKEN"
	// DefaultUserAgent is sent when Config.UserAgent is empty.
	DefaultUserAgent = "genie-go-client"

	defaultMaxRetries = 5
)

// Config says how a Client reaches the API.
type Config struct {
	// Address is the node's base URL; "host:port" means http://host:port.
	Address string
	// HTTPClient sends the requests; http.DefaultClient when nil.
	HTTPClient *http.Client
	// UserAgent is recorded by the server in a job's metadata.
	UserAgent string
	// Token is the ACL token's secret, sent as "Authorization: Bearer".
	Token string
	// TLS verifies an https node and presents a client certificate; used
	// when HTTPClient is nil.
	TLS *TLSConfig
	// Headers are added to every request.
	Headers http.Header
	// RetryUnavailable retries requests answered 503 (a full cluster or a
	// node without a leader), waiting for the Retry-After the server sends.
	RetryUnavailable bool
	// MaxRetries bounds the retries of one request; 0 means the default (5)
	// when RetryUnavailable is set.
	MaxRetries int
	// MaxRetryWait bounds one wait between retries.
	MaxRetryWait time.Duration
}

// DefaultConfig returns the configuration for the node named by GENIE_ADDR,
// or DefaultAddress.
func DefaultConfig() *Config {
	addr := os.Getenv(AddressEnv)
	if addr == "" {
		addr = DefaultAddress
	}
	return &Config{
		Address:      addr,
		Token:        os.Getenv(TokenEnv),
		TLS:          tlsFromEnv(),
		UserAgent:    DefaultUserAgent,
		MaxRetries:   defaultMaxRetries,
		MaxRetryWait: 30 * time.Second,
	}
}

// Client calls the genie REST API. It is safe for concurrent use.
type Client struct {
	config Config
	base   *url.URL
	http   *http.Client
}

// NewClient returns a client for cfg; nil means DefaultConfig().
func NewClient(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	conf := *cfg
	if conf.Address == "" {
		conf.Address = DefaultConfig().Address
	}
	if conf.UserAgent == "" {
		conf.UserAgent = DefaultUserAgent
	}
	if conf.RetryUnavailable && conf.MaxRetries <= 0 {
		conf.MaxRetries = defaultMaxRetries
	}
	if conf.MaxRetryWait <= 0 {
		conf.MaxRetryWait = 30 * time.Second
	}
	addr := conf.Address
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	base, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", conf.Address, err)
	}
	if base.Scheme != "http" && base.Scheme != "https" {
		return nil, fmt.Errorf("address %q: scheme must be http or https", conf.Address)
	}
	if base.Host == "" {
		return nil, fmt.Errorf("address %q: no host", conf.Address)
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath, base.RawQuery, base.Fragment = "", "", ""
	hc := conf.HTTPClient
	if hc == nil && conf.TLS != nil {
		if hc, err = conf.TLS.httpClient(); err != nil {
			return nil, err
		}
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{config: conf, base: base, http: hc}, nil
}

// Address returns the base URL the client calls.
func (c *Client) Address() string { return c.base.String() }

// request is one API call.
type request struct {
	method string
	path   string // already escaped, from pathOf
	query  url.Values
	header http.Header
	// body is sent as it is; set it with jsonBody for JSON.
	body        []byte
	contentType string
}

// pathOf joins escaped segments to prefix, which must already be escaped.
func pathOf(prefix string, segments ...string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, s := range segments {
		b.WriteString("/" + url.PathEscape(s))
	}
	return b.String()
}

func newRequest(method, p string, query url.Values) *request {
	return &request{method: method, path: p, query: query}
}

// jsonBody sets v, encoded, as the request's body.
func (r *request) jsonBody(v any) (*request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", r.method, r.path, err)
	}
	r.body, r.contentType = b, "application/json"
	return r, nil
}

// send sends r and returns the response whatever its status, retrying 503s
// when the configuration asks for it.
func (c *Client) send(ctx context.Context, r *request) (*http.Response, error) {
	u := c.base.String() + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	for attempt := 0; ; attempt++ {
		var body io.Reader
		if r.body != nil {
			body = bytes.NewReader(r.body)
		}
		req, err := http.NewRequestWithContext(ctx, r.method, u, body)
		if err != nil {
			return nil, err
		}
		for k, vs := range c.config.Headers {
			req.Header[k] = append([]string(nil), vs...)
		}
		req.Header.Set("User-Agent", c.config.UserAgent)
		if c.config.Token != "" && req.Header.Get("Authorization") == "" {
			req.Header.Set("Authorization", "Bearer "+c.config.Token)
		}
		if req.Header.Get("Accept") == "" {
			req.Header.Set("Accept", "application/hal+json, application/json")
		}
		if r.contentType != "" {
			req.Header.Set("Content-Type", r.contentType)
		}
		for k, vs := range r.header {
			req.Header[k] = vs
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusServiceUnavailable ||
			!c.config.RetryUnavailable || attempt >= c.config.MaxRetries {
			return resp, nil
		}
		wait := retryAfter(resp.Header)
		if wait <= 0 {
			wait = time.Second
		}
		wait = min(wait, c.config.MaxRetryWait)
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// do sends r, turns a response outside 2xx into a *StatusError, and decodes
// the body into out when out is not nil. The returned response's body is
// closed.
func (c *Client) do(ctx context.Context, r *request, out any) (*http.Response, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, statusError(resp)
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return resp, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp, fmt.Errorf("decode %s %s: %w", r.method, r.path, err)
	}
	return resp, nil
}

// get decodes the answer to GET p into out.
func (c *Client) get(ctx context.Context, p string, query url.Values, out any) error {
	_, err := c.do(ctx, newRequest(http.MethodGet, p, query), out)
	return err
}

// write sends in as the JSON body of method p (no body when in is nil) and
// decodes the answer into out when out is not nil.
func (c *Client) write(ctx context.Context, method, p string, query url.Values, in, out any) (*http.Response, error) {
	r := newRequest(method, p, query)
	if in != nil {
		var err error
		if r, err = r.jsonBody(in); err != nil {
			return nil, err
		}
	}
	return c.do(ctx, r, out)
}

// create posts in to p and returns the id at the end of the Location the
// server answers with.
func (c *Client) create(ctx context.Context, p string, in any) (string, error) {
	resp, err := c.write(ctx, http.MethodPost, p, nil, in, nil)
	if err != nil {
		return "", err
	}
	return idFromLocation(resp.Header.Get("Location"))
}

// idFromLocation returns the last path segment of a Location header.
func idFromLocation(loc string) (string, error) {
	if loc == "" {
		return "", fmt.Errorf("response has no Location header")
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("location %q: %w", loc, err)
	}
	ep := strings.TrimRight(u.EscapedPath(), "/")
	id, err := url.PathUnescape(ep[strings.LastIndex(ep, "/")+1:])
	if err != nil || id == "" {
		return "", fmt.Errorf("location %q names no resource", loc)
	}
	return id, nil
}
