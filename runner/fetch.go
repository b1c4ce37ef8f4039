package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// Fetcher stages one file.
type Fetcher interface {
	// Fetch writes the file named by uri at dst, which does not exist yet.
	Fetch(ctx context.Context, uri string, dst string) error
}

// CachingFetcher is a Fetcher that keeps a copy of what it fetches on the
// node: the archive leaves such files out of a finished job's directory
// (they are the same bytes as the store's object) and lists them instead.
type CachingFetcher interface {
	Fetcher
	KeepsCopies() bool
}

// cachedByFetcher reports whether f's fetcher keeps copies.
func (r *Runner) cachedByFetcher(f stageFile) bool {
	scheme, err := uriScheme(f.uri)
	if err != nil {
		return false
	}
	c, ok := r.conf.Fetchers[scheme].(CachingFetcher)
	return ok && c.KeepsCopies()
}

// FileFetcher copies files named by file:// URIs or absolute paths. A file
// a job's request names is read with the rights of the account the job
// runs as (the runner says which in the context), not with the node's.
type FileFetcher struct{}

// Fetch copies the file, keeping its permission bits so staged scripts and
// binaries stay executable.
func (FileFetcher) Fetch(ctx context.Context, uri, dst string) error {
	src, err := localPath(uri)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	in, err := openSource(ctx, src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	return writeFile(dst, info.Mode().Perm(), in)
}

func localPath(uri string) (string, error) {
	if strings.HasPrefix(uri, "/") {
		return uri, nil
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "", err
	}
	if u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") || !strings.HasPrefix(u.Path, "/") {
		return "", errors.New("not a local absolute file URI")
	}
	return u.Path, nil
}

// HTTPFetcher downloads files over http and https.
type HTTPFetcher struct {
	Client *http.Client
}

// NewHTTPFetcher returns a fetcher whose client gives up on unresponsive
// servers instead of holding a job in INIT forever.
func NewHTTPFetcher() *HTTPFetcher {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   8,
	}
	return &HTTPFetcher{Client: &http.Client{Transport: t, Timeout: 30 * time.Minute}}
}

// Fetch downloads uri to dst; any status but 2xx is an error.
func (h *HTTPFetcher) Fetch(ctx context.Context, uri, dst string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return err
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET returned %s", resp.Status)
	}
	return writeFile(dst, 0o644, resp.Body)
}

// writeFile creates dst and fills it from r, removing it when that fails so
// a half file is never mistaken for a staged one.
func writeFile(dst string, perm os.FileMode, r io.Reader) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
	}
	return err
}

// uriScheme returns the scheme that picks a Fetcher: "" for an absolute path.
func uriScheme(uri string) (string, error) {
	if strings.HasPrefix(uri, "/") {
		return "", nil
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "", err
	}
	if u.Scheme == "" {
		return "", errors.New("neither an absolute path nor a URI")
	}
	return strings.ToLower(u.Scheme), nil
}

// uriFileName is the name a staged file gets: the last segment of the URI's path.
func uriFileName(uri string) (string, error) {
	p := uri
	if !strings.HasPrefix(uri, "/") {
		u, err := url.Parse(uri)
		if err != nil {
			return "", err
		}
		p = u.Path
		if p == "" {
			p = u.Opaque
		}
	}
	name := path.Base(p)
	if name == "" || name == "." || name == ".." || name == "/" {
		return "", errors.New("no file name in the URI path")
	}
	return name, nil
}

// fetch stages one file with the fetcher for its scheme.
func (r *Runner) fetch(ctx context.Context, f stageFile) error {
	scheme, err := uriScheme(f.uri)
	if err != nil {
		return fmt.Errorf("stage %s: %w", f.uri, err)
	}
	fetcher, ok := r.conf.Fetchers[scheme]
	if !ok {
		return fmt.Errorf("stage %s: no fetcher for scheme %q", f.uri, scheme)
	}
	if f.readAs != nil {
		ctx = withReadAs(ctx, f.readAs)
	}
	if err := fetcher.Fetch(ctx, f.uri, f.dst); err != nil {
		return fmt.Errorf("stage %s: %w", f.uri, err)
	}
	return nil
}

// fetchAll stages files in parallel, at most FetchParallelism at once, and
// returns the first failure after cancelling the rest.
func (r *Runner) fetchAll(ctx context.Context, files []stageFile) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(r.conf.FetchParallelism)
	for _, f := range files {
		g.Go(func() error { return r.fetch(ctx, f) })
	}
	return g.Wait()
}
