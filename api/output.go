package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// OutputListing is a directory of a job's output.
type OutputListing struct {
	// Parent is the enclosing directory, nil at the root.
	Parent      *OutputEntry  `json:"parent"`
	Directories []OutputEntry `json:"directories"`
	Files       []OutputEntry `json:"files"`
}

// OutputEntry is a file or directory in a listing. Directory names end in
// "/"; URL is absolute.
type OutputEntry struct {
	Name         string `json:"name"`
	URL          string `json:"url"`
	Size         int64  `json:"size"`
	LastModified Time   `json:"lastModified"`
}

// MarshalJSON writes nil lists as [].
func (l OutputListing) MarshalJSON() ([]byte, error) { return marshalObject(l) }

// MarshalJSON writes the entry's fields in order.
func (e OutputEntry) MarshalJSON() ([]byte, error) { return marshalObject(e) }

// OutputFile is part of a file of a job's output, from Offset on. Read it
// and close it.
type OutputFile struct {
	io.ReadCloser
	// StatusCode is 200 (whole file), 206 (from Offset) or 416 (nothing
	// at or past Offset: the body is empty).
	StatusCode int
	// Offset is the position in the file of the body's first byte.
	Offset int64
	// Size is the file's size when the answer was written, -1 if unknown.
	Size        int64
	ContentType string
}

// OutputListing returns the listing of dir ("" for the root) in the job's
// output.
func (s *Jobs) OutputListing(ctx context.Context, id, dir string) (*OutputListing, error) {
	r := newRequest(http.MethodGet, outputPath(s.base, id, dir), nil)
	r.header = http.Header{"Accept": {"application/json"}}
	var out OutputListing
	if _, err := s.c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// OutputFile returns the file at path in the job's output ("stdout",
// "stderr", "genie/logs/genie.log"...), from byte offset on. An offset at or
// past the end of the file is not an error: the answer has status 416 and an
// empty body, so a reader following a growing file polls again later.
func (s *Jobs) OutputFile(ctx context.Context, id, path string, offset int64) (*OutputFile, error) {
	if offset < 0 {
		return nil, fmt.Errorf("negative offset %d", offset)
	}
	resp, err := s.c.send(ctx, outputRequest(s.base, id, path, offset, nil))
	if err != nil {
		return nil, err
	}
	out := &OutputFile{
		ReadCloser:  resp.Body,
		StatusCode:  resp.StatusCode,
		Offset:      offset,
		Size:        -1,
		ContentType: resp.Header.Get("Content-Type"),
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if resp.ContentLength >= 0 {
			out.Size = resp.ContentLength
		}
		// The server ignored the range: skip to offset.
		if offset > 0 {
			if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil && err != io.EOF {
				resp.Body.Close()
				return nil, err
			}
		}
	case http.StatusPartialContent:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok {
			resp.Body.Close()
			return nil, fmt.Errorf("bad Content-Range %q", resp.Header.Get("Content-Range"))
		}
		out.Size = size
		if start < offset {
			if _, err := io.CopyN(io.Discard, resp.Body, offset-start); err != nil && err != io.EOF {
				resp.Body.Close()
				return nil, err
			}
		} else {
			out.Offset = start
		}
	case http.StatusRequestedRangeNotSatisfiable:
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		out.ReadCloser = http.NoBody
		_, out.Size, _ = parseContentRange(resp.Header.Get("Content-Range"))
		if out.Size <= 0 {
			// Genie answers "bytes */0" whatever the size; the file has
			// at least offset bytes.
			out.Size = offset
		}
	default:
		return nil, statusError(resp)
	}
	return out, nil
}

// outputPath escapes each segment of p under the job's output.
// outputRequest reads the file at path in the job's output from offset on.
func outputRequest(base, id, path string, offset int64, query url.Values) *request {
	r := newRequest(http.MethodGet, outputPath(base, id, path), query)
	r.header = http.Header{"Accept": {"*/*"}}
	if offset > 0 {
		r.header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	return r
}

func outputPath(base, id, p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return pathOf(base, id, "output") + "/" + strings.Join(segs, "/")
}

// parseContentRange reads "bytes a-b/n" or "bytes */n"; size is -1 when the
// header gives "*".
func parseContentRange(h string) (start, size int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(h), "bytes ")
	if !found {
		return 0, -1, false
	}
	rng, total, found := strings.Cut(rest, "/")
	if !found {
		return 0, -1, false
	}
	size = -1
	if total != "*" {
		n, err := strconv.ParseInt(total, 10, 64)
		if err != nil {
			return 0, -1, false
		}
		size = n
	}
	if rng == "*" {
		return 0, size, true
	}
	first, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, size, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return 0, size, false
	}
	return start, size, true
}
